// expect: job/yield@12 job/yield@20
// Helper generators a job delegates to (declared or nested) are checked by the job rules too.
import { type Step, defineJob, defineStage } from "../../core/index.ts";

export const half = defineStage({
  name: "half", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => x / 2,
});

function* halve(x: number): Step<number> {
  yield { kind: "stage", target: "half@1", input: x } as never;
  return yield* half(x);
}

export const halver = defineJob({
  name: "halver",
  *run(x: number) {
    const gen = (function* () {
      yield 1;
    })();
    const y = yield* gen; // delegating to a generator whose yields are checked: fine
    return (yield* halve(x)) + (y ?? 0);
  },
});

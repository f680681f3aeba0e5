// expect: purity/host@19 purity/host@20 purity/host@21
// Turning a caught error into text (String(e), `${e}`, "..." + e) copies engine-generated
// message text into the result. Classifying it with instanceof is fine.
import { defineStage } from "../../../../core/index.ts";

function decodeBase64Json(b64: string): unknown {
  return JSON.parse(atob(b64));
}

export const decodeTokens = defineStage({
  name: "decode-tokens", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 100_000, outputBytes: (bytes) => bytes },
  run: (tokens: string[]) =>
    tokens.map((t, i) => {
      try {
        return { i, claims: decodeBase64Json(t.split(".")[1] ?? "") };
      } catch (e) {
        const kind = e instanceof SyntaxError ? "json" : "other";
        const reason = String(e);
        const detail = `token ${i}: ${e}`;
        const legacy = "failed: " + e;
        return { i, kind, reason, detail, legacy };
      }
    }),
});

// expect: job/cycle@11
// A helper picks the job for a message (`handlerFor(kind)(msg)`). The escalation job asks the
// router again with the same message: route-message -> escalate -> route-message, always.
import { type Job, type Step, defineJob } from "../../../core/index.ts";

type Message = { channel: string; kind: "ticket" | "escalation"; text: string };

export const routeMessage: Job<Message, string> = defineJob({
  name: "route-message",
  *run(msg: Message): Step<string> {
    return yield* handlerFor(msg.kind)(msg);
  },
});

export const openTicket: Job<Message, string> = defineJob({ name: "open-ticket", *run(msg: Message): Step<string> { return `ticket in ${msg.channel}`; } });

export const escalate: Job<Message, string> = defineJob({
  name: "escalate",
  *run(msg: Message): Step<string> {
    return yield* routeMessage(msg);
  },
});

function handlerFor(kind: Message["kind"]): Job<Message, string> {
  return kind === "ticket" ? openTicket : escalate;
}

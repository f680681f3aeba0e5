// expect: job/cycle@11
// Webhook routes built from a base table spread into a bigger one. The "replay" route re-delivers
// the same event through handle-webhook: handle-webhook -> replay-event -> handle-webhook.
import { type Job, type Step, defineJob } from "../../../core/index.ts";

type Event = { id: string; type: "created" | "deleted" | "replay"; body: string };

export const handleWebhook: Job<Event, string> = defineJob({
  name: "handle-webhook",
  *run(event: Event): Step<string> {
    const route = ROUTES[event.type];
    return yield* route(event);
  },
});

export const onCreated: Job<Event, string> = defineJob({ name: "on-created", *run(e: Event): Step<string> { return `created ${e.id}`; } });
export const onDeleted: Job<Event, string> = defineJob({ name: "on-deleted", *run(e: Event): Step<string> { return `deleted ${e.id}`; } });

export const replayEvent: Job<Event, string> = defineJob({
  name: "replay-event",
  *run(e: Event): Step<string> {
    return yield* handleWebhook(e);
  },
});

const BASE_ROUTES = { created: onCreated, deleted: onDeleted };
const ROUTES = { ...BASE_ROUTES, replay: replayEvent };

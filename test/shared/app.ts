/** The API over the tests' registry, for tests that call app.fetch(request, env) directly (in workerd or Node). */
import { createApp } from "../../workers/api.ts";
import { registry } from "./registry.ts";

export const app = createApp(registry);

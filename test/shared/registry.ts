/**
 * The registry the tests deploy (test/worker.ts) and run locally: the examples' jobs and
 * stages, and the test shapes.
 */
export { registry } from "../../examples/index.ts";

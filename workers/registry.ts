/**
 * The stages and jobs this deployment bundles: nothing else can run (no code upload at run
 * time). Add your modules to the examples' registry here.
 */
export { registry } from "../examples/index.ts";

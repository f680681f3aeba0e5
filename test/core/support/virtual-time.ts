/** The virtual clock moved to runtime/sim (the job-plane simulation and its CLI use it too). */
export { VirtualTime } from "../../../runtime/sim/virtual-time.ts";

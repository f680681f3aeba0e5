// Prints vitest's totals as the plain closing line CI reads: "N passed, N failed".
import { readFileSync } from "node:fs";

const results = JSON.parse(readFileSync(process.argv[2], "utf8"));
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
if (results.numTotalTests === 0) {
  console.error("no test ran");
  process.exit(1);
}

// expect: purity/io@6 purity/io@10 purity/io@12
// Environment sniffing and XMLHttpRequest in a helper, reported with the call chain.
import { defineStage } from "../../core/index.ts";

function isBrowser(): boolean {
  return typeof window !== "undefined";
}

function load(url: string): unknown {
  const xhr = new XMLHttpRequest();
  xhr.open("GET", url);
  return isBrowser() ? xhr : env.DEFAULT;
}

export const loader = defineStage({
  name: "loader", version: 1, caps: ["cpu"], timeoutMs: 5_000,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (url: string) => load(url),
});

// expect: purity/outer-write@20
// `const list = this.plugins; list.push(p)` inside a method called on a module-level instance
// writes module state, reported at the call. The same method on a fresh instance is fine.
import { defineStage } from "../../../../core/index.ts";

class PluginRegistry {
  plugins: { name: string; order: number }[] = [];
  register(name: string, order: number): number {
    const list = this.plugins;
    list.push({ name, order });
    return list.length;
  }
}
const globalPlugins = new PluginRegistry();

export const resolvePlugins = defineStage({
  name: "resolve-plugins", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (cfg: { plugins: string[] }) => {
    globalPlugins.register("core", 0);
    const reg = new PluginRegistry();
    cfg.plugins.forEach((p, i) => reg.register(p, i + 1));
    return reg.plugins.map((p) => p.name);
  },
});

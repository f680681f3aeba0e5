/**
 * A package-lock.json for a project that installs this repository's packed tarballs, built from
 * this repository's own package-lock.json, so `npm ci --offline` installs it from npm's cache
 * alone (the repository's `npm ci` filled it): every other package the project needs, at the
 * version and path this repository's lock has it, with its resolved URL and integrity.
 *
 * Resolution over lock paths is Node's: a dependency of the package at `a/node_modules/b` is
 * looked for in `a/node_modules/b/node_modules`, then `a/node_modules`, then the top.
 */
import { readFileSync } from "node:fs";

interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly bin?: unknown;
  readonly license?: string;
  readonly engines?: unknown;
}

/** A packed tarball the project depends on: its path and its package.json. */
export interface LocalTarball {
  readonly path: string;
  readonly manifest: Manifest;
}

export class MissingFromLockError extends Error {
  override readonly name = "MissingFromLockError";
  constructor(readonly dependency: string) {
    super(`${dependency} is not in this repository's package-lock.json: the offline install cannot have it`);
  }
}

/** The lockfile (as JSON text) for `project`, whose dependencies are `tarballs` by name and otherwise packages in `repoLock`. */
export function offlineLockfile(repoLock: string, project: Manifest, tarballs: Readonly<Record<string, LocalTarball>>): string {
  const packages = (JSON.parse(readFileSync(repoLock, "utf8")) as { packages: Record<string, LockEntry> }).packages;
  const chosen: Record<string, LockEntry> = {};

  const resolve = (from: string, name: string): string | null => {
    for (let base = from; ; ) {
      const path = `${base ? `${base}/` : ""}node_modules/${name}`;
      if (packages[path]) return path;
      if (!base) return null;
      const up = base.lastIndexOf("/node_modules/");
      base = up === -1 ? "" : base.slice(0, up);
    }
  };

  const visit = (path: string): void => {
    if (chosen[path]) return;
    // What marks it a dev or peer package in this repository says nothing about the project.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[path]!;
    chosen[path] = entry;
    for (const deps of [entry.dependencies, entry.optionalDependencies, entry.peerDependencies]) {
      for (const name of Object.keys(deps ?? {})) {
        const found = resolve(path, name);
        if (found) visit(found);
      }
    }
  };

  const need = (name: string): void => {
    const local = tarballs[name];
    if (local) {
      const m = local.manifest;
      chosen[`node_modules/${name}`] = {
        version: m.version,
        resolved: `file:${local.path}`,
        ...(m.license ? { license: m.license } : {}),
        ...(m.dependencies ? { dependencies: m.dependencies } : {}),
        ...(m.bin ? { bin: m.bin } : {}),
        ...(m.engines ? { engines: m.engines } : {}),
      };
      for (const dep of Object.keys(m.dependencies ?? {})) if (!tarballs[dep]) need(dep);
      return;
    }
    const path = resolve("", name);
    if (!path) throw new MissingFromLockError(name);
    visit(path);
  };

  for (const name of Object.keys({ ...project.dependencies, ...project.devDependencies })) need(name);
  const root = {
    name: project.name,
    version: project.version,
    ...(project.dependencies ? { dependencies: project.dependencies } : {}),
    ...(project.devDependencies ? { devDependencies: project.devDependencies } : {}),
  };
  return `${JSON.stringify({ name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages: { "": root, ...chosen } }, null, 2)}\n`;
}

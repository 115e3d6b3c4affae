import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Where Node finds package `name` from `dir`: the nearest node_modules up to `root`. */
function resolvePackage(root: string, dir: string, name: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (d === root || path.dirname(d) === d) return undefined;
  }
}

/**
 * The installed packages `pkg` needs at run time (itself and its dependencies, transitively) as
 * npm laid them out under `root`: directories relative to root, none inside another one listed.
 */
export function dependencyClosure(root: string, pkg: string): string[] {
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    const required = Object.keys(manifest.dependencies ?? {});
    for (const name of [...required, ...Object.keys(manifest.optionalDependencies ?? {})]) {
      const found = resolvePackage(root, dir, name);
      if (found !== undefined) visit(found);
      else if (required.includes(name)) throw new Error(`${name}, which ${dir} needs, is not installed`);
    }
  };
  const top = resolvePackage(root, root, pkg);
  if (top === undefined) throw new Error(`${pkg} is not installed under ${root}`);
  visit(top);
  const dirs = [...seen].sort();
  return dirs.filter((d) => !dirs.some((other) => d.startsWith(`${other}${path.sep}`))).map((d) => path.relative(root, d));
}

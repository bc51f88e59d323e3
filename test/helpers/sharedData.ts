import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from `test/` or `dist/test/`. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

/** `../shared/data` beside the repository, or undefined when this checkout has no test data. */
export function sharedDataDir(): string | undefined {
  const dir = path.resolve(repoRoot(), '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}

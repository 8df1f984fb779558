/** The commit of the running code, for results records. */
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `git rev-parse --short HEAD` (+ `-dirty` when the tree has changes) of the repository that holds
 * this code (not of the working directory: a run folder in another clone must not lend its commit
 * to the code that trains or evaluates it), or `'unknown'` (e.g. an npm install without git).
 */
export function currentCommit(): string {
  const cwd = dirname(fileURLToPath(import.meta.url));
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

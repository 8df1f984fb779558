// currentCommit names the commit of the running code's repository, whatever the working directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentCommit } from '../src/git-commit.js';

test("currentCommit is this repository's HEAD even when the working directory is another repository", (t) => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  let head: string;
  try {
    head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    t.skip('not in a git checkout');
    return;
  }
  const other = mkdtempSync(join(tmpdir(), 'metalearn-other-repo-'));
  const before = process.cwd();
  try {
    execFileSync('git', ['init', '-q'], { cwd: other });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'other'], { cwd: other });
    process.chdir(other);
    assert.equal(currentCommit().replace(/-dirty$/, ''), head);
  } finally {
    process.chdir(before);
    rmSync(other, { recursive: true, force: true });
  }
});

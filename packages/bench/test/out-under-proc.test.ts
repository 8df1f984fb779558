// `train --out /proc/...` hung at 100% CPU (Node's recursive mkdir loops under procfs, and the
// loop is synchronous, so not even SIGTERM ended it). It must now fail at once with a
// MetaLearnError naming the flag. Run in a child process, so that a regression is a killed child
// after 180 s (generous: a loaded machine starts the child slowly), not a hung test runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runTsChild } from './child-process.js';

test('train --out under /proc is an invalidArgument naming --out and ENOENT, within seconds', { skip: !existsSync('/proc/self') && 'no procfs on this system' }, () => {
  const fixture = fileURLToPath(new URL('./fixtures/train-out-proc.ts', import.meta.url));
  const r = runTsChild(fixture, [], 180_000, 'SIGKILL');
  assert.equal(r.signal, null, `the child was killed by ${r.signal} after 180 s: train hung (stderr: ${r.stderr})`);
  assert.match(r.stdout, /^invalidArgument: train: --out \/proc\/metalearn-no-such\/run: cannot write: ENOENT: no such file or directory, mkdir '\/proc\/metalearn-no-such'/m);
});

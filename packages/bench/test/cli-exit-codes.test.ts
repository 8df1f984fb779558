// The CLI's exit codes, as its header promises: bad input (a flag commander rejects, or a value our
// parsers reject) prints one message and exits 2; --help exits 0. Run as a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runTsChild } from './child-process.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const run = (...args: string[]) => runTsChild(cli, args, 180_000, 'SIGKILL');

test('metalearn exits 2 on bad input, whether commander, our parsers or the run configuration reject it (naming the flag), and 0 for --help', () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['eval', '--episodes'], 2, /error: option '--episodes <n>' argument missing/],
    [['eval', '--run', 'x', '--norm', 'PER-EXAMPLE'], 2, /error: option '--norm <mode>' argument 'PER-EXAMPLE' is invalid/],
    [['train', '--inner-lr', '0x10'], 2, /^metalearn: --inner-lr must be a finite decimal number, got '0x10'$/m],
    [['eval', '--help'], 0, /--learner-options <json>/],
    // A run-configuration error names the flag beside the config field.
    [['train', '--dataset', 'sinusoid', '--inner-lr', '-1'], 2, /^metalearn: resolveRunConfig: --inner-lr \(config\.innerLr\): Too small/m],
  ];
  for (const [args, code, pattern] of cases) {
    const r = run(...args);
    assert.equal(r.signal, null, `${args.join(' ')}: killed after 180 s`);
    assert.equal(r.status, code, `${args.join(' ')}: exit code ${r.status}, expected ${code}; stderr: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, pattern, args.join(' '));
  }
});

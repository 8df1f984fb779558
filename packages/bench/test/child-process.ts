// Runs a TypeScript file of the tests in a child node with this process's loader flags (tsx, the
// "source" condition) but not the test runner's, for checks that must not hang the runner.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/**
 * `node <loader flags> script ...args`, killed by `killSignal` after `timeoutMs`.
 * @returns the child's status, signal, stdout and stderr (utf8).
 */
export function runTsChild(script: string, args: readonly string[], timeoutMs: number, killSignal: NodeJS.Signals = 'SIGTERM'): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), script, ...args], { encoding: 'utf8', timeout: timeoutMs, killSignal });
}

/**
 * `metalearn doctor`: proves an install can be trusted. Prints the backend, versions and
 * threads, runs every engine check (second derivatives, added kernels and gradients, linear
 * algebra) with its measured value, exact value, error and pass/fail, lists the registered
 * plug-ins, and exits 1 when any check fails.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import {
  initEngine,
  runCheck,
  listPlugins,
  gradientChecks,
  kernelChecks,
  matmulChecks,
  linalgChecks,
  type BackendName,
  type CheckResult,
  type EngineCheck,
  type PluginKind,
} from '@metalearn/core';
import { createHostContainer } from '../container.js';
import { loadPluginModules } from '../plugin-modules.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  readonly json: boolean;
  readonly backend?: BackendName;
  /** Substring filter on check names. */
  readonly only?: string;
  /** Third-party plug-in modules to load (and list) beside the first-party ones. */
  readonly plugins?: readonly string[];
}

/** The JSON report `metalearn doctor --json` prints. */
export interface DoctorReport {
  readonly backend: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly threads: number;
  readonly plugins: Readonly<Record<string, string[]>>;
  readonly checks: readonly CheckResult[];
  readonly seconds: number;
  readonly pass: boolean;
}

/** Every engine check, in the order doctor runs them. */
export function allEngineChecks(): EngineCheck[] {
  return [...gradientChecks, ...kernelChecks, ...matmulChecks, ...linalgChecks];
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Runs doctor and prints its report (text or one JSON object).
 * @returns the process exit code: 0 when every check passes, else 1.
 */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const t0 = performance.now();
  const info = await initEngine({ ...(options.backend ? { backend: options.backend } : {}), log: options.json ? () => {} : undefined });
  const container = createHostContainer(...(await loadPluginModules(options.plugins ?? [])).modules);
  const kinds: PluginKind[] = ['backbone', 'head', 'innerSolver', 'learner', 'dataset'];
  const plugins: Record<string, string[]> = {};
  for (const k of kinds) plugins[k] = listPlugins(container, k).map((p) => p.name);
  const checks = allEngineChecks().filter((c) => !options.only || c.name.includes(options.only));
  const results: CheckResult[] = [];
  for (const c of checks) {
    const before = tf.memory().numTensors;
    const r = await runCheck(c);
    const leaked = tf.memory().numTensors - before;
    results.push(leaked > 0 ? { ...r, pass: false, message: `${r.message ?? ''} leaked ${leaked} tensors`.trim() } : r);
    if (!options.json) printRow(results[results.length - 1]!);
  }
  const report: DoctorReport = {
    backend: info.backend,
    versions: { metalearn: packageVersion(), 'tfjs-core': tf.version_core, node: process.versions.node },
    threads: info.backend === 'wasm' ? getThreadsCount() : info.backend === 'cpu' ? 1 : 0,
    plugins,
    checks: results,
    seconds: (performance.now() - t0) / 1000,
    pass: results.every((r) => r.pass),
  };
  if (options.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
  } else {
    const failed = results.filter((r) => !r.pass).length;
    console.log(`backend ${report.backend} (${info.reason}); threads ${report.threads}; ` + Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', '));
    for (const k of kinds) console.log(`${k} plug-ins: ${plugins[k]!.join(', ') || '(none)'}`);
    console.log(`${results.length - failed} passed, ${failed} failed (${report.seconds.toFixed(1)} s)`);
  }
  return report.pass ? 0 : 1;
}

function fmt(x: number | null): string {
  return x === null ? '-' : Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(6) : x.toExponential(2);
}

function printRow(r: CheckResult): void {
  const status = r.pass ? 'pass' : 'FAIL';
  console.log(`${status}  ${r.name.padEnd(58)} value ${fmt(r.value).padStart(12)}  expected ${fmt(r.expected).padStart(12)}  error ${fmt(r.error).padStart(9)} (tol ${r.tolerance.toExponential(0)})${r.message ? '  ' + r.message : ''}`);
}

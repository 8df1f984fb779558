/**
 * Memory of one meta-step against the number of inner steps: iMAML (implicit solver, inner loop
 * off the tape, CG on Hessian-vector products) versus second-order MAML (gradient solver,
 * backprop through every inner step), at 1, 5, 25 and 100 inner steps.
 *
 * Models (synthetic data of the real shapes; memory and time do not depend on the pixel values):
 * - `conv4`: Omniglot-shaped Conv-4 (28x28x1, 64 filters, strided, batch norm, ReLU), 5-way 1-shot,
 *   15 query examples per class;
 * - `mlp`: the sinusoid MLP 1-40-40-1 (ReLU), K = 10 support and 10 query points.
 * One task per meta-batch, Adam outer step, core's backprop learner; iMAML with its defaults
 * (λ = 2, SGD inner lr 0.1, 5 CG steps on exact HVPs), MAML inner lr 0.4 (conv4) / 0.01 (mlp).
 *
 * Each configuration runs in its own child process, so that its peak RSS (`maxRSS`, which for
 * the wasm backend includes the wasm heap's high-water mark, a heap that never shrinks) is its
 * own. In the child: one warm-up meta-step (reported as `firstStepMs`), one meta-step whose peak of
 * tfjs's tracked tensor bytes is measured (`peakBytes`, exactly by an engine hook, and
 * `profilePeakBytes` by `tf.profile`, see {@link measurePeak}; also shown above the bytes resident
 * before it), then `--steps` timed meta-steps (median `stepMs`);
 * `tf.memory()` before and after (tensors, bytes). A configuration that fails (e.g. the wasm
 * heap's 4 GiB limit) is recorded with its error.
 *
 * Writes `bench/results/imaml-memory.json` (all records) and the Markdown table between the
 * `<!-- imaml-memory:begin -->` / `<!-- imaml-memory:end -->` markers of packages/imaml/README.md.
 *
 * Usage: node --import tsx --conditions=source packages/bench/scripts/imaml-memory.ts
 *          [--backend wasm|cpu] [--models conv4,mlp] [--inner-steps 1,5,25,100] [--steps 2]
 *          [--no-write]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createConv4, createLearner, createLinearHead, createMlp, disposeEpisode, initEngine, type Episode, type InnerSolver } from '@metalearn/core';
import { syntheticEpisode } from '@metalearn/core/testing';
import { createGradientSolver } from '@metalearn/maml';
import { createImplicitSolver } from '@metalearn/imaml';
import { currentCommit } from '../src/git-commit.js';

type Model = 'conv4' | 'mlp';
type LearnerName = 'imaml' | 'maml';

/** One measured configuration (a child process). */
interface MemoryRecord {
  readonly learner: LearnerName;
  readonly model: Model;
  readonly backend: string;
  readonly ways: number;
  readonly shots: number;
  readonly queryShots: number;
  readonly innerSteps: number;
  readonly metaBatch: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly firstStepMs?: number;
  readonly stepMs?: number;
  readonly profiledStepMs?: number;
  /** Peak of `tf.memory().numBytes` during the measured meta-step (engine hook, see measurePeak). */
  readonly peakBytes?: number;
  /** `tf.profile(...).peakBytes` of the same step; null when tf.profile failed (`profileError`). */
  readonly profilePeakBytes?: number | null;
  readonly profileError?: string;
  /** `peakBytes` minus the bytes resident before the step (parameters, optimizer state, data). */
  readonly peakBytesAboveResident?: number;
  readonly tensorsBefore?: number;
  readonly tensorsAfter?: number;
  readonly bytesAfter?: number;
  /** Peak resident set size of the child process (bytes). */
  readonly peakRssBytes?: number;
  /** RSS after building the learner and the data, before the first step (bytes). */
  readonly setupRssBytes?: number;
  readonly commit: string;
}

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SCRIPT), '..', '..', '..');

function argValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The task shape of a model. */
function taskShape(model: Model): { ways: number; shots: number; queryShots: number } {
  return model === 'conv4' ? { ways: 5, shots: 1, queryShots: 15 } : { ways: 1, shots: 10, queryShots: 10 };
}

function solverOf(learner: LearnerName, model: Model, innerSteps: number): InnerSolver {
  if (learner === 'imaml') return createImplicitSolver({ innerSteps });
  return createGradientSolver({ innerSteps, innerLr: model === 'conv4' ? 0.4 : 0.01, order: 'second' });
}

/**
 * Runs `step` once and returns the peak of `tf.memory().numBytes` during it, two ways:
 * - `peakBytes`: exact, by hooking the engine's `trackTensor` (the only place where tfjs adds to
 *   `numBytes`), so the maximum is read right after every tensor allocation;
 * - `profilePeakBytes`: `tf.profile(step).peakBytes` (the maximum of the byte snapshots taken after
 *   each kernel), or null when tf.profile fails: it computes `Math.max(...kernels)` with one
 *   argument per kernel, which overflows the call stack for very long graphs (second-order MAML
 *   with 100 inner steps on Conv-4 runs ~10^5 kernels); `profileError` then says so.
 */
async function measurePeak(step: () => unknown): Promise<{ peakBytes: number; profilePeakBytes: number | null; profileError?: string }> {
  const engine = tf.engine() as unknown as { trackTensor: (...args: unknown[]) => void; state: { numBytes: number } };
  const original = engine.trackTensor;
  let peak = engine.state.numBytes;
  engine.trackTensor = function trackTensorWithPeak(this: typeof engine, ...args: unknown[]): void {
    original.apply(this, args);
    if (this.state.numBytes > peak) peak = this.state.numBytes;
  };
  try {
    const info = await tf.profile(() => {
      step();
    });
    return { peakBytes: peak, profilePeakBytes: info.peakBytes };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { peakBytes: peak, profilePeakBytes: null, profileError: `tf.profile: ${e.message}` };
  } finally {
    engine.trackTensor = original;
  }
}

/** Child: measures one configuration and prints `RESULT {json}`. */
async function child(argv: string[]): Promise<void> {
  const learnerName = argValue(argv, '--learner') as LearnerName;
  const model = argValue(argv, '--model') as Model;
  const innerSteps = Number(argValue(argv, '--inner-steps'));
  const steps = Number(argValue(argv, '--steps') ?? 2);
  const backend = argValue(argv, '--backend') ?? 'wasm';
  const commit = argValue(argv, '--commit') ?? 'unknown';
  await initEngine({ backend: backend as 'wasm' | 'cpu', log: () => {} });
  const shape = taskShape(model);
  const base = { learner: learnerName, model, backend, ...shape, innerSteps, metaBatch: 1, commit };
  const learner = createLearner({
    backbone: model === 'conv4' ? createConv4({ inputShape: [28, 28, 1] }) : createMlp({ inputDim: 1, hiddenSizes: [40, 40] }),
    head: createLinearHead(),
    solver: solverOf(learnerName, model, innerSteps),
    task: { kind: model === 'conv4' ? 'classification' : 'regression', ways: shape.ways },
    seed: 0,
    outerLr: 1e-3,
  });
  const episodes: Episode[] = [syntheticEpisode(1, {
    kind: model === 'conv4' ? 'classification' : 'regression', ...shape, inputShape: model === 'conv4' ? [28, 28, 1] : [1],
  })];
  const setupRssBytes = process.memoryUsage().rss;
  let t0 = performance.now();
  learner.metaTrainStep(episodes);
  const firstStepMs = performance.now() - t0;
  const before = tf.memory();
  t0 = performance.now();
  const { peakBytes, profilePeakBytes, profileError } = await measurePeak(() => learner.metaTrainStep(episodes));
  const profiledStepMs = performance.now() - t0;
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    t0 = performance.now();
    learner.metaTrainStep(episodes);
    times.push(performance.now() - t0);
  }
  const after = tf.memory();
  const record: MemoryRecord = {
    ...base, ok: true, firstStepMs, stepMs: median(times), profiledStepMs,
    peakBytes, peakBytesAboveResident: peakBytes - before.numBytes, profilePeakBytes,
    ...(profileError !== undefined && { profileError }),
    tensorsBefore: before.numTensors, tensorsAfter: after.numTensors, bytesAfter: after.numBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024, setupRssBytes,
  };
  episodes.forEach(disposeEpisode);
  learner.dispose();
  process.stdout.write(`RESULT ${JSON.stringify(record)}\n`);
}

const MB = (b: number | undefined): string => (b === undefined ? '–' : (b / 2 ** 20).toFixed(1));
const MS = (m: number | undefined): string => (m === undefined ? '–' : m < 100 ? m.toFixed(1) : m.toFixed(0));

/** The Markdown table of the records of one model. */
function table(records: readonly MemoryRecord[]): string {
  const head = '| learner | inner steps | peak tensor MiB during the step (above resident) | tensors before → after | peak RSS MiB (above setup) | first step ms | step ms (median) |\n|---|---:|---:|---:|---:|---:|---:|';
  const rows = records.map((r) => r.ok
    ? `| ${r.learner === 'imaml' ? 'iMAML' : 'MAML (2nd order)'} | ${r.innerSteps} | ${MB(r.peakBytes)} (${MB(r.peakBytesAboveResident)}) | ${r.tensorsBefore} → ${r.tensorsAfter} | ${MB(r.peakRssBytes)} (${MB(r.peakRssBytes! - r.setupRssBytes!)}) | ${MS(r.firstStepMs)} | ${MS(r.stepMs)} |`
    : `| ${r.learner === 'imaml' ? 'iMAML' : 'MAML (2nd order)'} | ${r.innerSteps} | failed: ${r.error} | | | | |`);
  return [head, ...rows].join('\n');
}

async function parent(argv: string[]): Promise<void> {
  const backend = argValue(argv, '--backend') ?? 'wasm';
  const models = (argValue(argv, '--models') ?? 'conv4,mlp').split(',') as Model[];
  const innerSteps = (argValue(argv, '--inner-steps') ?? '1,5,25,100').split(',').map(Number);
  const steps = argValue(argv, '--steps') ?? '2';
  const write = !argv.includes('--no-write');
  const commit = currentCommit();
  const records: MemoryRecord[] = [];
  const started = new Date().toISOString();
  const load = loadavg()[0]!;
  for (const model of models) {
    for (const learner of ['imaml', 'maml'] as const) {
      for (const k of innerSteps) {
        const args = ['--import', 'tsx', '--conditions=source', SCRIPT, '--child', '--learner', learner, '--model', model, '--inner-steps', String(k), '--steps', steps, '--backend', backend, '--commit', commit];
        const t0 = performance.now();
        const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
        const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        let record: MemoryRecord;
        if (r.status === 0 && line !== undefined) {
          record = JSON.parse(line.slice('RESULT '.length)) as MemoryRecord;
        } else {
          const lines = `${r.stderr ?? ''}\n${r.error?.message ?? ''}`.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && l.length < 300 && !l.startsWith('at '));
          const err = `exit ${r.status ?? r.signal}: ${lines.filter((l) => /error|abort|memory|OOM/i.test(l)).slice(0, 2).join(' / ') || lines.slice(-3).join(' / ')}`;
          record = { learner, model, backend, ...taskShape(model), innerSteps: k, metaBatch: 1, ok: false, error: err.slice(0, 200), commit };
        }
        records.push(record);
        console.log(`${model} ${learner} k=${k}: ${record.ok ? `peak ${MB(record.peakBytes)} MiB (+${MB(record.peakBytesAboveResident)}; tf.profile ${record.profilePeakBytes === null ? "failed" : MB(record.profilePeakBytes)}), RSS ${MB(record.peakRssBytes)} MiB, step ${MS(record.stepMs)} ms` : `FAILED ${record.error}`} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  }
  const meta = {
    script: 'packages/bench/scripts/imaml-memory.ts', command: `node --import tsx --conditions=source packages/bench/scripts/imaml-memory.ts ${argv.join(' ')}`.trim(),
    date: started, commit, backend, node: process.version, cpus: cpus().length, totalMemBytes: totalmem(), loadAverage1m: load,
    note: 'shared machine (2 cores, several concurrent jobs): times are inflated and noisy; memory figures are not affected',
  };
  const summary = [
    `Measured ${started.slice(0, 10)} at commit \`${commit}\`, backend \`${backend}\`, Node ${process.version}, on a shared ${cpus().length}-core machine`,
    `(1-minute load average ${load.toFixed(1)} at the start: times are inflated and noisy; the memory figures are not). One task per meta-batch,`,
    'Adam outer step; each row is its own process (peak RSS includes the wasm heap, which never shrinks).',
    'Peak tensor MiB: the peak of `tf.memory().numBytes` during one meta-step after a warm-up step (in brackets: above the bytes resident before it),',
    'read after every tensor allocation; `tf.profile(...).peakBytes` of the same step agrees where it works (JSON: `profilePeakBytes`) — it overflows the',
    'call stack on the ~10^5 kernels of second-order MAML with 100 inner steps on Conv-4 (`Math.max(...kernels)` in tfjs).',
    `Reproduce: \`${meta.command}\`; JSON: \`bench/results/imaml-memory.json\`.`,
  ].join('\n');
  const sections = models.map((m) => {
    const title = m === 'conv4' ? '### Conv-4, Omniglot-shaped 5-way 1-shot (28x28x1, 64 filters, 15 queries per class)' : '### Sinusoid MLP 1-40-40-1, K = 10';
    return `${title}\n\n${table(records.filter((r) => r.model === m))}`;
  });
  const markdown = `${summary}\n\n${sections.join('\n\n')}`;
  console.log(`\n${markdown}`);
  if (!write) return;
  const json = join(ROOT, 'bench', 'results', 'imaml-memory.json');
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ ...meta, records }, null, 2)}\n`);
  const readme = join(ROOT, 'packages', 'imaml', 'README.md');
  const begin = '<!-- imaml-memory:begin -->';
  const end = '<!-- imaml-memory:end -->';
  const text = readFileSync(readme, 'utf8');
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`imaml-memory: ${readme} must contain the markers ${begin} and ${end}`);
  writeFileSync(readme, `${text.slice(0, i + begin.length)}\n${markdown}\n${text.slice(j)}`);
  console.log(`\nwrote ${json} and the table in ${readme}`);
}

const argv = process.argv.slice(2);
if (argv.includes('--child')) await child(argv);
else await parent(argv);

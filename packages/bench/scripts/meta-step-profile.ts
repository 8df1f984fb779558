/**
 * Kernel profile of one MAML meta-step on Conv-4 Omniglot (28x28x1, 64 filters, strided), 5-way
 * 1-shot, 15 queries per class, one inner SGD step (innerLr 0.4, as MAML on Omniglot), first and
 * second order, on the active backend (wasm unless `--backend`). Synthetic episodes: the kernels
 * and shapes are those of real data. Prints per kernel name the total ms, share and call count
 * from `tf.profile`, then the wall time of unprofiled steps (median over `--steps`, after one
 * warm-up step).
 *
 * Usage: node --import tsx --conditions=source packages/bench/scripts/meta-step-profile.ts
 *          [--backend wasm|cpu] [--meta-batch 4] [--steps 5] [--top 15]
 */
import * as tf from '@tensorflow/tfjs-core';
import { createConv4, createLearner, createLinearHead, disposeEpisode, initEngine, type Episode } from '@metalearn/core';
import { syntheticEpisode } from '@metalearn/core/testing';
import { createGradientSolver } from '@metalearn/maml';

interface Args {
  backend: 'wasm' | 'cpu';
  metaBatch: number;
  steps: number;
  top: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { backend: 'wasm', metaBatch: 4, steps: 5, top: 15 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (flag === '--backend' && (value === 'wasm' || value === 'cpu')) args.backend = value;
    else if (flag === '--meta-batch') args.metaBatch = Number(value);
    else if (flag === '--steps') args.steps = Number(value);
    else if (flag === '--top') args.top = Number(value);
    else throw new Error(`meta-step-profile: unknown argument ${flag} ${value}`);
  }
  return args;
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const args = parseArgs(process.argv.slice(2));
await initEngine({ backend: args.backend, log: () => {} });

function episodes(seed: number): Episode[] {
  return Array.from({ length: args.metaBatch }, (_, i) =>
    syntheticEpisode(seed * 1000 + i, { kind: 'classification', ways: 5, shots: 1, queryShots: 15, inputShape: [28, 28, 1] }),
  );
}

for (const order of ['first', 'second'] as const) {
  const learner = createLearner({
    backbone: createConv4({ inputShape: [28, 28, 1] }),
    head: createLinearHead(),
    solver: createGradientSolver({ innerSteps: 1, innerLr: 0.4, order }),
    task: { kind: 'classification', ways: 5 },
    seed: 0,
    outerLr: 1e-3,
  });
  const warm = episodes(0);
  learner.metaTrainStep(warm);
  warm.forEach(disposeEpisode);

  const batch = episodes(1);
  const profile = await tf.profile(() => {
    learner.metaTrainStep(batch);
  });
  batch.forEach(disposeEpisode);
  const byName = new Map<string, { ms: number; calls: number }>();
  let totalMs = 0;
  for (const k of profile.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byName.set(k.name, entry);
    totalMs += ms;
  }
  const wall: number[] = [];
  for (let s = 0; s < args.steps; s++) {
    const b = episodes(2 + s);
    const start = performance.now();
    learner.metaTrainStep(b);
    wall.push(performance.now() - start);
    b.forEach(disposeEpisode);
  }
  console.log(`\n${order}-order MAML, Conv-4 Omniglot 5-way 1-shot (15 queries), meta-batch ${args.metaBatch}, ${args.backend}:`);
  console.log(`  unprofiled step: median ${median(wall).toFixed(0)} ms over ${args.steps}; profiled kernels sum ${totalMs.toFixed(0)} ms in ${profile.kernels.length} calls`);
  const rows = [...byName].sort((p, q) => q[1].ms - p[1].ms).slice(0, args.top);
  for (const [name, { ms, calls }] of rows) {
    console.log(`  ${name.padEnd(24)} ${ms.toFixed(1).padStart(9)} ms  ${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${String(calls).padStart(5)} calls`);
  }
  learner.dispose();
}

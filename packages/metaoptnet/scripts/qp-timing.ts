// Per-episode cost of MetaOptNet's head on the host: the QP forward (solveSvmDual, quadprog; both
// methods, 'byClass' (default) and 'full') and the KKT backward (svmDualBackward), for N-way
// K-shot support sets of D = 64 ReLU features
// (class means N(0, I), examples mean + N(0, I), then max(0, .)), default C = 0.1, ε = 1.
// CPU time (process.cpuUsage) is printed beside wall time: on a shared machine it is the fairer number.
// Usage: node --import tsx --conditions=source packages/metaoptnet/scripts/qp-timing.ts [ways:shots[:full] ...]
import { createRng } from '@metalearn/core';
import { solveSvmDual, svmDualBackward, svmKktResiduals, type SvmDualProblem } from '@metalearn/metaoptnet';

function problem(seed: number, ways: number, shots: number, d: number): SvmDualProblem {
  const rng = createRng(seed);
  const mu = Array.from({ length: ways }, () => Array.from({ length: d }, () => rng.normal()));
  const x = Array.from({ length: ways * shots }, (_, i) => mu[Math.floor(i / shots)]!.map((m) => Math.max(0, m + rng.normal())));
  const n = x.length;
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gram[i * n + j] = x[i]!.reduce((s, v, k) => s + v * x[j]![k]!, 0);
  return { gram, labels: Array.from({ length: n }, (_, i) => Math.floor(i / shots)), ways, C: 0.1, ridge: 1 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const configs = (process.argv.slice(2).length ? process.argv.slice(2) : ['5:1', '5:1:full', '5:5', '5:5:full', '20:1', '20:1:full', '5:15', '20:5']).map((s) => {
  const [w, k, m] = s.split(':');
  return [Number(w), Number(k), m === 'full' ? 'full' : 'byClass'] as const;
});
for (const [ways, shots, method] of configs) {
  const episodes = ways * shots * ways > 200 ? 5 : 15;
  const forward: number[] = [];
  const forwardCpu: number[] = [];
  const backward: number[] = [];
  let iterations = 0;
  let kkt = 0;
  let fellBack = 0;
  for (let e = 0; e < episodes; e++) {
    const p = problem(e, ways, shots, 64);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const s = solveSvmDual(p, { method });
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    forwardCpu.push((c1.user + c1.system) / 1000);
    const rng = createRng(1000 + e);
    svmDualBackward(p, s, Float64Array.from({ length: ways * ways * shots }, () => rng.normal()));
    const t2 = performance.now();
    forward.push(t1 - t0);
    backward.push(t2 - t1);
    iterations += s.iterations;
    if (s.method !== method) fellBack++;
    kkt = Math.max(kkt, svmKktResiduals(p, s).max);
  }
  console.log(`${ways}-way ${shots}-shot [${method}${fellBack ? `, ${fellBack} fell back to full` : ''}] (QP: ${ways * shots * ways} variables, ${ways * shots * (ways + 1)} constraints): forward median ${median(forward).toFixed(1)} ms wall (min ${Math.min(...forward).toFixed(1)}, max ${Math.max(...forward).toFixed(1)}), ${median(forwardCpu).toFixed(1)} ms CPU, backward median ${median(backward).toFixed(2)} ms, ${(iterations / episodes).toFixed(0)} quadprog iterations on average, max KKT residual ${kkt.toExponential(1)}, ${episodes} episodes`);
}

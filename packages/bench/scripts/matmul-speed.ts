/**
 * Micro-benchmark of the wasm `BatchMatMul` kernel: tfjs-backend-wasm 4.22's own (captured
 * before metalearn's engine fixes are installed) against metalearn's replacement
 * (kernel-batch-matmul-wasm.ts), on 512 x 512 products with every transpose combination, a
 * batched product, and the products of a Conv-4 Omniglot 5-way 1-shot meta-step (convolutions
 * written as im2col matmuls: forward NN, filter gradient TN, input gradient NT; the linear head).
 *
 * Each configuration runs both kernels back to back, alternating which goes first, `--runs`
 * times (default 11) after one warm-up each, and reports the median ms per op and the ratio (the
 * machine may be shared: ratios measured back to back are what to compare). For an untransposed
 * b both kernels reuse the XNNPACK operator packed for b at the warm-up (the C cache is shared).
 *
 * Usage: node --import tsx --conditions=source packages/bench/scripts/matmul-speed.ts [--runs N] [--json]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createRng, installEngineFixes } from '@metalearn/core';

/** One product: `a: [...batch, M, K]` (`[..., K, M]` when transposed) times `b`. */
interface Config {
  readonly name: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/** Omniglot Conv-4 (strided, 64 filters), 5-way 1-shot with 15 queries per class: N = 75 query images. */
function conv4Configs(): Config[] {
  const n = 75;
  const layers = [
    { name: 'conv1 28->14', rows: n * 14 * 14, taps: 9 * 1, co: 64 },
    { name: 'conv2 14->7', rows: n * 7 * 7, taps: 9 * 64, co: 64 },
    { name: 'conv3 7->4', rows: n * 4 * 4, taps: 9 * 64, co: 64 },
    { name: 'conv4 4->2', rows: n * 2 * 2, taps: 9 * 64, co: 64 },
  ];
  const out: Config[] = [];
  for (const l of layers) {
    out.push({ name: `${l.name} im2col forward  [${l.rows},${l.taps}]x[${l.taps},${l.co}]`, a: [l.rows, l.taps], b: [l.taps, l.co], transposeA: false, transposeB: false });
    out.push({ name: `${l.name} filter grad TN  [${l.rows},${l.taps}]^T x [${l.rows},${l.co}]`, a: [l.rows, l.taps], b: [l.rows, l.co], transposeA: true, transposeB: false });
    out.push({ name: `${l.name} input grad NT   [${l.rows},${l.co}]x[${l.taps},${l.co}]^T`, a: [l.rows, l.co], b: [l.taps, l.co], transposeA: false, transposeB: true });
  }
  out.push({ name: `head forward NN  [${n},64]x[64,5]`, a: [n, 64], b: [64, 5], transposeA: false, transposeB: false });
  out.push({ name: `head dW TN       [${n},64]^T x [${n},5]`, a: [n, 64], b: [n, 5], transposeA: true, transposeB: false });
  out.push({ name: `head dX NT       [${n},5]x[64,5]^T`, a: [n, 5], b: [64, 5], transposeA: false, transposeB: true });
  return out;
}

const CONFIGS: Config[] = [
  { name: '512x512 NN', a: [512, 512], b: [512, 512], transposeA: false, transposeB: false },
  { name: '512x512 TN', a: [512, 512], b: [512, 512], transposeA: true, transposeB: false },
  { name: '512x512 NT', a: [512, 512], b: [512, 512], transposeA: false, transposeB: true },
  { name: '512x512 TT', a: [512, 512], b: [512, 512], transposeA: true, transposeB: true },
  { name: 'batched [8,128,128]x[8,128,128] NN', a: [8, 128, 128], b: [8, 128, 128], transposeA: false, transposeB: false },
  { name: 'batched [8,128,128]x[128,128] NT', a: [8, 128, 128], b: [128, 128], transposeA: false, transposeB: true },
  ...conv4Configs(),
];

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function parseArgs(argv: string[]): { runs: number; json: boolean } {
  let runs = 11;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--json') json = true;
    else throw new Error(`matmul-speed: unknown argument ${argv[i]}`);
  }
  if (!(Number.isInteger(runs) && runs >= 10)) throw new Error(`matmul-speed: --runs must be an integer >= 10, got ${runs}`);
  return { runs, json };
}

const { runs, json } = parseArgs(process.argv.slice(2));
await tf.setBackend('wasm');
const stock = tf.getKernel('BatchMatMul', 'wasm');
if (stock === undefined) throw new Error('matmul-speed: wasm BatchMatMul is not registered');
installEngineFixes();
const ours = tf.getKernel('BatchMatMul', 'wasm')!;
if (ours === stock) throw new Error('matmul-speed: the engine fixes did not replace wasm BatchMatMul');
const backend = tf.backend() as unknown as tf.KernelBackend & { disposeData(dataId: tf.DataId): boolean };

/** ms of one call of `kernel` (output disposed). */
function timeOnce(kernel: tf.KernelConfig, a: tf.Tensor, b: tf.Tensor, c: Config): number {
  const start = performance.now();
  const out = kernel.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: c.transposeA, transposeB: c.transposeB } }) as tf.TensorInfo;
  const ms = performance.now() - start;
  backend.disposeData(out.dataId);
  return ms;
}

const rng = createRng(1);
const rows: { name: string; beforeMs: number; afterMs: number; ratio: number }[] = [];
for (const c of CONFIGS) {
  const a = tf.tensor(Float32Array.from({ length: c.a.reduce((p, d) => p * d, 1) }, () => rng.normal()), c.a);
  const b = tf.tensor(Float32Array.from({ length: c.b.reduce((p, d) => p * d, 1) }, () => rng.normal()), c.b);
  timeOnce(stock, a, b, c);
  timeOnce(ours, a, b, c);
  const before: number[] = [];
  const after: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Alternate which kernel runs first (the second one of a pair was measured ~20% slower).
    if (r % 2 === 0) {
      before.push(timeOnce(stock, a, b, c));
      after.push(timeOnce(ours, a, b, c));
    } else {
      after.push(timeOnce(ours, a, b, c));
      before.push(timeOnce(stock, a, b, c));
    }
  }
  tf.dispose([a, b]);
  const row = { name: c.name, beforeMs: median(before), afterMs: median(after), ratio: median(before) / median(after) };
  rows.push(row);
  if (json) console.log(JSON.stringify({ ...row, runs, a: c.a, b: c.b, transposeA: c.transposeA, transposeB: c.transposeB }));
  else console.log(`${c.name.padEnd(62)} tfjs ${row.beforeMs.toFixed(3).padStart(9)} ms   ours ${row.afterMs.toFixed(3).padStart(9)} ms   x${row.ratio.toFixed(1)}`);
}

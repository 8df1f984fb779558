// First and second derivatives of every re-registered gradient against central finite
// differences, on every backend (see engine-gradients-fd.ts for h and the tolerances). Each case
// is a scalar F(x) built so that its Hessian-vector product runs the op's gradient *backwards*
// again: F = Σ w ⊙ op(x) for nonlinear elementwise ops (H v = w ⊙ op'' ⊙ v), F = Σ w ⊙ op(x)² for
// linear ones (H v = 2 Lᵀ(w ⊙ L v), which differentiates the op's gradient with respect to dy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, initEngine, logSoftmax } from '@metalearn/core';
import { derivativeErrors, separated, type MultiFn } from './engine-gradients-fd.js';

const TOL = 2e-3;

interface Case {
  readonly name: string;
  readonly f: MultiFn;
  /** Fresh inputs (owned by the harness). */
  readonly inputs: () => tf.Tensor[];
  readonly h?: number;
  /** Backends whose kernels lack this op (skipped there). */
  readonly skip?: readonly string[];
}

const rng = createRng(20240611);
/** A fixed standard-normal tensor (values drawn now, tensor made on demand after the backend is up). */
const normal = (shape: number[], scale = 1): (() => tf.Tensor) => {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = Array.from({ length: n }, () => scale * rng.normal());
  return () => tf.tensor(values, shape, 'float32');
};
/** A fixed weight tensor per case, so symmetric errors cannot cancel. */
const weights = (shape: number[]): (() => tf.Tensor) => normal(shape);
const uniform = (shape: number[], lo: number, hi: number): (() => tf.Tensor) => {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = Array.from({ length: n }, () => rng.uniform(lo, hi));
  return () => tf.tensor(values, shape, 'float32');
};
const sep = (shape: number[], lo: number, spacing: number): (() => tf.Tensor) => {
  const seed = rng.seed();
  return () => separated(createRng(seed), shape, lo, spacing);
};

/** A case `Σ w ⊙ op(xs)` with a fixed random weight `w` of `outShape`. */
function weighted(name: string, outShape: number[], op: (xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], h?: number): Case {
  const w = weights(outShape);
  return { name, f: (xs) => tf.sum(tf.mul(w(), op(xs))), inputs, ...(h === undefined ? {} : { h }) };
}
/** Σ w ⊙ op(x) for a unary elementwise op on a [3, 4] input. */
function unary(name: string, op: (x: tf.Tensor) => tf.Tensor, inputs: () => tf.Tensor, h?: number): Case {
  const w = weights([3, 4]);
  return { name, f: ([x]) => tf.sum(tf.mul(w(), op(x!))), inputs: () => [inputs()], ...(h === undefined ? {} : { h }) };
}
/** Σ w ⊙ L(xs)² for a linear (or piecewise-linear) op L. */
function squared(name: string, op: (xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], outShape: number[], h?: number, skip?: string[]): Case {
  const w = weights(outShape);
  return { name, f: (xs) => tf.sum(tf.mul(w(), tf.square(op(xs)))), inputs, ...(h === undefined ? {} : { h }), ...(skip ? { skip } : {}) };
}
/** Σ w ⊙ op(a, b) for a binary op with broadcasting a [3, 4], b `bShape`. */
function binary(name: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: () => tf.Tensor, b: () => tf.Tensor, h?: number): Case {
  const w = weights([3, 4]);
  return { name, f: ([x, y]) => tf.sum(tf.mul(w(), op(x!, y!))), inputs: () => [a(), b()], ...(h === undefined ? {} : { h }) };
}

const S = [3, 4];

const cases: Case[] = [
  // elementwise unary, smooth
  unary('exp', tf.exp, normal(S, 0.5)),
  unary('expm1', tf.expm1, normal(S, 0.5)),
  unary('tanh', tf.tanh, normal(S)),
  unary('sigmoid', tf.sigmoid, normal(S)),
  unary('softplus', tf.softplus, normal(S)),
  unary('log', tf.log, uniform(S, 0.5, 2)),
  unary('log1p', tf.log1p, uniform(S, -0.4, 1)),
  unary('sqrt', tf.sqrt, uniform(S, 0.5, 2)),
  unary('rsqrt', tf.rsqrt, uniform(S, 0.5, 2)),
  unary('reciprocal', tf.reciprocal, uniform(S, 0.8, 2)),
  unary('square', tf.square, normal(S)),
  unary('sin', tf.sin, normal(S)),
  unary('cos', tf.cos, normal(S)),
  unary('tan', tf.tan, uniform(S, -1, 1)),
  unary('sinh', tf.sinh, normal(S)),
  unary('cosh', tf.cosh, normal(S)),
  unary('asin', tf.asin, uniform(S, -0.7, 0.7)),
  unary('acos', tf.acos, uniform(S, -0.7, 0.7)),
  unary('atan', tf.atan, normal(S)),
  unary('asinh', tf.asinh, normal(S)),
  unary('acosh', tf.acosh, uniform(S, 1.5, 3)),
  unary('atanh', tf.atanh, uniform(S, -0.7, 0.7)),
  unary('erf', tf.erf, normal(S)),
  unary('neg ∘ tanh', (x) => tf.neg(tf.tanh(x)), normal(S)),
  // elementwise unary, piecewise (inputs kept ≥ 0.05 from every kink, h = 1e-3)
  unary('elu', tf.elu, sep(S, -1.525, 0.25), 1e-3),
  unary('selu', tf.selu, sep(S, -1.525, 0.25), 1e-3),
  unary('abs ∘ sin', (x) => tf.abs(tf.sin(x)), sep(S, -1.525, 0.25), 1e-3),
  unary('relu²', (x) => tf.square(tf.relu(x)), sep(S, -1.525, 0.25), 1e-3),
  unary('relu6²', (x) => tf.square(tf.relu6(x)), sep(S, -0.9, 0.7), 1e-3),
  unary('leakyRelu²', (x) => tf.square(tf.leakyRelu(x, 0.2)), sep(S, -1.525, 0.25), 1e-3),
  unary('clipByValue²', (x) => tf.square(tf.clipByValue(x, -0.6, 0.8)), sep(S, -1.525, 0.25), 1e-3),
  unary('cast, clone', (x) => tf.square(tf.clone(tf.cast(x, 'float32'))), normal(S)),
  { name: 'prelu² (x and alpha)', f: ([x, a]) => tf.sum(tf.square(tf.prelu(x!, a!))), inputs: () => [sep(S, -1.525, 0.25)(), normal([4])()], h: 1e-3 },
  // elementwise binary with broadcasting
  binary('add', (a, b) => tf.square(tf.add(a, b)), normal(S), normal([4])),
  binary('sub', (a, b) => tf.square(tf.sub(a, b)), normal(S), normal([1, 4])),
  binary('mul', tf.mul, normal(S), normal([3, 1])),
  binary('mul scalar', tf.mul, normal(S), normal([])),
  binary('div', tf.div, normal(S), uniform([4], 0.5, 2)),
  binary('squaredDifference', tf.squaredDifference, normal(S), normal([4])),
  binary('pow (base and exponent)', tf.pow, uniform(S, 0.5, 2), normal([4], 0.7)),
  binary('maximum²', (a, b) => tf.square(tf.maximum(a, b)), sep(S, -1.525, 0.25), () => tf.tensor1d([0.1, -0.3, 0.4, -0.8])),
  binary('minimum²', (a, b) => tf.square(tf.minimum(a, b)), sep(S, -1.525, 0.25), () => tf.tensor1d([0.1, -0.3, 0.4, -0.8])),
  binary('atan2', tf.atan2, normal(S), uniform([4], 0.5, 2)),
  binary('where (both branches)', (a, b) => tf.where(tf.cast(tf.tensor2d([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0]]), 'bool'), tf.square(a), tf.mul(b, a)), normal(S), normal(S)),
  { name: 'addN', f: ([a, b, c]) => tf.sum(tf.square(tf.addN([a!, b!, c!]))), inputs: () => [normal([4])(), normal([4])(), normal([4])()] },
  // reductions
  squared('sum(axis 1)', ([x]) => tf.sum(x!, 1), () => [normal([3, 4])()], [3]),
  squared('sum(all)', ([x]) => tf.sum(x!), () => [normal([3, 4])()], []),
  squared('mean(axis 0, keepDims)', ([x]) => tf.mean(x!, 0, true), () => [normal([3, 4])()], [1, 4]),
  squared('max(axis 1)', ([x]) => tf.max(x!, 1), () => [sep([3, 4], -1.5, 0.25)()], [3], 1e-3),
  squared('min(axis 0)', ([x]) => tf.min(x!, 0), () => [sep([3, 4], -1.5, 0.25)()], [4], 1e-3),
  { name: 'logSumExp', f: ([x]) => tf.sum(tf.logSumExp(x!, 1)), inputs: () => [normal([3, 4])()], h: 1e-3 },
  weighted('softmax', [3, 4], ([x]) => tf.softmax(x!), () => [normal([3, 4])()]),
  weighted('logSoftmax (metalearn)', [3, 4], ([x]) => logSoftmax(x!), () => [normal([3, 4])()]),
  // layout
  squared('reshape', ([x]) => tf.reshape(x!, [2, 6]), () => [normal([3, 4])()], [2, 6]),
  squared('transpose', ([x]) => tf.transpose(x!, [2, 0, 1]), () => [normal([2, 3, 2])()], [2, 2, 3]),
  squared('slice', ([x]) => tf.slice(x!, [1, 1], [2, -1]), () => [normal([3, 4])()], [2, 3]),
  squared('pad', ([x]) => tf.pad(x!, [[1, 0], [2, 1]], 0.5), () => [normal([3, 4])()], [4, 7]),
  squared('concat', ([a, b]) => tf.concat([a!, b!], 1), () => [normal([3, 2])(), normal([3, 3])()], [3, 5]),
  squared('stack', ([a, b]) => tf.stack([a!, b!], 1), () => [normal([3])(), normal([3])()], [3, 2]),
  { name: 'unstack', f: ([x]) => { const [p, q] = tf.unstack(x!, 1); return tf.sum(tf.mul(tf.square(p!), q!)); }, inputs: () => [normal([3, 2])()] },
  { name: 'split', f: ([x]) => { const [p, q] = tf.split(x!, [1, 3], 1); return tf.sum(tf.mul(tf.square(p!), tf.sum(q!, 1, true))); }, inputs: () => [normal([3, 4])()] },
  squared('tile', ([x]) => tf.tile(x!, [2, 3]), () => [normal([2, 2])()], [4, 6]),
  squared('broadcastTo', ([x]) => tf.broadcastTo(x!, [3, 2, 4]), () => [normal([2, 1])()], [3, 2, 4]),
  squared('reverse', ([x]) => tf.reverse(x!, 1), () => [normal([3, 4])()], [3, 4]),
  squared('expandDims, squeeze', ([x]) => tf.squeeze(tf.expandDims(x!, 1), [1]), () => [normal([3, 4])()], [3, 4]),
  squared('gather (duplicate indices)', ([x]) => tf.gather(x!, tf.tensor1d([2, 0, 2], 'int32'), 0), () => [normal([3, 4])()], [3, 4]),
  squared('gather axis 1', ([x]) => tf.gather(x!, tf.tensor1d([3, 1], 'int32'), 1), () => [normal([3, 4])()], [3, 2]),
  squared('gatherND', ([x]) => tf.gatherND(x!, tf.tensor2d([[0, 1], [2, 3], [0, 1]], [3, 2], 'int32')), () => [normal([3, 4])()], [3]),
  squared('scatterND', ([u]) => tf.scatterND(tf.tensor2d([[1], [3], [1]], [3, 1], 'int32'), u!, [4, 2]), () => [normal([3, 2])()], [4, 2]),
  squared('unsortedSegmentSum', ([x]) => tf.unsortedSegmentSum(x!, tf.tensor1d([1, 0, 1], 'int32'), 2), () => [normal([3, 4])()], [2, 4], undefined, ['wasm']),
  // linear algebra and networks
  squared('matMul', ([a, b]) => tf.matMul(a!, b!), () => [normal([3, 4])(), normal([4, 2])()], [3, 2]),
  squared('matMul transposeA', ([a, b]) => tf.matMul(a!, b!, true, false), () => [normal([4, 3])(), normal([4, 2])()], [3, 2]),
  squared('matMul transposeB', ([a, b]) => tf.matMul(a!, b!, false, true), () => [normal([3, 4])(), normal([2, 4])()], [3, 2]),
  squared('matMul both transposed', ([a, b]) => tf.matMul(a!, b!, true, true), () => [normal([4, 3])(), normal([2, 4])()], [3, 2]),
  squared('batched matMul', ([a, b]) => tf.matMul(a!, b!), () => [normal([2, 3, 4])(), normal([2, 4, 2])()], [2, 3, 2]),
  weighted('batchNorm (x, mean, variance, offset, scale)', [2, 3, 2, 3], ([x, m, v, o, s]) => tf.square(tf.batchNorm(x!, m!, v!, o!, s!, 1e-3)),
    () => [normal([2, 3, 2, 3])(), normal([3])(), uniform([3], 0.5, 2)(), normal([3])(), normal([3])()]),
  weighted('batchNorm with batch moments (train mode)', [2, 3, 2, 3], ([x, o, s]) => {
    const { mean, variance } = tf.moments(x!, [0, 1, 2]);
    return tf.tanh(tf.batchNorm(x!, mean, variance, o!, s!, 1e-3));
  }, () => [normal([2, 3, 2, 3])(), normal([3])(), normal([3])()]),
  squared('conv2d (x; same, stride 2)', ([x]) => tf.conv2d(x as tf.Tensor4D, tf.tensor4d(Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => Math.sin(i + 1)), [3, 3, 2, 3]), 2, 'same'), () => [normal([2, 5, 5, 2])()], [2, 3, 3, 3]),
  squared('conv2d (x; valid, stride 1)', ([x]) => tf.conv2d(x as tf.Tensor4D, tf.tensor4d(Array.from({ length: 2 * 2 * 2 * 2 }, (_, i) => Math.cos(i)), [2, 2, 2, 2]), 1, 'valid'), () => [normal([1, 4, 4, 2])()], [1, 3, 3, 2]),
  squared('conv2dTranspose (x)', ([x]) => tf.conv2dTranspose(x as tf.Tensor4D, tf.tensor4d(Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => Math.sin(2 * i)), [3, 3, 2, 3]), [1, 6, 6, 2], 2, 'same'), () => [normal([1, 3, 3, 3])()], [1, 6, 6, 2]),
  squared('maxPool 2x2 stride 2 valid, 3 channels', ([x]) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), () => [sep([2, 4, 5, 3], -3, 0.05)()], [2, 2, 2, 3], 1e-3),
  squared('maxPool 3x3 stride 2 same (overlapping)', ([x]) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), () => [sep([1, 5, 5, 2], -2.5, 0.1)()], [1, 3, 3, 2], 1e-3),
  squared('maxPool 2x2 stride 1 same', ([x]) => tf.maxPool(x as tf.Tensor4D, 2, 1, 'same'), () => [sep([1, 3, 4, 2], -2.5, 0.2)()], [1, 3, 4, 2], 1e-3),
  squared('maxPool 2x2 stride 2 same (odd size, padded)', ([x]) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'same'), () => [sep([1, 5, 3, 2], -2.5, 0.1)()], [1, 3, 2, 2], 1e-3),
  squared('avgPool 3x3 stride 2 valid (overlapping)', ([x]) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'valid'), () => [normal([1, 5, 7, 2])()], [1, 2, 3, 2]),
  squared('avgPool 2x2 stride 2 same (odd size, padded)', ([x]) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'same'), () => [normal([1, 5, 3, 2])()], [1, 3, 2, 2]),
  squared('avgPool 2x2 stride 2 valid', ([x]) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), () => [normal([2, 4, 4, 3])()], [2, 2, 2, 3]),
  squared('avgPool 3x3 stride 1 same (border windows)', ([x]) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'), () => [normal([1, 4, 3, 2])()], [1, 4, 3, 2]),
  weighted('LRN', [1, 2, 2, 6], ([x]) => tf.localResponseNormalization(x as tf.Tensor4D, 2, 1.5, 0.3, 0.75), () => [normal([1, 2, 2, 6])()]),
];

test('first and second derivatives of every re-registered gradient match central finite differences, on every backend', async (t) => {
  const backends = await availableBackends();
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), backends.join());
  const failures: string[] = [];
  let worstFirst = 0;
  let worstSecond = 0;
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    for (const [k, c] of cases.entries()) {
      if (c.skip?.includes(backend)) continue;
      const xs = c.inputs();
      const before = tf.memory().numTensors;
      let e;
      try {
        e = derivativeErrors(c.f, xs, 1000 + k, c.h ?? 4e-3);
      } catch (err) {
        failures.push(`${backend} ${c.name}: threw ${(err as Error).message}`);
        xs.forEach((x) => x.dispose());
        continue;
      }
      if (tf.memory().numTensors !== before) failures.push(`${backend} ${c.name}: leaked ${tf.memory().numTensors - before} tensors`);
      xs.forEach((x) => x.dispose());
      if (e.first > TOL / 4 || e.second > TOL / 4) t.diagnostic(`${backend} ${c.name}: first ${e.first.toExponential(2)}, second ${e.second.toExponential(2)}`);
      worstFirst = Math.max(worstFirst, e.first);
      worstSecond = Math.max(worstSecond, e.second);
      if (!(e.first <= TOL)) failures.push(`${backend} ${c.name}: first-derivative error ${e.first.toExponential(2)} > ${TOL}`);
      if (!(e.second <= TOL)) failures.push(`${backend} ${c.name}: Hessian-vector error ${e.second.toExponential(2)} > ${TOL}`);
      if (!(e.hvpScale > 1e-3)) failures.push(`${backend} ${c.name}: H v is ~0 (${e.hvpScale}), the case does not test second order`);
    }
  }
  t.diagnostic(`${cases.length} cases; worst relative error: first ${worstFirst.toExponential(2)}, second ${worstSecond.toExponential(2)} (tolerance ${TOL})`);
  assert.deepEqual(failures, [], failures.join('\n'));
  // Measured on tfjs 4.22 (cpu and wasm, 89 cases): worst first 3.6e-4, worst second 2.2e-4.
  assert.ok(worstFirst < TOL && worstSecond < TOL);
});

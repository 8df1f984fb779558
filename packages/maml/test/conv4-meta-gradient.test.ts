// Second-order MAML through a full Conv-4 (both variants: strided and max-pooled; batch norm with
// batch statistics; smooth activation; 2 inner steps) — the meta-gradient by nested tapes against
// fourth-order central finite differences of the meta-loss, along one random direction in every
// parameter tensor, on every backend. Uses every engine fix at once: the conv backprop kernels and
// their gradients, the pool gradients, the re-registered elementwise gradients and the
// cross-entropy's exact second derivative.
//
// Why the inputs and weights are built, not drawn at random: max pooling is piecewise linear, and
// after an inner step the meta-loss is not even continuous there — the inner gradient routes
// through the arg-max of every window, so when an arg-max switches, the fast weights jump. A finite
// difference whose stencil straddles a switch measures that jump, not the derivative. With random
// 16x16 images and Glorot kernels (3 filters, head std 0.5) the ~3,600 windows of one meta-loss
// evaluation have top-two gaps down to ~1e-3, and per-entry stencils at h = 1e-3 crossed a switch
// for 247 of the 302 parameters (errors up to 0.33 against a gradient scale of 0.90; the 55 clean
// entries agreed to 2.3e-4), while the tape equalled, bit for bit, the one through a pool written
// as `sum(x * onehot(argmax))`. So here (a) every image is a "pyramid": in each 2x2 window at each
// of the 4 pooling levels one child wins by ~1, (b) the kernels are centre-dominant (centre
// U(0.5, 1) / sqrt(C_in), off-centre N(0, 0.03²)), so every block keeps the winners, and (c) the head
// is small (std 0.1), so the inner steps (lr 0.5) do not scramble the kernels. The test records the
// arg-max of every pooling window at every stencil point and asserts none differs from the
// centre's: the finite differences are then of one smooth piece (measured on cpu: every window's
// top-two gap is > 3.7x its largest change over the stencil; per-entry stencils on this problem,
// too slow to keep here, had no switch either and agreed to 1.1e-4 against a scale of 1.72).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, initEngine, createConv4, createLinearHead, createRng, initModel, type Params, type Rng } from '@metalearn/core';
import { createGradientSolver } from '@metalearn/maml';
import { metaLoss, tapeGradients, type Problem } from './helpers.js';

const SIZE = 16;

/**
 * A `size x size` image (`size` a power of 2) whose 2x2 max-pool pyramid has a clear winner in every
 * window at every level: pixel = U(0, 0.2) noise + the number of pyramid levels it wins (a random
 * child of every window wins it), so at every level the winner leads the other children by ~1.
 */
function pyramidImage(rng: Rng, size: number): number[] {
  const v = Array.from({ length: size * size }, () => rng.uniform(0, 0.2));
  const winner = (row: number, col: number, s: number): [number, number] => {
    if (s === 1) return [row, col];
    const half = s / 2;
    const kids = [[0, 0], [0, 1], [1, 0], [1, 1]].map(([a, b]) => winner(row + a! * half, col + b! * half, half));
    const [r, c] = kids[Math.min(3, Math.floor(rng.uniform(0, 4)))]!;
    v[r * size + c]! += 1;
    return [r, c];
  };
  winner(0, 0, size);
  return v;
}

function conv4Problem(variant: 'strided' | 'maxpool'): Problem {
  // 'softplus' is smooth and has no tfjs saved-output shortcut left after the engine fixes.
  const backbone = createConv4({ inputShape: [SIZE, SIZE, 1], filters: 3, variant, activation: 'softplus' });
  const head = createLinearHead({ init: 'normal', std: 0.1 });
  const rng = createRng(11);
  const images = (n: number) => tf.tensor4d(Array.from({ length: n }, () => pyramidImage(rng, SIZE)).flat(), [n, SIZE, SIZE, 1]);
  const theta: Record<string, tf.Tensor> = { ...initModel(backbone, head, 5, 2) };
  for (let l = 1; l <= 4; l++) {
    const name = `backbone/conv${l}/kernel`;
    const [kh, kw, cIn, cOut] = theta[name]!.shape as [number, number, number, number];
    const v = new Float32Array(kh * kw * cIn * cOut);
    for (let i = 0; i < v.length; i++) {
      const centre = Math.floor(i / (cIn * cOut)) === (kh >> 1) * kw + (kw >> 1);
      v[i] = centre ? rng.uniform(0.5, 1) / Math.sqrt(cIn) : 0.03 * rng.normal();
    }
    theta[name]!.dispose();
    theta[name] = tf.tensor4d(v, [kh, kw, cIn, cOut]);
  }
  return {
    backbone, head, task: { kind: 'classification', ways: 2 }, theta,
    support: { x: images(4), y: tf.tensor1d([0, 0, 1, 1], 'int32') },
    query: { x: images(6), y: tf.tensor1d([0, 0, 0, 1, 1, 1], 'int32') },
  };
}

/** Arg-max (0..3, row-major in the window) of every window of `x`: float32 `[B, H/2, 2, W/2, 2, C]`. */
function windowArgMax(x: tf.Tensor): Int8Array {
  const [b, h2, , w2, , c] = x.shape as number[];
  const v = x.dataSync();
  const out = new Int8Array(b! * h2! * w2! * c!);
  let k = 0;
  for (let i = 0; i < b! * h2!; i++) {
    for (let j = 0; j < w2!; j++) {
      for (let ch = 0; ch < c!; ch++, k++) {
        let best = -Infinity;
        for (let u = 0; u < 2; u++) {
          for (let w = 0; w < 2; w++) {
            const e = v[(((i * 2 + u) * w2! + j) * 2 + w) * c! + ch]!;
            if (e > best) { best = e; out[k] = 2 * u + w; }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Runs `f` while recording the arg-max of every 2x2 pooling window it evaluates, in order (core's
 * `maxPool2x2` is `Max` over axes [2, 4] of the rank-6 window view; a `MaxPool` kernel here would
 * mean that changed, and fails the test rather than going unrecorded).
 */
function withPoolArgMaxes(f: () => number): { value: number; argMax: Int8Array[] } {
  const engine = tf.engine() as unknown as { runKernel: (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => unknown };
  const runKernel = engine.runKernel;
  const argMax: Int8Array[] = [];
  engine.runKernel = function (this: unknown, name, inputs, attrs) {
    if (name === tf.MaxPool) throw new Error('withPoolArgMaxes: a MaxPool kernel ran; record its windows too');
    if (name === tf.Max && inputs['x']!.rank === 6) argMax.push(windowArgMax(inputs['x']!));
    return runKernel.call(this, name, inputs, attrs);
  };
  try {
    return { value: f(), argMax };
  } finally {
    engine.runKernel = runKernel;
  }
}

/** How many windows' arg-max differ between two recordings of the same computation. */
function switches(a: Int8Array[], b: Int8Array[]): number {
  assert.equal(a.length, b.length);
  let n = 0;
  a.forEach((x, i) => x.forEach((v, k) => { if (v !== b[i]![k]) n++; }));
  return n;
}

const backends = await availableBackends();
for (const backend of backends) {
  for (const variant of ['strided', 'maxpool'] as const) {
    test(`[${backend}] Conv-4 ${variant} + batch norm: second-order MAML meta-gradient (2 inner steps) equals finite differences of the meta-loss`, async () => {
      await initEngine({ backend, log: () => {} });
      const start = tf.memory().numTensors;
      const p = conv4Problem(variant);
      const solver = createGradientSolver({ innerSteps: 2, innerLr: 0.5, order: 'second' });
      const first = createGradientSolver({ innerSteps: 2, innerLr: 0.5, order: 'first' });
      const sp: Params = {};
      const loss = metaLoss(solver, p);
      const tape = tapeGradients(loss, p.theta, sp).theta;
      const firstOrder = tapeGradients(metaLoss(first, p), p.theta, sp).theta;
      const evaluate = (theta: Params) => withPoolArgMaxes(() => {
        const l = loss(theta, sp);
        const v = l.dataSync()[0]!;
        l.dispose();
        return v;
      });
      const centre = evaluate(p.theta);
      // 3 forward passes (support at theta_0, theta_1; query at theta_2) x 4 pools, plus the pools'
      // gradients re-locating the maxima in the 2 inner steps.
      assert.ok(variant === 'strided' ? centre.argMax.length === 0 : centre.argMax.length >= 12, `recorded ${centre.argMax.length} pools`);
      // h = 1e-2 with the 4th-order stencil: truncation ~h^4 / 30 |L^(5)|, negligible; float32
      // rounding of a loss ~1.4 contributes ~1e-7 * 18 / (12 h) ~ 2e-5.
      const h = 1e-2;
      const rng = createRng(99);
      let err = 0;
      let scale = 0;
      let foErr = 0;
      let switched = 0;
      for (const name of Object.keys(p.theta).sort()) {
        const base = p.theta[name]!.dataSync();
        const u = Array.from(base, () => rng.normal());
        const norm = Math.hypot(...u);
        const dir = u.map((x) => x / norm);
        const at = (delta: number): number => {
          const t = tf.tensor(Float32Array.from(base, (x, j) => x + delta * dir[j]!), p.theta[name]!.shape);
          const r = evaluate({ ...p.theta, [name]: t });
          t.dispose();
          switched += switches(r.argMax, centre.argMax);
          return r.value;
        };
        const fd = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
        const dot = (g: number[]) => dir.reduce((s, x, j) => s + x * g[j]!, 0);
        err = Math.max(err, Math.abs(dot(tape[name]!) - fd));
        foErr = Math.max(foErr, Math.abs(dot(firstOrder[name]!) - fd));
        scale = Math.max(scale, Math.abs(fd));
      }
      assert.equal(switched, 0, 'a pooling window changed its arg-max within the stencil: the finite differences would cross a jump');
      // Tolerance 1e-3 of the gradient's scale; first order must miss by far more, or the test
      // could not tell the two apart.
      assert.ok(err <= 1e-3 * scale, `second order: max |tape - fd| = ${err.toExponential(2)}, scale ${scale.toExponential(2)}`);
      assert.ok(foErr > 20 * err, `first order misses by ${foErr.toExponential(2)} vs second order ${err.toExponential(2)}`);
      for (const t of [...Object.values(p.theta), p.support.x, p.support.y, p.query.x, p.query.y]) t.dispose();
      assert.equal(tf.memory().numTensors, start);
      console.log(`[${backend}] ${variant}: err ${err.toExponential(2)} scale ${scale.toExponential(2)} first-order err ${foErr.toExponential(2)}`);
    });
  }
}

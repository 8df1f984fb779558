// Shared by the @metalearn/maml tests: a tiny seeded regression/classification problem, the
// meta-loss of a solver as a function of (theta, solverParams), its meta-gradient by tfjs, and
// central finite differences of the meta-loss (float32 losses, differences in float64).
import * as tf from '@tensorflow/tfjs-core';
import {
  createLinearHead, createMlp, createRng, initModel, taskLoss,
  type Backbone, type Head, type InnerSolver, type LabelledSet, type Params, type TaskSpec,
} from '@metalearn/core';

export interface Problem {
  readonly backbone: Backbone;
  readonly head: Head;
  readonly task: TaskSpec;
  readonly theta: Params;
  readonly support: LabelledSet;
  readonly query: LabelledSet;
}

/** Values of a tensor map, by name. */
export type Values = Record<string, number[]>;

/**
 * A smooth (tanh) MLP problem: regression 1-6-6-1 on a sinusoid-like task, or classification
 * 3-5-3 (3 ways, softmax cross-entropy). Inputs, targets and weights from fixed seeds.
 */
export function makeProblem(kind: 'regression' | 'classification', seed = 1): Problem {
  const rng = createRng(seed);
  if (kind === 'regression') {
    const backbone = createMlp({ inputDim: 1, hiddenSizes: [6, 6], activation: 'tanh', weightStd: 0.8 });
    const head = createLinearHead({ init: 'normal', std: 0.5 });
    const xs = Array.from({ length: 6 }, () => rng.uniform(-3, 3));
    const xq = Array.from({ length: 5 }, () => rng.uniform(-3, 3));
    const amp = 1.7;
    const phase = 0.6;
    const f = (x: number): number => amp * Math.sin(x - phase);
    return {
      backbone, head, task: { kind, ways: 1 }, theta: initModel(backbone, head, seed, 1),
      support: { x: tf.tensor2d(xs, [6, 1]), y: tf.tensor2d(xs.map(f), [6, 1]) },
      query: { x: tf.tensor2d(xq, [5, 1]), y: tf.tensor2d(xq.map(f), [5, 1]) },
    };
  }
  const backbone = createMlp({ inputDim: 3, hiddenSizes: [5], activation: 'tanh', weightStd: 0.8 });
  const head = createLinearHead({ init: 'normal', std: 0.7 });
  const points = (n: number): number[] => Array.from({ length: n * 3 }, () => rng.normal());
  return {
    backbone, head, task: { kind, ways: 3 }, theta: initModel(backbone, head, seed, 3),
    support: { x: tf.tensor2d(points(6), [6, 3]), y: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32') },
    query: { x: tf.tensor2d(points(6), [6, 3]), y: tf.tensor1d([2, 1, 0, 1, 0, 2], 'int32') },
  };
}

export function disposeProblem(p: Problem): void {
  for (const t of [...Object.values(p.theta), p.support.x, p.support.y, p.query.x, p.query.y]) t.dispose();
}

/** The meta-loss `L_query(adapt(theta, solverParams))`, or its MSL-weighted form when given. */
export function metaLoss(
  solver: InnerSolver, p: Problem, opts: { metaTraining?: boolean; metaStep?: number } = {},
): (theta: Params, solverParams: Params) => tf.Scalar {
  return (theta, solverParams) =>
    tf.tidy(() => {
      const a = solver.adapt({
        backbone: p.backbone, head: p.head, theta, solverParams, support: p.support, task: p.task,
        metaTraining: opts.metaTraining ?? true, metaStep: opts.metaStep ?? 0,
      });
      if (a.queryLossWeights !== undefined && a.stepPredict !== undefined) {
        const w = a.queryLossWeights;
        return tf.addN(a.stepPredict(p.query.x).map((pr, k) => tf.mul(taskLoss(p.task.kind, pr, p.query.y), w[k]!))) as tf.Scalar;
      }
      return taskLoss(p.task.kind, a.predict(p.query.x), p.query.y);
    });
}

function read(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** The meta-gradient by tfjs (nested tapes): d loss / d theta and d loss / d solverParams. */
export function tapeGradients(loss: (theta: Params, sp: Params) => tf.Scalar, theta: Params, sp: Params): { theta: Values; solver: Values; value: number } {
  const tn = Object.keys(theta).sort();
  const sn = Object.keys(sp).sort();
  const xs = [...tn.map((n) => theta[n]!), ...sn.map((n) => sp[n]!)];
  const out = { theta: {} as Values, solver: {} as Values, value: 0 };
  tf.tidy(() => {
    const { value, grads } = tf.engine().gradients(() => loss(theta, sp), xs, undefined, true);
    out.value = value.dataSync()[0]!;
    tn.forEach((n, i) => (out.theta[n] = grads[i] ? read(grads[i]!) : new Array<number>(theta[n]!.size).fill(0)));
    sn.forEach((n, i) => (out.solver[n] = grads[tn.length + i] ? read(grads[tn.length + i]!) : new Array<number>(sp[n]!.size).fill(0)));
  });
  return out;
}

/**
 * Fourth-order central finite differences of every entry of `which`:
 * `(-L(w + 2h e_j) + 8 L(w + h e_j) - 8 L(w - h e_j) + L(w - 2h e_j)) / (12 h)`, truncation error
 * `h^4 / 30 |L^(5)|` (the plain two-point difference's `h^2 / 6 |L'''|` dominated at h = 1e-2 and
 * float32 rounding rules out a much smaller h).
 */
export function fdGradients(loss: (theta: Params, sp: Params) => tf.Scalar, theta: Params, sp: Params, which: 'theta' | 'solver', eps: number): Values {
  const target = which === 'theta' ? theta : sp;
  const out: Values = {};
  for (const n of Object.keys(target).sort()) {
    const base = target[n]!.dataSync().slice();
    const g: number[] = [];
    for (let j = 0; j < base.length; j++) {
      const at = (delta: number): number => {
        const v = Float32Array.from(base);
        v[j] = v[j]! + delta;
        const t = tf.tensor(v, target[n]!.shape);
        const th = which === 'theta' ? { ...theta, [n]: t } : theta;
        const s = which === 'solver' ? { ...sp, [n]: t } : sp;
        const l = loss(th, s);
        const r = l.dataSync()[0]!;
        l.dispose();
        t.dispose();
        return r;
      };
      g.push((-at(2 * eps) + 8 * at(eps) - 8 * at(-eps) + at(-2 * eps)) / (12 * eps));
    }
    out[n] = g;
  }
  return out;
}

/** max_j |a_j - b_j| over every entry, and max_j |b_j| (the scale). */
export function maxDiff(a: Values, b: Values): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  for (const n of Object.keys(b)) {
    const x = a[n]!;
    const y = b[n]!;
    for (let j = 0; j < y.length; j++) {
      err = Math.max(err, Math.abs(x[j]! - y[j]!));
      scale = Math.max(scale, Math.abs(y[j]!));
    }
  }
  return { err, scale };
}

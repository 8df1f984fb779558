/**
 * Zero gradients for the kernels whose output is piecewise constant in their inputs:
 * comparisons (`Equal`, `NotEqual`, `Greater`, `GreaterEqual`, `Less`, `LessEqual`), logical ops
 * (`LogicalAnd`, `LogicalOr`, `LogicalXor`, `LogicalNot`), rounding (`Sign`, `Round`, `Floor`,
 * `Ceil`, `Step`, `FloorDiv`), tests (`IsNan`, `IsInf`, `IsFinite`), `ZerosLike`, `OnesLike`,
 * `ArgMax`, `ArgMin` and `OneHot` (its indices).
 *
 * Maths: ∂f/∂x = 0 almost everywhere. tfjs registers no gradient for most comparisons and
 * logical ops, so a second derivative through `max`, `relu6`, `clipByValue`, `where`, ... threw
 * "gradient function not found for Equal"; these registrations make such paths contribute 0.
 * (`FloorDiv` gets 0 here; tfjs gave it the gradient of real division, which is wrong.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { zerosFor } from './util.js';

function zeroGrad(kernelName: string, inputs: readonly string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: [...inputs],
    gradFunc: (_dy, saved) => {
      const out: Record<string, () => tf.Tensor> = {};
      inputs.forEach((name, i) => {
        out[name] = () => zerosFor(saved[i]!);
      });
      return out;
    },
  };
}

const BINARY = [tf.Equal, tf.NotEqual, tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.LogicalAnd, tf.LogicalOr, tf.LogicalXor, tf.FloorDiv];
const UNARY = [tf.LogicalNot, tf.Sign, tf.Round, tf.Floor, tf.Ceil, tf.Step, tf.IsNan, tf.IsInf, tf.IsFinite, tf.ZerosLike, tf.OnesLike, tf.ArgMax, tf.ArgMin];

/** One zero-gradient registration per piecewise-constant kernel. */
export const piecewiseConstantGradConfigs: readonly tf.GradConfig[] = [
  ...BINARY.map((k) => zeroGrad(k, ['a', 'b'])),
  ...UNARY.map((k) => zeroGrad(k, ['x'])),
  zeroGrad(tf.OneHot, ['indices']),
];

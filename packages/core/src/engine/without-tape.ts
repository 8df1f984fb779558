/**
 * Running a computation off every enclosing gradient tape: what makes iMAML's inner loop and its
 * backward pass cost memory independent of the number of inner steps.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` with every enclosing gradient tape paused, then restores them: no op of `fn` is
 * recorded on an outer `tf.grad` / `tf.variableGrads` / `tf.engine().gradients` tape, while `fn`
 * can still compute its own gradients (they start a fresh tape of their own, which tfjs frees as
 * soon as each of them returns).
 *
 * Why: tfjs records every op run under an active tape and keeps the tensors each op saves for its
 * backward pass until the *outermost* gradient call returns, even for ops that no path connects to
 * the differentiated inputs (a first-order inner loop on detached weights is filtered out of the
 * backward pass, but its saved activations still stay alive). An inner loop of `k` steps under
 * the outer tape therefore holds `O(k)` activations; paused, it holds those of one step. The
 * results of `fn` are constants for the outer tapes (PyTorch's `torch.no_grad()` around a loop
 * that itself calls `torch.autograd.grad`).
 *
 * Mechanism: tfjs records an op when `engine.state.gradientDepth > 0 && kernelDepth === 0` and
 * appends it to `engine.state.activeTape`; `fn` runs with depth 0, no kernel depth and no active
 * tape, and the three fields are restored afterwards (also when `fn` throws, after disposing the
 * tensors saved by any tape `fn` left half-built).
 *
 * @param fn - the computation; it may call `tf.grad`, `tf.engine().gradients`, etc.
 * @returns what `fn` returns (tensors are tracked by the current `tf.tidy` scope as usual).
 * @example
 * // Inside an outer tf.variableGrads: k support-gradient steps that the outer tape never sees.
 * const phiStar = withoutTape(() => innerLoop(theta, k));
 */
export function withoutTape<T>(fn: () => T): T {
  const state = tf.engine().state;
  const gradientDepth = state.gradientDepth;
  const kernelDepth = state.kernelDepth;
  const activeTape = state.activeTape;
  state.gradientDepth = 0;
  state.kernelDepth = 0;
  state.activeTape = null as unknown as typeof activeTape;
  try {
    return fn();
  } finally {
    // A gradient call of fn that threw leaves its tape (and the tensors it saved) behind.
    const leftover = state.activeTape as typeof activeTape | null;
    if (leftover != null) for (const node of leftover) for (const t of node.saved ?? []) t.dispose();
    state.gradientDepth = gradientDepth;
    state.kernelDepth = kernelDepth;
    state.activeTape = activeTape;
  }
}

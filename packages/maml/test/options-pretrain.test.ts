import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, initEngine, createMlp, createLinearHead, initModel, applyModel, disposeParams } from '@metalearn/core';
import { createGradientSolver, resolveGradientSolverOptions } from '@metalearn/maml';

test('innerSteps 0 (pretrained baseline): no adaptation while meta-training, evalInnerSteps steps at evaluation', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  assert.equal(resolveGradientSolverOptions({ innerSteps: 0, evalInnerSteps: 10 }).innerSteps, 0);
  assert.throws(() => resolveGradientSolverOptions({ innerSteps: 0, perStepLrs: true }), (e) => MetaLearnError.is(e, 'invalidArgument') && /innerSteps 0/.test((e as Error).message));
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [8] });
  const head = createLinearHead();
  const theta = initModel(backbone, head, 3, 1);
  const solver = createGradientSolver({ innerSteps: 0, evalInnerSteps: 2, innerLr: 0.1 });
  const support = { x: tf.tensor2d([[-1], [0.5], [2]]), y: tf.tensor2d([[1], [-1], [0.5]]) };
  const base = { backbone, head, theta, solverParams: {}, support, task: { kind: 'regression' as const, ways: 1 } };
  const x = tf.tensor2d([[0.3], [1.7]]);
  const ref = applyModel(backbone, head, theta, x, { training: true }).arraySync();
  const training = solver.adapt({ ...base, metaTraining: true });
  assert.deepEqual(training.predict(x).arraySync(), ref, 'meta-training predictions are theta\'s');
  const evaluation = solver.adapt({ ...base, metaTraining: false });
  assert.notDeepEqual(evaluation.predict(x).arraySync(), ref, 'evaluation adapts');
  tf.dispose([support.x, support.y, x]);
  disposeParams(theta);
});

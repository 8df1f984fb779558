// transplantState (eval at other ways or with another solver): the named prefixes are copied and
// must match; the if-same-shape prefixes (the same solver's meta-parameters at other ways) are
// copied where their shapes agree and left fresh where the ways shape them; nothing else moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError, type LearnerState } from '@metalearn/core';
import { transplantState } from '../src/transplant.js';

const t = (shape: number[], v: number) => ({ shape, values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => v) });

// Trained 20-way (source) and freshly composed 5-way (target): head and the head's rate depend on the ways.
const source: LearnerState = {
  learner: 'backprop', step: 300,
  tensors: { 'params/backbone/w': t([2, 2], 1), 'params/head/kernel': t([4, 20], 1), 'params/solver/logLambda': t([], -0.9), 'params/solver/lr/head/kernel': t([4, 20], 0.3), 'optimizer/m/params/backbone/w': t([2, 2], 9) },
};
const target: LearnerState = {
  learner: 'backprop', step: 0,
  tensors: { 'params/backbone/w': t([2, 2], 0), 'params/head/kernel': t([4, 5], 0), 'params/solver/logLambda': t([], 0), 'params/solver/lr/head/kernel': t([4, 5], 0.1), 'optimizer/m/params/backbone/w': t([2, 2], 0) },
};

test('transplantState at other ways: backbone copied, same-shaped solver parameters copied, ways-shaped ones and the head fresh', () => {
  const out = transplantState(target, source, ['params/backbone/'], ['params/solver/']);
  assert.deepEqual(out.tensors['params/backbone/w'], source.tensors['params/backbone/w']);
  assert.deepEqual(out.tensors['params/solver/logLambda'], source.tensors['params/solver/logLambda'], "the learned log λ carries over");
  assert.deepEqual(out.tensors['params/solver/lr/head/kernel'], target.tensors['params/solver/lr/head/kernel'], 'shaped by the ways: fresh');
  assert.deepEqual(out.tensors['params/head/kernel'], target.tensors['params/head/kernel']);
  assert.deepEqual(out.tensors['optimizer/m/params/backbone/w'], target.tensors['optimizer/m/params/backbone/w'], "the optimizer's state is the target's");
  assert.equal(out.step, 0);
  // Without the if-same-shape prefixes (another solver): the solver's parameters stay fresh.
  const other = transplantState(target, source, ['params/backbone/']);
  assert.deepEqual(other.tensors['params/solver/logLambda'], target.tensors['params/solver/logLambda']);
});

test('transplantState: a copied prefix with another shape, or with nothing to copy, is a checkpoint error naming it', () => {
  assert.throws(() => transplantState(target, source), (e) => MetaLearnError.is(e, 'checkpoint') && /'params\/head\/kernel' has shape \[4, 20\] in the trained run, the new composition needs \[4, 5\]/.test(e.message));
  assert.throws(() => transplantState(target, source, ['params/nothing/']), (e) => MetaLearnError.is(e, 'checkpoint') && /no tensor under params\/nothing\//.test(e.message));
});

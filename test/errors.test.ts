import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError } from '@metalearn/core';

test('MetaLearnError.is recognises the kind and rejects look-alikes', () => {
  const e = new MetaLearnError('duplicatePlugin', 'bindPlugin: twice');
  assert.equal(MetaLearnError.is(e), true);
  assert.equal(MetaLearnError.is(e, 'duplicatePlugin'), true);
  assert.equal(MetaLearnError.is(e, 'unknownPlugin'), false);
  assert.equal(MetaLearnError.is(new Error('x')), false);
  assert.equal(MetaLearnError.is({ kind: 'duplicatePlugin' }), false);
  assert.equal(e.kind, 'duplicatePlugin');
});

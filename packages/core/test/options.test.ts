import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MetaLearnError, parseOptions } from '@metalearn/core';

const schema = z.strictObject({
  steps: z.number().int().min(1).optional(),
  lr: z.number().positive().finite().optional(),
  adapt: z.union([z.string(), z.instanceof(RegExp)]).optional(),
  inner: z.strictObject({ a: z.number() }).optional(),
  name: z.string().default('x'),
});

/** The message `parseOptions(schema, value, 'fn', root)` throws (fails when it does not throw invalidArgument). */
function messageOf(value: unknown, root?: string): string {
  try {
    parseOptions(schema, value, 'fn', root);
  } catch (e) {
    assert.ok(MetaLearnError.is(e, 'invalidArgument'), String(e));
    return e.message;
  }
  assert.fail(`parseOptions accepted ${JSON.stringify(value)}`);
}

test('parseOptions returns the parsed value with the schema defaults applied', () => {
  assert.deepEqual(parseOptions(schema, {}, 'fn'), { name: 'x' });
  const re = /^head\//;
  assert.deepEqual(parseOptions(schema, { steps: 2, adapt: re, name: 'y' }, 'fn'), { steps: 2, adapt: re, name: 'y' });
});

test('parseOptions names the option, the rule and the value given (as written: JSON, RegExp, non-finite numbers)', () => {
  assert.equal(messageOf({ steps: 0 }), 'fn: options.steps: Too small: expected number to be >=1 (got 0)');
  assert.equal(messageOf({ steps: 1.5 }), 'fn: options.steps: Invalid input: expected int, received number (got 1.5)');
  assert.equal(messageOf({ lr: Infinity }), 'fn: options.lr: Invalid input: expected number, received Infinity (got Infinity)');
  assert.equal(messageOf({ lr: 'big' }), 'fn: options.lr: Invalid input: expected number, received string (got "big")');
  assert.equal(messageOf({ adapt: 5 }), 'fn: options.adapt: Invalid input (got 5)');
  assert.equal(messageOf({ inner: { a: 'x' } }), 'fn: options.inner.a: Invalid input: expected number, received string (got "x")');
  assert.equal(messageOf({ steps: 'a'.repeat(300) }), `fn: options.steps: Invalid input: expected number, received string (got "${'a'.repeat(119)}…)`);
});

test('parseOptions lists unrecognized keys, at the root and nested, and every failing path', () => {
  assert.equal(messageOf({ typo: 1, other: 2 }), 'fn: options: Unrecognized keys: "typo", "other" (typo, other)');
  assert.equal(messageOf({ inner: { a: 1, b: 2 } }), 'fn: options.inner: Unrecognized key: "b" (b) (got {"a":1,"b":2})');
  assert.equal(messageOf({ steps: 0, typo: 1 }), 'fn: options.steps: Too small: expected number to be >=1 (got 0); options: Unrecognized key: "typo" (typo)');
});

test('parseOptions: a non-object value and the root name', () => {
  assert.equal(messageOf(undefined), 'fn: options: Invalid input: expected object, received undefined');
  assert.equal(messageOf(5, 'config'), 'fn: config: Invalid input: expected object, received number');
  assert.equal(messageOf({ steps: 0 }, 'config'), 'fn: config.steps: Too small: expected number to be >=1 (got 0)');
});

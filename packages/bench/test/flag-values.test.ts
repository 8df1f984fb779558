// The CLI's flag parsers accept decimal notation only and name the flag in their errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError } from '@metalearn/core';
import { integerFlag, jsonFlag, numberFlag } from '../src/flag-values.js';

const refused = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test((e as Error).message), String(pattern));

test('numberFlag: decimal numbers with fraction and exponent; hex, empty, blank, Infinity and trailing text are refused', () => {
  const p = numberFlag('--inner-lr');
  assert.deepEqual(['0.1', '1e-3', '-2', '+.5', '3.', '2E+2', '007'].map(p), [0.1, 1e-3, -2, 0.5, 3, 200, 7]);
  for (const bad of ['0x10', '', ' ', 'Infinity', '1e999', '0.1lr', 'NaN', '1_000', '0b1']) refused(() => p(bad), new RegExp(`^--inner-lr must be a finite decimal number, got '${bad.replace(/[.+]/g, '\\$&')}'$`));
});

test('integerFlag: decimal integers (exponent allowed); fractions, hex and blanks are refused', () => {
  const p = integerFlag('--meta-steps');
  assert.deepEqual(['600', '1e5', '-1', '0'].map(p), [600, 100000, -1, 0]);
  for (const bad of ['2.5', '0x10', '', ' ', '1e-1', '9007199254740993']) refused(() => p(bad), /^--meta-steps must be an integer in decimal notation, of magnitude at most 2\^53 - 1, got '/);
});

test('jsonFlag: JSON values; a parse error names the flag, the value and the reason', () => {
  const p = jsonFlag('--solver-options');
  assert.deepEqual(p('{"lambda":2}'), { lambda: 2 });
  refused(() => p("{lambda:2}"), /^--solver-options must be JSON, got '\{lambda:2\}' \(.+\)$/);
});

// Every learner preset of `metalearn train --learner NAME` trains on the default dataset (the
// sinusoid, an MLP without batch norm) for two meta-steps to a finite loss, or refuses it with a
// MetaLearnError `unsupported` (a classification-only solver on a regression task), never another
// error; MAML++'s per-step batch norm is asked of Conv-4 only (an MLP has no batch norm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MetaLearnError } from '@metalearn/core';
import { runTrain } from '../src/commands/train.js';
import { PRESETS } from '../src/presets.js';
import { inTempDir } from './temp-dir.js';
import { resolveComposition } from '../src/compose.js';
import { resolveRunConfig } from '../src/run-config.js';

test('every preset trains two sinusoid meta-steps to a finite loss, or refuses the task as unsupported', async () => {
  const trained: string[] = [];
  const refused: string[] = [];
  await inTempDir('metalearn-presets-', async (dir) => {
    for (const name of Object.keys(PRESETS)) {
      const config = { dataset: 'sinusoid', learner: name, metaSteps: 2, metaBatch: 2, checkpointEvery: 2, logEvery: 1, seed: 0, workers: 1 };
      try {
        const r = await runTrain({ config, out: join(dir, name), resume: false, quiet: true, backend: 'cpu' });
        assert.equal(r.steps, 2, name);
        assert.ok(Number.isFinite(r.lastLoss), `${name}: loss ${r.lastLoss}`);
        trained.push(name);
      } catch (e) {
        assert.ok(MetaLearnError.is(e, 'unsupported') && /classification/.test((e as Error).message), `${name}: ${(e as Error).message}`);
        refused.push(name);
      }
    }
  });
  assert.ok(trained.includes('mamlpp'), `MAML++ trains on the sinusoid (trained: ${trained.join(', ')}; refused: ${refused.join(', ')})`);
  assert.ok(trained.length >= Object.keys(PRESETS).length - 1, `at most the SVM refuses regression; refused: ${refused.join(', ')}`);
});

test("MAML++ asks Conv-4 for per-step batch-norm statistics and the MLP for nothing", () => {
  const task = (inputShape: number[]) => ({ kind: 'regression' as const, ways: 1, inputShape });
  const mlp = resolveComposition(resolveRunConfig({ learner: 'mamlpp', dataset: 'sinusoid', innerSteps: 3 }), task([1]));
  assert.equal(mlp.backboneOptions['normSteps'], undefined);
  const conv = resolveComposition(resolveRunConfig({ learner: 'mamlpp', dataset: 'omniglot', innerSteps: 3 }), { ...task([28, 28, 1]), kind: 'classification', ways: 5 });
  assert.equal(conv.backboneOptions['normSteps'], 4, 'innerSteps + 1');
});

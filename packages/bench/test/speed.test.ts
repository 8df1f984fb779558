import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { countParams, initEngine, MetaLearnError } from '@metalearn/core';
import { createHostContainer } from '../src/container.js';
import { runSpeed, speedTimingPlan } from '../src/commands/speed.js';
import { listSpeedConfigurations, PEER_IMAML_CG_STEPS, PEER_IMAML_LAMBDA, PEER_META_LR, PEER_TIMING, SPEED_LEARNERS, SPEED_PROBLEMS } from '../src/speed/configurations.js';
import { createSpeedLearner } from '../src/speed/speed-learner.js';
import { speedEpisodePool } from '../src/speed/episode-pool.js';
import { defaultPeerScript, probePeer, runPeerConfiguration, TORCH_INSTALL_HINT } from '../src/speed/peer-runner.js';
import { buildSpeedRecord, formatSpeedRow, speedRatio, type SpeedRecord } from '../src/speed/speed-record.js';
import type { OursTiming } from '../src/speed/time-configuration.js';
import { parseSpeedWorkerSpec, runSpeedWorkerProcess, type CliCommand } from '../src/speed/worker-process.js';
import { lastJsonLine } from '../src/speed/last-json-line.js';
import { otherProcessesBusy } from '../src/speed/machine-load.js';

/** Our CLI from source, as `node --import tsx --conditions=source src/cli.ts`. */
const CLI: CliCommand = { execPath: process.execPath, args: ['--import', 'tsx', '--conditions=source', fileURLToPath(new URL('../src/cli.ts', import.meta.url))] };

const isMetaLearnError = (kind: string, pattern: RegExp) => (e: unknown) => MetaLearnError.is(e) && e.kind === kind && pattern.test(e.message);

test('bench speed: the configuration table has the peer\'s shapes and constants (its README, and its script when present)', async () => {
  // The peer README: sinusoid MLP 1-40-40-1, 10 + 10 points, meta-batch 25, inner lr 0.01;
  // Omniglot 5-way 1-shot on 28x28x1, 5 support + 75 query, meta-batch 4, inner lr 0.4.
  const s = SPEED_PROBLEMS.sinusoid;
  assert.deepEqual([s.kind, s.ways, s.shots, s.queryShots, s.metaBatch, s.innerLr, s.inputShape], ['regression', 1, 10, 10, 25, 0.01, [1]]);
  assert.deepEqual(s.backboneOptions, { hiddenSizes: [40, 40], activation: 'relu' });
  const o = SPEED_PROBLEMS.omniglot;
  assert.deepEqual([o.kind, o.ways, o.shots, o.ways * o.queryShots, o.metaBatch, o.innerLr, o.inputShape], ['classification', 5, 1, 75, 4, 0.4, [28, 28, 1]]);
  assert.deepEqual(o.backboneOptions, { filters: 64, variant: 'strided', pooling: 'flatten' });
  assert.deepEqual([PEER_META_LR, PEER_TIMING.warmupSteps, PEER_IMAML_LAMBDA, PEER_IMAML_CG_STEPS], [1e-3, 3, 1.0, 5]);
  assert.deepEqual(
    listSpeedConfigurations().map((c) => c.id),
    ['sinusoid/maml-1', 'sinusoid/maml-5', 'sinusoid/fomaml-1', 'sinusoid/anil-1', 'sinusoid/reptile-5', 'sinusoid/r2d2-1', 'sinusoid/imaml-1', 'sinusoid/cavia-1',
      'omniglot/maml-1', 'omniglot/maml-5', 'omniglot/fomaml-1', 'omniglot/anil-1', 'omniglot/reptile-5', 'omniglot/r2d2-1', 'omniglot/imaml-1', 'omniglot/cavia-1', 'omniglot/metaoptnet-1'],
  );
  const script = defaultPeerScript();
  if (existsSync(script)) {
    const py = readFileSync(script, 'utf8');
    const dict = (name: string) => Object.fromEntries([...(new RegExp(`"${name}": dict\\(([^)]*)\\)`).exec(py)![1]!.matchAll(/(\w+)=([\d.e-]+)/g))].map((m) => [m[1], Number(m[2])]));
    assert.deepEqual(dict('sinusoid'), { meta_batch: s.metaBatch, inner_lr: s.innerLr, n_support: s.shots, n_query: s.queryShots });
    assert.deepEqual(dict('omniglot'), { meta_batch: o.metaBatch, inner_lr: o.innerLr, n_way: o.ways, k_shot: o.shots, q_per_class: o.queryShots });
    const constant = (name: string) => Number(new RegExp(`^${name} = ([\\d.e-]+)$`, 'm').exec(py)![1]);
    assert.deepEqual([constant('META_LR'), constant('WARMUP'), constant('IMAML_LAMBDA'), constant('IMAML_CG_STEPS')], [PEER_META_LR, PEER_TIMING.warmupSteps, PEER_IMAML_LAMBDA, PEER_IMAML_CG_STEPS]);
    assert.match(py, /sizes = \[\(40, 1\), \(40, 40\), \(1, 40\)\]/);
    assert.match(py, /self\.feat_dim = 64 \* 2 \* 2/);
    const algos = /ALGOS = \[([^\]]*)\]/.exec(py)![1]!;
    for (const row of SPEED_LEARNERS) if (row.peerAlgo) assert.ok(algos.includes(`"${row.peerAlgo}"`), row.peerAlgo);
  }
  // The learners built through the container have the peer's parameter counts: MLP 40+40 + 1600+40
  // + 40+1 = 1761; Conv-4 + head 113,221 in the peer, less its 4 x 64 conv biases = 112,965.
  await initEngine({ backend: 'cpu', log: () => {} });
  const container = createHostContainer();
  const start = tf.memory().numTensors;
  for (const [id, expected] of [['sinusoid/maml-1', 1761], ['omniglot/maml-1', 112965], ['sinusoid/r2d2-1', 1764]] as const) {
    const c = listSpeedConfigurations().find((x) => x.id === id)!;
    const built = createSpeedLearner(container, c, 0);
    assert.equal(countParams(built.learner.params), expected, id);
    assert.equal(built.config.metaBatch, c.problem.metaBatch);
    assert.equal(built.config.outerLr, PEER_META_LR);
    built.learner.dispose();
  }
  const imaml = createSpeedLearner(container, listSpeedConfigurations().find((x) => x.id === 'omniglot/imaml-1')!, 0);
  assert.deepEqual(
    [imaml.composition.solver, imaml.composition.solverOptions['lambda'], imaml.composition.solverOptions['cgSteps'], imaml.composition.solverOptions['cgTol'], imaml.composition.solverOptions['innerLr'], imaml.composition.solverOptions['innerSteps']],
    ['implicit', 1, 5, 0, 0.4, 1],
  );
  imaml.learner.dispose();
  // The episode pool: 2 meta-batches of the peer's shapes.
  const pool = speedEpisodePool(o, 3);
  assert.deepEqual(pool.map((b) => b.length), [4, 4]);
  assert.deepEqual([pool[0]![0]!.support.x.shape, pool[0]![0]!.query.x.shape, pool[0]![0]!.query.y.shape], [[5, 28, 28, 1], [75, 28, 28, 1], [75]]);
  tf.dispose(pool.flat().flatMap((e) => [e.support.x, e.support.y, e.query.x, e.query.y]));
  assert.equal(tf.memory().numTensors, start);
});

test('bench speed: a worker process times sinusoid MAML (2 timed steps) with finite positive numbers and no leaked tensor, on cpu and wasm', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    const r = runSpeedWorkerProcess({ problem: 'sinusoid', learner: 'maml', innerSteps: 1, warmupSteps: 3, minTimed: 2, maxTimed: 2, minSeconds: 0, seed: 0, backend }, CLI, 120_000);
    assert.equal(r.backend, backend);
    assert.equal(r.timedSteps, 2);
    assert.equal(r.warmupSteps, 3);
    assert.equal(r.metaBatch, 25);
    assert.equal(r.metaParams, 1761);
    for (const k of ['medianMs', 'p95Ms', 'minMs', 'maxMs', 'tasksPerSecond', 'peakRssBytes', 'cpuMsPerStep', 'lastLoss'] as const) {
      assert.ok(Number.isFinite(r[k]) && r[k] > 0, `${backend} ${k} = ${r[k]}`);
    }
    assert.ok(r.minMs <= r.medianMs && r.medianMs <= r.p95Ms && r.p95Ms <= r.maxMs, `${backend}: min ${r.minMs} <= median ${r.medianMs} <= p95 ${r.p95Ms} <= max ${r.maxMs}`);
    assert.ok(Math.abs(r.tasksPerSecond - 25 / (r.medianMs / 1000)) < 1e-9 * r.tasksPerSecond);
    assert.ok(r.peakRssBytes >= r.setupRssBytes && r.setupRssBytes > 10 * 1024 * 1024, `${backend}: peak ${r.peakRssBytes} >= setup ${r.setupRssBytes} > 10 MiB`);
    assert.ok(r.tensorsBefore > 0);
    assert.equal(r.tensorsAfter, r.tensorsBefore, `${backend}: tensors after the timed steps`);
    assert.equal(r.allFinite, true);
  }
});

const ours = (medianMs: number): OursTiming => ({
  id: 'sinusoid/maml-1', problem: 'sinusoid', learner: 'maml', innerSteps: 1, metaBatch: 25, backend: 'wasm', threads: 1, workers: 1, solver: 'gradient', outerRule: 'backprop',
  metaParams: 1761, warmupSteps: 3, timedSteps: 10, medianMs, p95Ms: 1.5 * medianMs, minMs: medianMs / 2, maxMs: 2 * medianMs, tasksPerSecond: 25 / (medianMs / 1000),
  peakRssBytes: 300 * 1024 * 1024, setupRssBytes: 200 * 1024 * 1024, tensorsBefore: 218, tensorsAfter: 218, cpuMsPerStep: medianMs, otherProcessesBusy: 0.1,
  firstLoss: 4, lastLoss: 3, allFinite: true,
});

test('bench speed: the ratio ours/peer, the record and its table row', () => {
  assert.equal(speedRatio(30, 15), 2);
  assert.equal(speedRatio(7.5, 10), 0.75);
  assert.equal(speedRatio(30, null), null);
  assert.throws(() => speedRatio(0, 15), isMetaLearnError('invalidArgument', /oursMs/));
  assert.throws(() => speedRatio(30, Number.NaN), isMetaLearnError('invalidArgument', /peerMs/));
  const peer = { algo: 'maml' as const, steps: 1, metaBatch: 25, medianMs: 14.8, minMs: 14, maxMs: 16, tasksPerSecond: 25 / 0.0148, peakRssBytes: 150 * 1024 * 1024, timedSteps: 50, threads: 2, metaParams: 1761, otherProcessesBusy: 0 };
  const r: SpeedRecord = buildSpeedRecord(ours(29.6), peer, { note: null, commit: 'abc', date: '2026-01-01T00:00:00.000Z' });
  assert.equal(r.ratio, 29.6 / 14.8);
  assert.deepEqual([r.oursMs, r.oursP95Ms, r.peerMs, r.oursPeakRssBytes, r.peerPeakRssBytes, r.tensorsBefore, r.tensorsAfter, r.peerAlgo], [29.6, 1.5 * 29.6, 14.8, 300 * 1024 * 1024, 150 * 1024 * 1024, 218, 218, 'maml']);
  const row = formatSpeedRow(r);
  for (const cell of ['sinusoid/maml-1', '29.6', '44.4', '845', '14.8', '2.00x', '300/150', '218/218']) assert.ok(row.includes(cell), `'${cell}' in '${row}'`);
  const alone = buildSpeedRecord(ours(10), null, { note: 'no peer', commit: 'abc', date: 'd' });
  assert.deepEqual([alone.peerMs, alone.ratio, alone.peerPeakRssBytes, alone.peerTasksPerSecond, alone.peerAlgo], [null, null, null, null, null]);
  assert.match(formatSpeedRow(alone), /300\/- +218\/218$/);
});

test('bench speed: without python/torch or the peer script, peer fields are null and the fix is said once', async () => {
  const missingScript = probePeer({ script: '/nonexistent/torch_meta_bench.py', env: {} });
  assert.equal(missingScript.available, false);
  assert.match(!missingScript.available ? missingScript.reason : '', /--peer \/nonexistent\/torch_meta_bench\.py does not exist/);
  const fromEnv = probePeer({ env: { METALEARN_PEER: '/nonexistent/env-peer.py' } });
  assert.match(!fromEnv.available ? fromEnv.reason : '', /METALEARN_PEER=\/nonexistent\/env-peer\.py/);
  const noPython = probePeer({ script: fileURLToPath(import.meta.url), python: '/nonexistent/python3', env: {} });
  assert.equal(noPython.available, false);
  assert.ok(!noPython.available && noPython.hint.includes(TORCH_INSTALL_HINT) && noPython.reason.includes('/nonexistent/python3'));

  const dir = mkdtempSync(join(tmpdir(), 'metalearn-speed-'));
  try {
    const printed: string[] = [];
    const logged: string[] = [];
    const out = join(dir, 'speed.json');
    const records = await runSpeed({
      problems: ['sinusoid'], learners: ['anil', 'cavia'], timedSteps: 1, minSeconds: 0, backend: 'cpu', json: true, out,
      peerScript: fileURLToPath(import.meta.url), python: '/nonexistent/python3', cli: CLI, env: {},
      print: (l) => printed.push(l), log: (l) => logged.push(l),
    });
    assert.deepEqual(records.map((r) => `${r.problem}/${r.learner}-${r.innerSteps}`), ['sinusoid/anil-1', 'sinusoid/cavia-1']);
    const hints = logged.filter((l) => l.includes(TORCH_INSTALL_HINT));
    assert.equal(hints.length, 1, logged.join('\n'));
    assert.equal(printed.length, 2);
    const required = ['problem', 'learner', 'innerSteps', 'metaBatch', 'oursMs', 'oursP95Ms', 'peerMs', 'ratio', 'oursPeakRssBytes', 'peerPeakRssBytes', 'tensorsBefore', 'tensorsAfter', 'tasksPerSecond', 'backend', 'commit', 'date'];
    for (const line of printed) {
      const rec = JSON.parse(line) as Record<string, unknown>;
      for (const k of required) assert.ok(k in rec, k);
      assert.deepEqual([rec['peerMs'], rec['ratio'], rec['peerPeakRssBytes']], [null, null, null]);
      assert.equal(rec['backend'], 'cpu');
      assert.equal(rec['tensorsAfter'], rec['tensorsBefore']);
      assert.ok((rec['oursMs'] as number) > 0);
    }
    const file = JSON.parse(readFileSync(out, 'utf8')) as { machine: { cpus: number; node: string; backend: string; torch: string | null }; records: unknown[] };
    assert.deepEqual([file.machine.node, file.machine.backend, file.machine.torch, file.records.length], [process.version, 'cpu', null, 2]);
    assert.ok(file.machine.cpus >= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench speed: bad flags are MetaLearnErrors naming the flag', async () => {
  assert.throws(() => listSpeedConfigurations({ learners: ['maml', 'protonet'] }), isMetaLearnError('invalidArgument', /--learners .*got 'protonet'/));
  assert.throws(() => listSpeedConfigurations({ problems: ['mini-imagenet'] }), isMetaLearnError('invalidArgument', /--problems .*got 'mini-imagenet'/));
  assert.throws(() => listSpeedConfigurations({ problems: ['sinusoid'], learners: ['metaoptnet'] }), isMetaLearnError('invalidArgument', /no configuration/));
  assert.throws(() => speedTimingPlan(0), isMetaLearnError('invalidArgument', /--timed-steps/));
  assert.throws(() => speedTimingPlan(10, -1), isMetaLearnError('invalidArgument', /--min-seconds/));
  assert.deepEqual(speedTimingPlan(), PEER_TIMING);
  assert.deepEqual(speedTimingPlan(80, 0), { warmupSteps: 3, minTimed: 80, maxTimed: 80, minSeconds: 0 });
  assert.throws(() => parseSpeedWorkerSpec({ problem: 'sinusoid', learner: 'maml', innerSteps: 0, warmupSteps: 3, minTimed: 2, maxTimed: 2, minSeconds: 0, seed: 0 }), isMetaLearnError('invalidArgument', /--worker\.innerSteps/));
  await assert.rejects(runSpeed({ learners: ['nope'], print: () => {}, log: () => {} }), isMetaLearnError('invalidArgument', /--learners/));
});

test('bench speed: worker output and machine-load arithmetic', () => {
  assert.deepEqual(lastJsonLine('noise\n{"a":1}\n{"median_ms": 14.8}\nbye\n', 'peer'), { median_ms: 14.8 });
  assert.throws(() => lastJsonLine('no json here\n[1,2]\n', 'the peer'), isMetaLearnError('corruptData', /the peer printed no JSON object line/));
  // All cores 50% busy over the interval, ours 600 ms CPU in 1000 ms on 2 cores (30%): others 20%.
  const busy = otherProcessesBusy({ busy: 1000, total: 4000 }, { busy: 1050, total: 4100 }, 600, 1000, 2);
  assert.ok(Math.abs(busy! - 0.2) < 1e-12, String(busy));
  assert.equal(otherProcessesBusy(null, { busy: 1, total: 2 }, 1, 1, 1), null);
  assert.equal(otherProcessesBusy({ busy: 0, total: 100 }, { busy: 10, total: 200 }, 900, 1000, 1), 0);
});

test('bench speed: the PyTorch peer\'s worker line is parsed (when /usr/bin/python3 imports torch)', (t) => {
  const peer = probePeer({ env: {} });
  if (!peer.available) {
    t.skip(`peer unavailable: ${peer.reason}`);
    return;
  }
  const r = runPeerConfiguration(peer, 'sinusoid', 'fomaml', 1, { warmupSteps: 3, minTimed: 2, maxTimed: 2, minSeconds: 0 }, 120_000);
  assert.deepEqual([r.algo, r.steps, r.metaBatch, r.timedSteps, r.metaParams], ['fomaml', 1, 25, 2, 1761]);
  assert.ok(r.medianMs > 0 && r.peakRssBytes > 10 * 1024 * 1024 && Math.abs(r.tasksPerSecond - 25 / (r.medianMs / 1000)) < 1e-6 * r.tasksPerSecond);
});

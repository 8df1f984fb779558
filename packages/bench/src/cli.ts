/**
 * The `metalearn` command: `doctor`, `train`, `eval`. Argument parsing by commander.
 * Bad input is reported as one line naming the option, with exit code 2; a failed check or
 * run exits 1.
 */
import { availableParallelism } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { MetaLearnError } from '@metalearn/core';
import { runDoctor } from './commands/doctor.js';
import { runTrain } from './commands/train.js';
import { runEval, type NormMode } from './commands/eval.js';
import { runSpeed, runSpeedWorker } from './commands/speed.js';
import { readConfigFile, resolveRunConfig } from './run-config.js';
import { DEFAULT_SPLITS } from './sources.js';
import { integerFlag, jsonFlag, numberFlag } from './flag-values.js';

const program = new Command();
// exitOverride (inherited by the commands defined below): commander's own parse errors (a missing
// value, a value outside --norm's choices) reach the catch at the end, which exits 2 as for any bad input.
program.name('metalearn').description('Interchangeable optimization-based meta-learners on TensorFlow.js').showHelpAfterError().exitOverride();

const backendOption = () => new Option('--backend <name>', 'force a backend (else METALEARN_BACKEND, else tensorflow > wasm > cpu)').choices(['tensorflow', 'wasm', 'cpu']);

program
  .command('doctor')
  .description('check the engine: backend, versions, threads, exact second derivatives, added kernels, linear algebra, registered plug-ins')
  .option('--json', 'print one JSON object: {"backend", "checks": [{"name", "value", "expected", "error", "pass"}], ...}')
  .option('--only <substring>', 'run only the checks whose name contains this')
  .option('--plugin <module...>', 'third-party plug-in modules to load and list beside the first-party ones')
  .addOption(backendOption())
  .action(async (opts: { json?: boolean; only?: string; backend?: 'tensorflow' | 'wasm' | 'cpu'; plugin?: string[] }) => {
    process.exitCode = await runDoctor({ json: opts.json === true, ...(opts.backend ? { backend: opts.backend } : {}), ...(opts.only ? { only: opts.only } : {}), ...(opts.plugin ? { plugins: opts.plugin } : {}) });
  });

const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (else METALEARN_DATA_DIR)');

/** Flags of `train` that map one-to-one onto run-config fields. */
const TRAIN_FIELDS: ReadonlyArray<[flag: string, key: string, parse: ((v: string) => unknown) | null, help: string]> = [
  ['--learner <name>', 'learner', null, 'learner preset: maml, fomaml, metasgd, anil, mamlpp, r2d2, ... (default maml)'],
  ['--solver <name>', 'solver', null, 'any registered inner solver by name (overrides the preset\'s)'],
  ['--solver-options <json>', 'solverOptions', jsonFlag('--solver-options'), 'solver options as JSON, e.g. \'{"order":"first"}\''],
  ['--outer-rule <name>', 'outerRule', null, 'learner (outer rule) plug-in by name (default from the preset: backprop)'],
  ['--learner-options <json>', 'learnerOptions', jsonFlag('--learner-options'), 'outer-loop options as JSON, e.g. \'{"gradClip":10}\''],
  ['--backbone <name>', 'backbone', null, 'backbone plug-in: mlp, conv4 (default by dataset)'],
  ['--backbone-options <json>', 'backboneOptions', jsonFlag('--backbone-options'), 'backbone options as JSON, e.g. \'{"filters":32}\''],
  ['--head <name>', 'head', null, 'head plug-in (default linear)'],
  ['--dataset <name>', 'dataset', null, 'dataset plug-in: sinusoid (default, needs no data), omniglot, mini-imagenet'],
  ['--dataset-options <json>', 'datasetOptions', jsonFlag('--dataset-options'), 'dataset options as JSON'],
  ['--ways <n>', 'ways', integerFlag('--ways'), 'N classes per episode'],
  ['--shots <k>', 'shots', integerFlag('--shots'), 'K support examples per class (sinusoid: points)'],
  ['--query-shots <q>', 'queryShots', integerFlag('--query-shots'), 'query examples per class'],
  ['--inner-steps <k>', 'innerSteps', integerFlag('--inner-steps'), 'inner-loop steps during meta-training'],
  ['--eval-inner-steps <k>', 'evalInnerSteps', integerFlag('--eval-inner-steps'), 'inner-loop steps at evaluation'],
  ['--inner-lr <alpha>', 'innerLr', numberFlag('--inner-lr'), 'inner learning rate'],
  ['--meta-steps <n>', 'metaSteps', integerFlag('--meta-steps'), 'meta-training steps'],
  ['--meta-batch <b>', 'metaBatch', integerFlag('--meta-batch'), 'tasks per meta-step'],
  ['--outer-lr <beta>', 'outerLr', numberFlag('--outer-lr'), 'outer (meta) learning rate'],
  ['--seed <s>', 'seed', integerFlag('--seed'), 'seed of initialisation and meta-batches (default 0)'],
  ['--checkpoint-every <n>', 'checkpointEvery', integerFlag('--checkpoint-every'), 'write a checkpoint every n meta-steps (default 500)'],
  ['--log-every <n>', 'logEvery', integerFlag('--log-every'), 'append metrics.jsonl every n meta-steps (default 50)'],
  ['--episodes <n>', 'evalEpisodes', integerFlag('--episodes'), 'test episodes for --eval (default 600)'],
  ['--max-minutes <m>', 'maxMinutes', numberFlag('--max-minutes'), 'stop (with a checkpoint) after this many minutes; --resume continues'],
  ['--workers <n>', 'workers', integerFlag('--workers'), 'threads sharing each meta-batch, the main one included (default: the number of cores; 1: serial)'],
  ['--plugin <module...>', 'plugins', null, 'third-party plug-in modules (paths or package names) exporting inversify ContainerModules made with pluginModule; their parts are then usable by name'],
];

const train = program
  .command('train')
  .description('meta-train a learner (config file and/or flags; flags win), with checkpoints and --resume')
  .option('--config <file>', 'JSON run configuration: the fields of the flags from --learner to --plugin, camelCase (--episodes is evalEpisodes, --plugin is plugins); the run-folder flags from --out on are flags only');
for (const [flag, , parse, help] of TRAIN_FIELDS) {
  const opt = new Option(flag, help);
  if (parse) opt.argParser(parse);
  train.addOption(opt);
}
train
  .option('--out <dir>', 'run folder (default runs/<dataset>-<learner>-<ways>w<shots>s-seed<seed>)')
  .option('--resume', 'continue the run in --out from its checkpoint')
  .option('--split <name>', 'training split (default: omniglot Vinyals train)')
  .option('--eval', 'evaluate on the test split when training ends')
  .option('--eval-seed <s>', 'seed of the test episodes for --eval', integerFlag('--eval-seed'), 1)
  .option('--results <file>', 'append the --eval record to this JSON Lines file')
  .addOption(dataDirOption())
  .addOption(backendOption())
  .action(async (opts: Record<string, unknown>) => {
    const merged: Record<string, unknown> = typeof opts['config'] === 'string' ? readConfigFile(opts['config']) : {};
    for (const [, key] of TRAIN_FIELDS) {
      const flagKey = key === 'evalEpisodes' ? 'episodes' : key === 'plugins' ? 'plugin' : key;
      if (opts[flagKey] !== undefined) merged[key] = opts[flagKey];
    }
    merged['workers'] ??= availableParallelism();
    const cfg = resolveRunConfig(merged);
    if (opts['split'] !== undefined && opts['split'] === DEFAULT_SPLITS[cfg.dataset]?.test) {
      console.error(`metalearn: warning: --split ${String(opts['split'])} is where eval tests ${cfg.dataset} by default; results of this run on that split are not held-out`);
    }
    const out = (opts['out'] as string | undefined) ?? `runs/${cfg.dataset}-${cfg.solver ?? cfg.learner}-${cfg.ways}w${cfg.shots}s-seed${cfg.seed}`;
    // SIGINT/SIGTERM: finish the meta-step under way and checkpoint; a second signal quits at once.
    const stop = new AbortController();
    let signal: NodeJS.Signals | undefined;
    const onSignal = (s: NodeJS.Signals) => {
      if (signal !== undefined) process.exit(s === 'SIGINT' ? 130 : 143);
      signal = s;
      console.error(`metalearn: ${s}: finishing the meta-step under way and writing a checkpoint (${s === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again quits at once)`);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let r;
    try {
      r = await runTrain({
        config: merged,
        out,
        resume: opts['resume'] === true,
        command: commandLine(),
        stop: stop.signal,
        ...(opts['dataDir'] ? { dataDir: opts['dataDir'] as string } : {}),
        ...(opts['backend'] ? { backend: opts['backend'] as 'wasm' } : {}),
        ...(opts['split'] ? { split: opts['split'] as string } : {}),
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (r.interrupted) {
      console.log(`interrupted by ${signal} after meta-step ${r.steps}; checkpoint in ${out}; continue with --resume --out ${out}`);
      process.exitCode = signal === 'SIGINT' ? 130 : 143;
      return;
    }
    if (r.stepsThisSession === 0) {
      console.log(`nothing to train: the run in ${out} is at meta-step ${r.steps}, and --meta-steps asks for ${r.steps} or fewer`);
      return;
    }
    console.log(`trained ${r.steps} meta-steps in ${r.wallSeconds.toFixed(1)} s; last query loss ${r.lastLoss.toFixed(4)}${r.lastAccuracy !== undefined ? `, accuracy ${(100 * r.lastAccuracy).toFixed(1)}%` : ''}; checkpoint in ${out}`);
    if (opts['eval'] === true) {
      await runEval({
        run: out,
        episodes: cfg.evalEpisodes,
        evalSeed: opts['evalSeed'] as number,
        norm: 'transductive',
        oneShotRuns: false,
        command: commandLine(),
        ...(opts['results'] !== undefined ? { results: opts['results'] as string } : {}),
        ...(opts['dataDir'] ? { dataDir: opts['dataDir'] as string } : {}),
        ...(opts['backend'] ? { backend: opts['backend'] as 'wasm' } : {}),
      });
    }
  });

program
  .command('eval')
  .description('evaluate a trained run on fixed seeded test episodes (mean and 95% interval), or on the 20 one-shot runs')
  .requiredOption('--run <dir>', 'run folder written by train')
  .option('--episodes <n>', 'test episodes (default 600)', integerFlag('--episodes'))
  .option('--eval-seed <s>', 'seed of the test episodes (default 1)', integerFlag('--eval-seed'))
  .option('--inner-steps <k>', 'inner steps at test time (default: the run\'s evalInnerSteps)', integerFlag('--inner-steps'))
  .option('--split <name>', 'test split (default: omniglot Vinyals test)')
  .addOption(new Option('--norm <mode>', 'batch norm over the query set: transductive (one batch) or per-example').choices(['transductive', 'per-example']).default('transductive'))
  .option('--one-shot-runs', 'evaluate on the 20 Omniglot one-shot runs (error rate; not with --episodes, --eval-seed, --split, --ways, --shots, --query-shots)')
  .option('--ways <n>', 'test N-way episodes (default: as trained; other ways transplant the backbone, and the solver\'s meta-parameters whose shapes do not depend on the ways, under a fresh head)', integerFlag('--ways'))
  .option('--shots <k>', 'test K-shot episodes (default: as trained)', integerFlag('--shots'))
  .option('--query-shots <q>', 'query examples per class (default: as trained)', integerFlag('--query-shots'))
  .option('--solver <name>', 'evaluate with another registered inner solver (the trained backbone and head are transplanted), e.g. ridge')
  .option('--solver-options <json>', 'options of --solver as JSON', jsonFlag('--solver-options'))
  .option('--learner-options <json>', "outer-rule options on top of the run's, as JSON, e.g. '{\"transductive\":true}' for Reptile", jsonFlag('--learner-options'))
  .option('--results <file>', 'append the record to this JSON Lines file (e.g. bench/results/omniglot.jsonl)')
  .option('--plugin <module...>', "third-party plug-in modules to load instead of the run's recorded ones (e.g. a module that moved; add the run's own when --solver needs another)")
  .addOption(dataDirOption())
  .addOption(backendOption())
  .action(async (opts: Record<string, unknown>) => {
    await runEval({
      run: opts['run'] as string,
      ...(opts['episodes'] !== undefined ? { episodes: opts['episodes'] as number } : {}),
      ...(opts['evalSeed'] !== undefined ? { evalSeed: opts['evalSeed'] as number } : {}),
      norm: opts['norm'] as NormMode,
      oneShotRuns: opts['oneShotRuns'] === true,
      command: commandLine(),
      ...(opts['innerSteps'] !== undefined ? { innerSteps: opts['innerSteps'] as number } : {}),
      ...(opts['solver'] ? { solver: opts['solver'] as string } : {}),
      ...(opts['ways'] !== undefined ? { ways: opts['ways'] as number } : {}),
      ...(opts['shots'] !== undefined ? { shots: opts['shots'] as number } : {}),
      ...(opts['queryShots'] !== undefined ? { queryShots: opts['queryShots'] as number } : {}),
      ...(Array.isArray(opts['plugin']) ? { plugins: opts['plugin'] as string[] } : {}),
      ...(opts['solverOptions'] !== undefined ? { solverOptions: opts['solverOptions'] as Record<string, unknown> } : {}),
      ...(opts['learnerOptions'] !== undefined ? { learnerOptions: opts['learnerOptions'] as Record<string, unknown> } : {}),
      ...(opts['split'] ? { split: opts['split'] as string } : {}),
      ...(opts['results'] !== undefined ? { results: opts['results'] as string } : {}),
      ...(opts['dataDir'] ? { dataDir: opts['dataDir'] as string } : {}),
      ...(opts['backend'] ? { backend: opts['backend'] as 'wasm' } : {}),
    });
  });

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
program
  .command('bench')
  .description('benchmarks: speed (our meta-training step against the PyTorch peer)')
  .command('speed')
  .description("time one meta-training step per learner and problem against the PyTorch peer (torch_meta_bench.py), each configuration in its own process")
  .option('--json', 'print one JSON record per configuration instead of the table')
  .option('--out <file>', 'write every record and the machine (cpus, node, backend) as one JSON file')
  .option('--problems <list>', 'comma list: sinusoid,omniglot (default both)', list)
  .option('--learners <list>', 'comma list of presets: maml,fomaml,anil,reptile,r2d2,imaml,cavia,metaoptnet (default all)', list)
  .option('--timed-steps <n>', 'at least n timed steps per configuration (default 10, as the peer)', integerFlag('--timed-steps'))
  .option('--min-seconds <s>', 'keep timing up to max(n, 50) steps until s seconds have passed (default 3, as the peer)', numberFlag('--min-seconds'))
  .option('--peer <path>', 'the peer script (else METALEARN_PEER, else ../shared/peers/torch_meta_bench.py from the repository root)')
  .option('--no-peer', 'do not run the peer')
  .option('--python <path>', 'the peer\'s Python (else METALEARN_PEER_PYTHON, else /usr/bin/python3)')
  .option('--seed <s>', 'seed of initialisation and synthetic episodes (default 0)', integerFlag('--seed'))
  .option('--workers <n>', 'threads sharing each of our meta-batches, the main one included (default: the number of cores, as the peer uses 2 threads; 1: serial)', integerFlag('--workers'))
  .addOption(backendOption())
  .addOption(new Option('--worker <json>', 'internal: time one configuration in this process, print one JSON line').hideHelp().argParser(jsonFlag('--worker')))
  .action(async (opts: Record<string, unknown>) => {
    if (opts['worker'] !== undefined) {
      console.log(JSON.stringify(await runSpeedWorker(opts['worker'])));
      return;
    }
    await runSpeed({
      json: opts['json'] === true,
      ...(typeof opts['peer'] === 'string' ? { peerScript: opts['peer'] } : opts['peer'] === false ? { peer: false } : {}),
      ...(opts['problems'] ? { problems: opts['problems'] as string[] } : {}),
      ...(opts['learners'] ? { learners: opts['learners'] as string[] } : {}),
      ...(opts['timedSteps'] !== undefined ? { timedSteps: opts['timedSteps'] as number } : {}),
      ...(opts['minSeconds'] !== undefined ? { minSeconds: opts['minSeconds'] as number } : {}),
      ...(opts['python'] ? { python: opts['python'] as string } : {}),
      ...(opts['seed'] !== undefined ? { seed: opts['seed'] as number } : {}),
      ...(opts['workers'] !== undefined ? { workers: opts['workers'] as number } : {}),
      ...(opts['out'] ? { out: opts['out'] as string } : {}),
      ...(opts['backend'] ? { backend: opts['backend'] as 'wasm' } : {}),
    });
  });

/** `config.innerLr` in a run-configuration error also named by its flag: `--inner-lr (config.innerLr)`. */
function withFlagNames(message: string): string {
  const flags = new Map(TRAIN_FIELDS.map(([flag, key]) => [key, flag.split(' ')[0]!]));
  return message.replace(/\bconfig\.([A-Za-z]+)/g, (m, key: string) => (flags.has(key) ? `${flags.get(key)!} (${m})` : m));
}

/** `metalearn <args>` as typed, for results records. */
function commandLine(): string {
  return ['metalearn', ...process.argv.slice(2)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander has printed its message (and the help); --help and --version are not errors.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (MetaLearnError.is(e)) {
    console.error(`metalearn: ${withFlagNames(e.message)}`);
    process.exitCode = e.kind === 'invalidArgument' || e.kind === 'unknownPlugin' ? 2 : 1;
  } else {
    throw e;
  }
}

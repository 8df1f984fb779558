/**
 * `metalearn bench speed`: times our meta-training step for each configuration of the PyTorch
 * peer (`torch_meta_bench.py`) — same problems, shapes, inner rates and outer Adam — each in its
 * own child process, then the peer's same configuration right after it, and reports medians,
 * p95, tasks/s, the ratio ours/peer, peak RSS and live tensors.
 */
import { availableParallelism } from 'node:os';
import { initEngine, MetaLearnError, type BackendName } from '@metalearn/core';
import { writeFileAtomic } from '../atomic-file.js';
import { currentCommit } from '../git-commit.js';
import { findSpeedConfiguration, listSpeedConfigurations, PEER_TIMING, type TimingPlan } from '../speed/configurations.js';
import { probePeer, runPeerConfiguration, type AvailablePeer } from '../speed/peer-runner.js';
import { buildSpeedRecord, formatSpeedRow, speedMachineInfo, speedTableHeader, type SpeedMachineInfo, type SpeedRecord } from '../speed/speed-record.js';
import { timeSpeedConfiguration, type OursTiming } from '../speed/time-configuration.js';
import { parseSpeedWorkerSpec, runSpeedWorkerProcess, type CliCommand, type SpeedWorkerSpec } from '../speed/worker-process.js';

/** Options of {@link runSpeed} (the flags of `bench speed`). */
export interface SpeedOptions {
  /** `--problems`: problem names (default: all). */
  readonly problems?: readonly string[];
  /** `--learners`: preset names (default: all rows). */
  readonly learners?: readonly string[];
  /** `--timed-steps N`: at least N timed steps (default 10, the peer's). */
  readonly timedSteps?: number;
  /** `--min-seconds S`: keep timing (up to max(N, 50) steps) for S seconds (default 3, the peer's). */
  readonly minSeconds?: number;
  /** `--backend`: our backend in the workers (default: as `initEngine` chooses). */
  readonly backend?: BackendName;
  /** `--no-peer` gives false: do not run the peer. */
  readonly peer?: boolean;
  /** `--peer PATH`: the peer script. */
  readonly peerScript?: string;
  /** `--python PATH`: the peer's Python. */
  readonly python?: string;
  /** `--json`: one JSON record per configuration on stdout instead of the table. */
  readonly json?: boolean;
  /** `--out FILE`: every record and the machine, as one JSON file. */
  readonly out?: string;
  /** `--workers N`: threads sharing each meta-batch of ours (default: the number of cores, as the peer's PyTorch uses 2 threads on 2 cores; 1: the serial step). */
  readonly workers?: number;
  /** Seed of initialisation and episodes (default 0). */
  readonly seed?: number;
  /** How to start our CLI for the workers (default: this process's own command). */
  readonly cli?: CliCommand;
  /** Environment for `METALEARN_PEER` / `METALEARN_PEER_PYTHON` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the table or JSON lines go (default `console.log`). */
  readonly print?: (line: string) => void;
  /** Where progress and notes go (default `console.error`). */
  readonly log?: (line: string) => void;
}

/** What `--out` writes. */
export interface SpeedReport {
  readonly machine: SpeedMachineInfo;
  readonly plan: TimingPlan;
  readonly records: readonly SpeedRecord[];
}

/**
 * The timing plan of the flags: the peer's warm-up, `minTimed = timedSteps`,
 * `maxTimed = max(timedSteps, 50)`, `minSeconds`.
 * @throws MetaLearnError `invalidArgument` naming `--timed-steps` or `--min-seconds`.
 */
export function speedTimingPlan(timedSteps: number = PEER_TIMING.minTimed, minSeconds: number = PEER_TIMING.minSeconds): TimingPlan {
  if (!Number.isInteger(timedSteps) || timedSteps < 1) throw new MetaLearnError('invalidArgument', `bench speed: --timed-steps must be an integer >= 1, got ${timedSteps}`);
  if (!Number.isFinite(minSeconds) || minSeconds < 0) throw new MetaLearnError('invalidArgument', `bench speed: --min-seconds must be a number >= 0, got ${minSeconds}`);
  return { warmupSteps: PEER_TIMING.warmupSteps, minTimed: timedSteps, maxTimed: Math.max(timedSteps, PEER_TIMING.maxTimed), minSeconds };
}

/**
 * Times every selected configuration: ours in a child process, then the peer's (when it is
 * available and the learner has a peer), printing a table row or a JSON line as each finishes.
 * When the peer cannot run, says why once, with the fix, and leaves the peer fields null.
 * @param o - the flags.
 * @returns the records, in table order.
 * @throws MetaLearnError `invalidArgument` naming the flag for a bad filter or number;
 *   `notConverged` / `corruptData` when a worker or the peer fails.
 */
export async function runSpeed(o: SpeedOptions = {}): Promise<SpeedRecord[]> {
  const print = o.print ?? ((l: string) => console.log(l));
  const log = o.log ?? ((l: string) => console.error(l));
  const configs = listSpeedConfigurations({ ...(o.problems ? { problems: o.problems } : {}), ...(o.learners ? { learners: o.learners } : {}) });
  const plan = speedTimingPlan(o.timedSteps, o.minSeconds);
  const seed = o.seed ?? 0;
  let peer: AvailablePeer | null = null;
  if (o.peer !== false && configs.some((c) => c.row.peerAlgo !== null)) {
    const probe = probePeer({ ...(o.peerScript !== undefined ? { script: o.peerScript } : {}), ...(o.python !== undefined ? { python: o.python } : {}), ...(o.env ? { env: o.env } : {}) });
    if (probe.available) peer = probe;
    else log(`bench speed: the PyTorch peer will not run: ${probe.reason}. Fix: ${probe.hint}. Peer fields are null.`);
  }
  const commit = currentCommit();
  const records: SpeedRecord[] = [];
  if (o.json !== true) print(speedTableHeader());
  for (const c of configs) {
    log(`bench speed: ${c.id} (ours${peer && c.row.peerAlgo ? ', then the peer' : ''}) ...`);
    const spec: SpeedWorkerSpec = { problem: c.problem.name, learner: c.row.learner, innerSteps: c.row.innerSteps, ...plan, seed, ...(o.backend ? { backend: o.backend } : {}), workers: o.workers ?? availableParallelism() };
    const ours = runSpeedWorkerProcess(spec, o.cli);
    const theirs = peer && c.row.peerAlgo ? runPeerConfiguration(peer, c.problem.name, c.row.peerAlgo, c.row.innerSteps, plan) : null;
    const record = buildSpeedRecord(ours, theirs, { note: c.row.note ?? null, commit, date: new Date().toISOString() });
    records.push(record);
    print(o.json === true ? JSON.stringify(record) : formatSpeedRow(record));
    if (o.out !== undefined) {
      const report: SpeedReport = { machine: speedMachineInfo(records[0]!.backend, peer?.torchVersion ?? null), plan, records };
      writeFileAtomic(o.out, JSON.stringify(report, null, 2) + '\n');
    }
  }
  return records;
}

/**
 * The hidden `--worker '<json>'` mode: initialises the engine (quietly), times one configuration
 * in this process and returns its timing (the CLI prints it as one JSON line).
 * @param value - the parsed `--worker` JSON ({@link SpeedWorkerSpec}).
 * @returns the timing.
 * @throws MetaLearnError `invalidArgument` naming `--worker` for a bad spec or an unknown configuration.
 */
export async function runSpeedWorker(value: unknown): Promise<OursTiming> {
  const spec = parseSpeedWorkerSpec(value);
  const c = findSpeedConfiguration(spec.problem, spec.learner, spec.innerSteps);
  await initEngine({ ...(spec.backend ? { backend: spec.backend } : {}), log: () => {} });
  return timeSpeedConfiguration(c, { warmupSteps: spec.warmupSteps, minTimed: spec.minTimed, maxTimed: spec.maxTimed, minSeconds: spec.minSeconds }, spec.seed, spec.workers ?? 1);
}

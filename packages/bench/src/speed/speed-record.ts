/**
 * The record of one timed configuration (ours and the peer's, side by side), its ratio, the
 * readable table and the machine description of `--out`.
 */
import { cpus, totalmem, platform, release } from 'node:os';
import { MetaLearnError } from '@metalearn/core';
import type { PeerTiming } from './peer-runner.js';
import type { OursTiming } from './time-configuration.js';

/** One JSON record per configuration (`--json`), peer fields null when the peer was not run. */
export interface SpeedRecord {
  readonly problem: string;
  readonly learner: string;
  readonly innerSteps: number;
  readonly metaBatch: number;
  /** The peer's algorithm compared against, or null (no peer for this learner). */
  readonly peerAlgo: string | null;
  /** Our median and 95th percentile meta-step time, ms. */
  readonly oursMs: number;
  readonly oursP95Ms: number;
  readonly oursTimedSteps: number;
  /** The peer's median meta-step time, ms. */
  readonly peerMs: number | null;
  readonly peerTimedSteps: number | null;
  /** `oursMs / peerMs` (above 1: we are slower). */
  readonly ratio: number | null;
  readonly oursPeakRssBytes: number;
  readonly peerPeakRssBytes: number | null;
  /** `tf.memory().numTensors` before and after the timed steps (equal: no leak per step). */
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  /** Tasks per second, ours and the peer's (`metaBatch / median`). */
  readonly tasksPerSecond: number;
  readonly peerTasksPerSecond: number | null;
  /** Fraction of all cores other processes used during the timed steps, ours and the peer's. */
  readonly oursOtherBusy: number | null;
  readonly peerOtherBusy: number | null;
  readonly backend: string;
  readonly threads: number;
  /** Threads sharing each of our meta-batches (`--workers`). */
  readonly workers: number;
  readonly peerThreads: number | null;
  readonly solver: string;
  readonly outerRule: string;
  readonly metaParams: number;
  readonly peerMetaParams: number | null;
  readonly lastLoss: number;
  /** What differs from the peer's step (from the configuration table). */
  readonly note: string | null;
  readonly commit: string;
  /** ISO 8601 time of the record. */
  readonly date: string;
}

/**
 * `oursMs / peerMs`.
 * @param oursMs - our median, ms (> 0).
 * @param peerMs - the peer's median, ms, or null.
 * @returns the ratio, or null without a peer.
 * @throws MetaLearnError `invalidArgument` when a time is not finite and > 0.
 * @example speedRatio(30, 15) // 2 (we take twice as long)
 */
export function speedRatio(oursMs: number, peerMs: number | null): number | null {
  if (!Number.isFinite(oursMs) || oursMs <= 0) throw new MetaLearnError('invalidArgument', `speedRatio: oursMs must be finite and > 0, got ${oursMs}`);
  if (peerMs === null) return null;
  if (!Number.isFinite(peerMs) || peerMs <= 0) throw new MetaLearnError('invalidArgument', `speedRatio: peerMs must be finite and > 0 or null, got ${peerMs}`);
  return oursMs / peerMs;
}

/**
 * Joins our timing and the peer's into a record.
 * @param ours - our worker's timing.
 * @param peer - the peer's, or null.
 * @param extra - the configuration's note, the commit and the date.
 * @returns the record.
 */
export function buildSpeedRecord(ours: OursTiming, peer: PeerTiming | null, extra: { note: string | null; commit: string; date: string }): SpeedRecord {
  return {
    problem: ours.problem,
    learner: ours.learner,
    innerSteps: ours.innerSteps,
    metaBatch: ours.metaBatch,
    peerAlgo: peer?.algo ?? null,
    oursMs: ours.medianMs,
    oursP95Ms: ours.p95Ms,
    oursTimedSteps: ours.timedSteps,
    peerMs: peer?.medianMs ?? null,
    peerTimedSteps: peer?.timedSteps ?? null,
    ratio: speedRatio(ours.medianMs, peer?.medianMs ?? null),
    oursPeakRssBytes: ours.peakRssBytes,
    peerPeakRssBytes: peer?.peakRssBytes ?? null,
    tensorsBefore: ours.tensorsBefore,
    tensorsAfter: ours.tensorsAfter,
    tasksPerSecond: ours.tasksPerSecond,
    peerTasksPerSecond: peer?.tasksPerSecond ?? null,
    oursOtherBusy: ours.otherProcessesBusy,
    peerOtherBusy: peer?.otherProcessesBusy ?? null,
    backend: ours.backend,
    threads: ours.threads,
    workers: ours.workers,
    peerThreads: peer?.threads ?? null,
    solver: ours.solver,
    outerRule: ours.outerRule,
    metaParams: ours.metaParams,
    peerMetaParams: peer?.metaParams ?? null,
    lastLoss: ours.lastLoss,
    note: extra.note,
    commit: extra.commit,
    date: extra.date,
  };
}

/** The machine a table was measured on (`--out`). */
export interface SpeedMachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly platform: string;
  readonly node: string;
  readonly backend: string;
  /** The peer's torch version, or null when the peer did not run. */
  readonly torch: string | null;
}

/**
 * The machine description.
 * @param backend - our backend.
 * @param torch - the peer's torch version, or null.
 */
export function speedMachineInfo(backend: string, torch: string | null): SpeedMachineInfo {
  const list = cpus();
  return { cpus: list.length, cpuModel: list[0]?.model ?? 'unknown', totalMemoryBytes: totalmem(), platform: `${platform()} ${release()}`, node: process.version, backend, torch };
}

const MIB = 1024 * 1024;
const fmt = (x: number | null, digits = 1) => (x === null ? '-' : x.toFixed(digits));
const mib = (b: number | null) => (b === null ? '-' : (b / MIB).toFixed(0));

/** The table's header line. */
export function speedTableHeader(): string {
  return speedTableLine(['configuration', 'ours ms', 'p95 ms', 'tasks/s', 'peer ms', 'ours/peer', 'RSS MiB ours/peer', 'tensors before/after']);
}

/** One padded line of the table. */
function speedTableLine(cells: readonly string[]): string {
  const widths = [24, 9, 9, 9, 9, 9, 18, 20];
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
}

/**
 * One table row: configuration, our median and p95 (ms), tasks/s, the peer's median, the ratio,
 * peak RSS ours/peer (MiB), tensors before/after.
 * @param r - the record.
 * @returns the line (dashes for missing peer fields).
 */
export function formatSpeedRow(r: SpeedRecord): string {
  return speedTableLine([
    `${r.problem}/${r.learner}-${r.innerSteps}`,
    fmt(r.oursMs),
    fmt(r.oursP95Ms),
    fmt(r.tasksPerSecond, 0),
    fmt(r.peerMs),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    `${mib(r.oursPeakRssBytes)}/${mib(r.peerPeakRssBytes)}`,
    `${r.tensorsBefore}/${r.tensorsAfter}`,
  ]);
}

/** The whole table: header and one row per record. */
export function formatSpeedTable(records: readonly SpeedRecord[]): string {
  return [speedTableHeader(), ...records.map(formatSpeedRow)].join('\n');
}

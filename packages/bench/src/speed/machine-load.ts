/**
 * How busy the machine was during a timing, from `/proc/stat` (Linux), the way the peer measures
 * it: the share of all cores used by any process over the interval, minus this process's own CPU
 * time, is the share used by other processes. A timing taken while other processes were busy is
 * slower than on a quiet machine; the records carry this fraction so that a reader can tell.
 */
import { readFileSync } from 'node:fs';

/** Busy and total jiffies over all CPUs (the first line of `/proc/stat`). */
export interface CpuJiffies {
  readonly busy: number;
  readonly total: number;
}

/**
 * Reads the aggregate CPU counters: `total = user + nice + system + idle + iowait + ...`,
 * `busy = total - idle - iowait`.
 * @returns the counters, or null where `/proc/stat` is unavailable (not Linux).
 */
export function readCpuJiffies(): CpuJiffies | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const vals = line.trim().split(/\s+/).slice(1).map(Number);
    if (vals.length < 4 || vals.some((v) => !Number.isFinite(v))) return null;
    const total = vals.reduce((a, b) => a + b, 0);
    const idle = vals[3]! + (vals[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * The fraction of all cores other processes kept busy over an interval:
 * `max(0, (busy1 - busy0) / (total1 - total0) - ownCpuMs / (wallMs * cpus))`.
 * @param before - counters at the start.
 * @param after - counters at the end.
 * @param ownCpuMs - this process's user + system CPU time over the interval, ms.
 * @param wallMs - the interval's wall time, ms.
 * @param cpus - logical CPUs of the machine.
 * @returns a fraction in [0, 1], or null when the counters are missing or did not advance.
 * @example otherProcessesBusy(j0, j1, 600, 1000, 2) // 0.2 when the cores were 50% busy in all (0.3 of it ours)
 */
export function otherProcessesBusy(before: CpuJiffies | null, after: CpuJiffies | null, ownCpuMs: number, wallMs: number, cpus: number): number | null {
  if (before === null || after === null || after.total <= before.total || wallMs <= 0 || cpus < 1) return null;
  const all = (after.busy - before.busy) / (after.total - before.total);
  return Math.min(1, Math.max(0, all - ownCpuMs / (wallMs * cpus)));
}

/**
 * Progress display: a cli-progress bar on a terminal; on a pipe or log file (CI, nohup), one
 * plain line at most every `intervalMs` with the same fields, since a redrawn bar is unreadable there.
 */
import cliProgress from 'cli-progress';

/** A progress reporter over `total` units. */
export interface Progress {
  update(value: number, fields?: Readonly<Record<string, string>>): void;
  stop(): void;
}

/**
 * Starts a progress display on stderr.
 * @param label - unit name, e.g. `'meta-step'`.
 * @param total - number of units.
 * @param start - units already done (resumed runs).
 * @param fieldNames - extra fields shown after the counter, e.g. `['loss', 'acc']`.
 * @param quiet - show nothing.
 * @param intervalMs - minimum time between plain lines off a terminal (default 10 s).
 */
export function startProgress(label: string, total: number, start: number, fieldNames: readonly string[], quiet = false, intervalMs = 10_000): Progress {
  if (quiet) return { update: () => {}, stop: () => {} };
  const fieldFormat = fieldNames.map((f) => `${f} {${f}}`).join(' ');
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} {value}/{total} |{bar}| ${fieldFormat} | ETA {eta_formatted}`, etaBuffer: 50, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, Object.fromEntries(fieldNames.map((f) => [f, '-'])));
    return { update: (v, fields) => bar.update(v, fields ?? {}), stop: () => bar.stop() };
  }
  const t0 = performance.now();
  let lastPrint = -Infinity;
  const line = (v: number, fields: Readonly<Record<string, string>> = {}) => {
    const elapsed = (performance.now() - t0) / 1000;
    const rate = (v - start) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (total - v) / rate : NaN;
    const f = fieldNames.map((n) => `${n} ${fields[n] ?? '-'}`).join(' ');
    process.stderr.write(`${label} ${v}/${total} ${f} | ${rate.toFixed(2)}/s | ETA ${Number.isFinite(eta) ? Math.round(eta) + ' s' : '-'}\n`);
  };
  return {
    update: (v, fields) => {
      const now = performance.now();
      if (now - lastPrint >= intervalMs || v === total) {
        lastPrint = now;
        line(v, fields);
      }
    },
    stop: () => {},
  };
}

import { SingleBar, Presets } from 'cli-progress';
import type { Plan } from '../sync/planSync.js';
import type { TransferResult } from '../sync/types.js';

/** Progress callbacks for a run; a bar on a terminal, nothing elsewhere (logs, CI, pipes). */
export interface RunProgress {
  onPlan(plan: Plan): void;
  onFile(result: TransferResult): void;
  onBytes(bytes: number): void;
  stop(): void;
}

/** A byte-based progress bar on stderr when it is a terminal. */
export function createProgress(enabled: boolean): RunProgress {
  if (!enabled || !process.stderr.isTTY)
    return { onPlan() {}, onFile() {}, onBytes() {}, stop() {} };
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format:
        '{bar} {percentage}% | {files}/{planned} files | {mb}/{totalMb} MB | ETA {eta_formatted}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let done = 0;
  let files = 0;
  let planned = 0;
  let total = 0;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  return {
    onPlan(plan) {
      planned = plan.transfers.length;
      total = plan.bytesPlanned;
      if (planned > 0)
        bar.start(Math.max(1, total), 0, { files, planned, mb: mb(0), totalMb: mb(total) });
    },
    onFile() {
      files += 1;
      bar.update(Math.min(done, total), { files, planned, mb: mb(done), totalMb: mb(total) });
    },
    // Bytes as they arrive, so a single large file moves the bar too. A resumed download
    // counts its repeated bytes again; the bar is capped at the planned total.
    onBytes(bytes) {
      done += bytes;
      bar.update(Math.min(done, total), { files, planned, mb: mb(done), totalMb: mb(total) });
    },
    stop() {
      if (planned > 0) bar.stop();
    },
  };
}

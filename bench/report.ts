import type { Measured } from './measure.js';

/** What a row's throughput counts. */
export type Unit = 'MB/s' | 'files/s';

/** One tool's repetitions of one scenario. */
export interface Row {
  readonly scenario: string;
  readonly tool: string;
  readonly samples: readonly Measured[];
  /** Bytes (MB/s) or files (files/s) one repetition moves. */
  readonly work: number;
  readonly unit: Unit;
  /** Marks the row that other rows in its scenario are compared with. */
  readonly isSubject?: boolean;
  readonly note?: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Throughput of one sample, in the row's unit. */
export function rate(row: Row, sample: Measured): number {
  const seconds = sample.wallMs / 1000;
  return row.unit === 'MB/s' ? row.work / 1e6 / seconds : row.work / seconds;
}

export function medianRate(row: Row): number {
  return median(row.samples.map((sample) => rate(row, sample)));
}

export function medianRss(row: Row): number {
  return median(row.samples.map((sample) => sample.peakRss));
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/**
 * The Markdown table: medians with the min–max spread, and per row the subject's throughput
 * and peak RSS divided by this row's (above 1 means ftp-ingest moves more per second, or holds
 * more memory). CPU is the tool's own; "machine busy" counts every process, servers included.
 */
export function renderTable(rows: readonly Row[]): string {
  const lines = [
    '| scenario | tool | wall s, median (min–max) | throughput, median (min–max) | peak RSS, median (max) | tool CPU s, median | machine busy, median | ftp-ingest ÷ this: throughput | ftp-ingest ÷ this: RSS |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const subject = rows.find((r) => r.scenario === row.scenario && r.isSubject === true);
    const walls = row.samples.map((s) => s.wallMs / 1000);
    const rates = row.samples.map((s) => rate(row, s));
    const rss = row.samples.map((s) => s.peakRss);
    const fixed = row.unit === 'MB/s' ? 1 : 0;
    const ratio = (a: number, b: number) =>
      subject === undefined || subject === row ? '' : `${(a / b).toFixed(2)}×`;
    lines.push(
      [
        row.scenario,
        row.tool + (row.note === undefined ? '' : ` (${row.note})`),
        `${median(walls).toFixed(2)} (${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)})`,
        `${medianRate(row).toFixed(fixed)} ${row.unit} (${Math.min(...rates).toFixed(fixed)}–${Math.max(...rates).toFixed(fixed)})`,
        `${mb(median(rss))} (${mb(Math.max(...rss))})`,
        (median(row.samples.map((s) => s.cpuMs)) / 1000).toFixed(2),
        `${(median(row.samples.map((s) => s.machineBusy)) * 100).toFixed(0)}%`,
        subject === undefined ? '' : ratio(medianRate(subject), medianRate(row)),
        subject === undefined ? '' : ratio(medianRss(subject), medianRss(row)),
      ].join(' | ') + ' |',
    );
  }
  return lines.map((line) => (line.startsWith('|') ? line : `| ${line}`)).join('\n');
}

import type { Settings } from '../config/settings.js';
import { IngestError, messageOf } from '../errors/IngestError.js';
import { missingFolderReason } from '../ftp/listTree.js';
import type { Plan } from '../sync/planSync.js';
import { runSync, type RunReport } from '../sync/runSync.js';
import { createSyncDeps, findSource } from '../sync/SyncDeps.js';
import type { Logger } from '../telemetry/logger.js';
import type { CliContext, ExitCode } from './main.js';
import { createProgress } from './progress.js';
import { createProcessor } from './processor.js';
import { formatBytes, renderTable } from './table.js';

/** Options of `sync` and `plan`, as commander parses them. */
export interface SyncCommandOptions {
  readonly source?: string;
  readonly path?: string[];
  readonly force?: boolean;
  readonly json?: boolean;
  readonly process?: boolean;
  readonly progress?: boolean;
  readonly dryRun?: boolean;
}

/** Runs one sync and prints its summary; exit code 1 when any file or requested path failed. */
export async function runSyncCommand(
  { settings, log }: { settings: Settings; log: Logger },
  options: SyncCommandOptions,
  context: CliContext,
): Promise<ExitCode> {
  const source = findSource(settings, options.source);
  const deps = createSyncDeps(settings, log);
  const progress = createProgress(options.progress !== false && options.json !== true);
  let report: RunReport;
  try {
    report = await runSync(deps, source, {
      paths: options.path,
      force: options.force,
      dryRun: options.dryRun,
      processFile: options.process === false ? undefined : createProcessor(deps, source),
      onPlan: (plan) => progress.onPlan(plan),
      onFile: (result) => progress.onFile(result),
      onBytes: (bytes) => progress.onBytes(bytes),
    });
  } catch (error) {
    // The run's summary is already recorded; `--json` callers still get a document to parse.
    if (!options.json) throw error;
    const failure = error instanceof IngestError ? error.code : 'INTERNAL';
    context.out(
      JSON.stringify({ source: source.name, error: { code: failure, message: messageOf(error) } }) +
        '\n',
    );
    return failure === 'CONFIG' ? 2 : 1;
  } finally {
    progress.stop();
    await deps.pools.closeAll();
  }
  if (options.json)
    context.out(JSON.stringify({ ...report.summary, processed: report.processed }, null, 2) + '\n');
  else context.out(describeRun(report) + '\n');
  const processingFailed = report.processed.some((p) => p.status === 'failed');
  // `--path 2024/13` with a typo would otherwise look like a quiet day.
  const pathMissing = report.summary.problems.some((p) => p.reason === missingFolderReason);
  return report.summary.failed > 0 || processingFailed || pathMissing ? 1 : 0;
}

/** Files waiting for stability named in the table; the rest are counted. */
const maxWaitingShown = 50;

/** The human summary: the plan's decisions, each file moved, each failure with its reason. */
export function describeRun(report: RunReport): string {
  const { summary, plan } = report;
  const lines: string[] = [];
  lines.push(
    `${summary.dryRun ? 'Plan' : 'Run'} ${summary.runId} of source "${summary.source}":` +
      ` ${summary.listed} listed, ${summary.new} new, ${plan.counts.changed} changed,` +
      (plan.counts.forced > 0 ? ` ${plan.counts.forced} forced,` : '') +
      ` ${summary.unchanged} unchanged, ${summary.unstable} not yet stable`,
  );
  if (summary.dryRun) {
    if (plan.transfers.length > 0) lines.push('', describePlan(plan));
  } else {
    lines.push(
      `Transferred ${summary.transferred} (${formatBytes(summary.bytes)}), touched ${summary.touched},` +
        ` failed ${summary.failed} in ${(summary.durationMs / 1000).toFixed(1)} s`,
    );
    const processedByBlob = new Map(report.processed.map((p) => [p.blobName, p]));
    const rows = report.transfers.map((t) => {
      const processed = processedByBlob.get(t.blobName);
      return [
        t.path,
        t.outcome,
        formatBytes(t.bytes),
        processed?.status ?? '',
        processed === undefined ? '' : `${processed.recordsValid}/${processed.recordsRejected}`,
        withCode(t.errorCode, t.error) ?? withCode(processed?.errorCode, processed?.error) ?? '',
      ];
    });
    if (rows.length > 0)
      lines.push(
        '',
        renderTable(['file', 'transfer', 'size', 'processing', 'valid/rejected', 'error'], rows),
      );
  }
  if (summary.problems.length > 0) {
    lines.push('', 'Left out of this run:');
    for (const problem of summary.problems) lines.push(`  ${problem.path}: ${problem.reason}`);
  }
  const waiting = plan.waiting ?? [];
  if (waiting.length > 0) {
    lines.push('', 'Not yet stable, left for a later run:');
    for (const file of waiting.slice(0, maxWaitingShown))
      lines.push(`  ${file.path}: ${file.reason}`);
    if (waiting.length > maxWaitingShown)
      lines.push(`  ... and ${waiting.length - maxWaitingShown} more`);
  }
  return lines.join('\n');
}

function withCode(code: string | undefined, error: string | undefined): string | undefined {
  if (error === undefined) return undefined;
  return code === undefined ? error : `${code}: ${error}`;
}

function describePlan(plan: Plan): string {
  return renderTable(
    ['file', 'why', 'size', 'server time'],
    plan.transfers.map((f) => [f.path, f.reason, formatBytes(f.size), f.modified ?? '-']),
  );
}

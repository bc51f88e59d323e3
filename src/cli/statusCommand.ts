import type { Settings } from '../config/settings.js';
import { toStorageError } from '../blob/blobService.js';
import { sourcePrefix } from '../naming/blobName.js';
import type { RunFailure } from '../sync/planFailure.js';
import { sourcesOverview, type SourceOverview } from '../sync/sourcesOverview.js';
import { createSyncDeps, findSource, incomingContainer } from '../sync/SyncDeps.js';
import type { Logger } from '../telemetry/logger.js';
import type { CliContext, ExitCode } from './main.js';
import { formatBytes, renderTable } from './table.js';

/** Options of `status`. */
export interface StatusOptions {
  readonly source?: string;
  readonly json?: boolean;
}

/** Lists incoming blobs with status and counts, then each source's last run. */
export async function statusCommand(
  { settings, log }: { settings: Settings; log: Logger },
  options: StatusOptions,
  context: CliContext,
): Promise<ExitCode> {
  const deps = createSyncDeps(settings, log);
  const sources =
    options.source === undefined ? settings.sources : [findSource(settings, options.source)];
  const blobs: Record<string, string>[] = [];
  const incoming = incomingContainer(deps);
  // A fresh account has no incoming container until the first sync creates it.
  const ingested = await incoming.exists().catch((error: unknown) => {
    throw toStorageError(error, 'Reading the incoming container failed', {});
  });
  for (const source of ingested ? sources : []) {
    const pages = incoming
      .listBlobsFlat({ prefix: sourcePrefix(source.name), includeMetadata: true })
      .byPage({ maxPageSize: 5000 });
    for await (const page of pages)
      for (const blob of page.segment.blobItems)
        blobs.push({
          blob: blob.name,
          size: String(blob.properties.contentLength ?? 0),
          ...blob.metadata,
        });
  }
  const runs = await sourcesOverview(deps, sources, deps.now());
  if (options.json) {
    context.out(JSON.stringify({ blobs, runs }, null, 2) + '\n');
    return 0;
  }
  const rows = blobs.map((b) => [
    b.blob ?? '',
    b.status ?? '-',
    formatBytes(Number(b.size)),
    b.records_total === undefined ? '' : `${b.records_valid ?? '?'}/${b.records_rejected ?? '?'}`,
    b.source_modified ?? '',
    b.error_code ?? '',
  ]);
  if (!ingested)
    context.out(
      `Nothing ingested yet: container "${incoming.containerName}" does not` +
        ' exist (the first sync creates it)\n',
    );
  else
    context.out(
      renderTable(['blob', 'status', 'size', 'valid/rejected', 'server time', 'error'], rows) +
        '\n',
    );
  context.out('\n' + renderTable(runHeadings, runs.map(runRow)) + '\n');
  for (const run of runs) {
    const runError = run.lastRun?.error;
    const failures = [
      ...(runError === undefined ? [] : [{ path: '(run)', ...runErrorOf(runError) }]),
      ...(run.lastRun?.failures ?? []),
    ];
    for (const failure of failures)
      context.out(`${run.source}: ${failure.path}: ${failure.errorCode} ${failure.error}\n`);
    if (run.readError) context.out(`${run.source}: last run unreadable: ${run.readError}\n`);
  }
  return 0;
}

const runHeadings = ['source', 'last run', 'finished', 'transferred', 'failed', 'next due'];

/** One row of the runs table: when, how many files, what failed, when it runs next. */
function runRow(run: SourceOverview): string[] {
  const last = run.lastRun;
  if (last === null) return [run.source, 'none yet', '', '', '', run.nextDue ?? ''];
  const failed = last.error === undefined ? String(last.failed) : `run: ${last.error.code}`;
  return [
    run.source,
    last.runId,
    last.finishedAt,
    String(last.transferred),
    failed,
    run.nextDue ?? '',
  ];
}

function runErrorOf(error: RunFailure) {
  return { errorCode: error.code, error: error.message };
}

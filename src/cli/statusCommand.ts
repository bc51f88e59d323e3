import type { Settings } from '../config/settings.js';
import { sourcePrefix } from '../naming/blobName.js';
import { readLastRunSummary } from '../sync/runSummary.js';
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
  const runs = [];
  for (const source of sources) {
    const pages = incomingContainer(deps)
      .listBlobsFlat({ prefix: sourcePrefix(source.name), includeMetadata: true })
      .byPage({ maxPageSize: 5000 });
    for await (const page of pages)
      for (const blob of page.segment.blobItems)
        blobs.push({
          blob: blob.name,
          size: String(blob.properties.contentLength ?? 0),
          ...blob.metadata,
        });
    runs.push({ source: source.name, lastRun: await readLastRunSummary(deps, source.name) });
  }
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
  context.out(
    renderTable(['blob', 'status', 'size', 'valid/rejected', 'server time', 'error'], rows) + '\n',
  );
  for (const { source, lastRun } of runs) {
    const line = lastRun
      ? `last run ${lastRun.runId} at ${lastRun.finishedAt}: ${lastRun.transferred} transferred, ${lastRun.failed} failed`
      : 'no run recorded yet';
    context.out(`\n${source}: ${line}\n`);
  }
  return 0;
}

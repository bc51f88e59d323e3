import type { Settings } from '../config/settings.js';
import { IngestError } from '../errors/IngestError.js';
import { remotePathOf } from '../naming/blobName.js';
import { createSyncDeps, findSource } from '../sync/SyncDeps.js';
import type { Logger } from '../telemetry/logger.js';
import type { CliContext, ExitCode } from './main.js';
import { createProcessor } from './processor.js';
import { listBlobsToReprocess } from './reprocessSelection.js';
import { renderTable } from './table.js';

/** Options of `process`. */
export interface ProcessOptions {
  readonly failed?: boolean;
  readonly all?: boolean;
  readonly source?: string;
  readonly json?: boolean;
}

/** Processes one blob, every failed blob or every blob again, replacing outputs and stamps. */
export async function processCommand(
  { settings, log }: { settings: Settings; log: Logger },
  blob: string | undefined,
  options: ProcessOptions,
  context: CliContext,
): Promise<ExitCode> {
  const chosen = [blob !== undefined, options.failed === true, options.all === true].filter(
    Boolean,
  );
  if (chosen.length !== 1)
    throw new IngestError('CONFIG', 'process takes exactly one of: a blob name, --failed, --all');
  const deps = createSyncDeps(settings, log);
  const sourceName = blob?.split('/')[0] ?? options.source;
  const source = findSource(settings, sourceName);
  if (blob !== undefined) remotePathOf(source.name, blob);
  const names =
    blob !== undefined
      ? [blob]
      : await listBlobsToReprocess(deps, source.name, options.failed === true);
  const processFile = createProcessor(deps, source);
  const results = [];
  for (const name of names) results.push(await processFile(name, true));
  if (options.json) context.out(JSON.stringify(results, null, 2) + '\n');
  else
    context.out(
      renderTable(
        ['blob', 'status', 'valid', 'rejected', 'error'],
        results.map((r) => [
          r.blobName,
          r.status,
          String(r.recordsValid),
          String(r.recordsRejected),
          r.error ?? '',
        ]),
      ) + '\n',
    );
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

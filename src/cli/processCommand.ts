import type { Settings } from '../config/settings.js';
import { IngestError } from '../errors/IngestError.js';
import { remotePathOf, sourcePrefix } from '../naming/blobName.js';
import { reprocess, type ReprocessSelector } from '../records/reprocess.js';
import { createSyncDeps, findSource } from '../sync/SyncDeps.js';
import type { Logger } from '../telemetry/logger.js';
import type { CliContext, ExitCode } from './main.js';
import { asProcessedFile, processorDepsFor } from './processor.js';
import { renderTable } from './table.js';

/** Options of `process`. */
export interface ProcessOptions {
  readonly failed?: boolean;
  readonly pending?: boolean;
  readonly all?: boolean;
  readonly source?: string;
  readonly json?: boolean;
}

/** Processes one blob, or the failed, pending or all blobs of a source, replacing outputs. */
export async function processCommand(
  { settings, log }: { settings: Settings; log: Logger },
  blob: string | undefined,
  options: ProcessOptions,
  context: CliContext,
): Promise<ExitCode> {
  const selectors: ReprocessSelector[] = [];
  if (blob !== undefined) selectors.push({ blobName: blob });
  if (options.failed) selectors.push({ failed: true });
  if (options.pending) selectors.push({ pending: true });
  if (options.all) selectors.push({ all: true });
  const [selector] = selectors;
  if (selector === undefined || selectors.length > 1)
    throw new IngestError(
      'CONFIG',
      'process takes exactly one of: a blob name, --failed, --pending, --all',
    );
  const source = findSource(settings, blob?.split('/')[0] ?? options.source);
  if (blob !== undefined) remotePathOf(source.name, blob);
  const deps = createSyncDeps(settings, log);
  const results = (
    await reprocess(processorDepsFor(deps, source), selector, sourcePrefix(source.name))
  )
    .map(asProcessedFile)
    .map((r) => ({ ...r, error: r.error ?? whyNotProcessed(r.status, r.errorCode) }));
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
  // A blob that does not exist is "skipped" to the processor; asked for by name, it is an error.
  // `busy` was not processed by this call either, so a script must not read it as done.
  const failed = results.some(
    (r) => r.status === 'failed' || r.status === 'busy' || r.errorCode === 'BLOB_NOT_FOUND',
  );
  return failed ? 1 : 0;
}

/** The reason shown for a blob this call did not process, where the processor gave none. */
function whyNotProcessed(status: string, errorCode: string | undefined): string | undefined {
  if (errorCode === 'BLOB_NOT_FOUND') return 'no such blob in the incoming container';
  if (status === 'busy')
    return (
      'another processor holds its claim (status=processing): try again when it ends, or' +
      ' once an abandoned claim goes stale (README, Limits)'
    );
  return undefined;
}

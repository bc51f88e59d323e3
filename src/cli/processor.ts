import type { SourceSettings } from '../config/settings.js';
import type { ProcessorDeps, ProcessResult } from '../records/processBlob.js';
import { processorOptionsFor } from '../records/processorOptions.js';
import type { ProcessedFile } from '../sync/runSync.js';
import { incomingContainer, type SyncDeps } from '../sync/SyncDeps.js';

/** What the record processor needs for one source, from the sync's clients. */
export function processorDepsFor(deps: SyncDeps, source: SourceSettings): ProcessorDeps {
  return {
    incoming: incomingContainer(deps),
    processed: deps.blobService.getContainerClient(deps.settings.processedContainer),
    log: deps.log.child({ source: source.name }),
    options: processorOptionsFor(deps.settings, source),
  };
}

/**
 * Processes blobs of one source in this process, as the Event Grid trigger does in Azure. The
 * parsers load on first use, so a transfer-only run does not carry them in memory.
 */
export function createProcessor(deps: SyncDeps, source: SourceSettings) {
  const processorDeps = processorDepsFor(deps, source);
  return async (blobName: string): Promise<ProcessedFile> => {
    const { processBlob } = await import('../records/processBlob.js');
    return asProcessedFile(await processBlob(processorDeps, blobName));
  };
}

/** The CLI's view of a processing result. */
export function asProcessedFile(result: ProcessResult): ProcessedFile {
  return {
    blobName: result.blobName,
    status: result.status,
    recordsTotal: result.recordsTotal,
    recordsValid: result.recordsValid,
    recordsRejected: result.recordsRejected,
    errorCode: result.errorCode,
    error: result.error,
  };
}

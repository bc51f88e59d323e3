import { IngestError } from '../errors/IngestError.js';
import { processBlob, type ProcessorDeps, type ProcessResult } from './processBlob.js';

/** Which incoming blobs an operator wants processed again. */
export type ReprocessSelector =
  | { readonly blobName: string }
  | { readonly failed: true }
  | { readonly pending: true }
  | { readonly all: true };

/** Blobs listed per page; each page is processed before the next is fetched. */
const pageSize = 500;
/** Transient faults in a row after which storage is taken to be down and the run stops. */
const maxFaultsInARow = 3;

/**
 * Processes the selected blobs again with `force`, replacing their outputs and stamps. Lists
 * the incoming container (with metadata, page by page, under `prefix`) for the selections.
 * `pending` takes blobs transferred but never processed (or left mid-claim by a crashed
 * processor) and processes them without `force`, so a live claim is respected.
 * Blobs are processed one after another. A transient fault on one blob is its result (failed,
 * with the fault's code; the blob itself is left as it was, to be run again) and the run goes
 * on; three in a row mean storage is down, and the last is thrown.
 */
export async function reprocess(
  deps: ProcessorDeps,
  selector: ReprocessSelector,
  prefix?: string,
): Promise<ProcessResult[]> {
  if ('blobName' in selector) return [await processBlob(deps, selector.blobName, { force: true })];
  const results: ProcessResult[] = [];
  let faultsInARow = 0;
  const processOne = async (blobName: string, force: boolean) => {
    try {
      results.push(await processBlob(deps, blobName, { force }));
      faultsInARow = 0;
    } catch (error) {
      if (!(error instanceof IngestError) || !error.transient || ++faultsInARow >= maxFaultsInARow)
        throw error;
      results.push({
        blobName,
        status: 'failed',
        recordsTotal: 0,
        recordsValid: 0,
        recordsRejected: 0,
        errorCode: error.code,
        error: `not processed, left as it was (run again): ${error.message}`,
      });
    }
  };
  const pages = deps.incoming
    .listBlobsFlat({ prefix, includeMetadata: true })
    .byPage({ maxPageSize: pageSize });
  for await (const page of pages)
    for (const blob of page.segment.blobItems) {
      const status = blob.metadata?.status;
      if ('pending' in selector) {
        if (status === 'transferred' || status === 'processing') await processOne(blob.name, false);
      } else if ('all' in selector || status === 'failed') await processOne(blob.name, true);
    }
  return results;
}

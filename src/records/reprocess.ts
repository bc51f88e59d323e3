import { processBlob, type ProcessorDeps, type ProcessResult } from './processBlob.js';

/** Which incoming blobs an operator wants processed again. */
export type ReprocessSelector =
  | { readonly blobName: string }
  | { readonly failed: true }
  | { readonly pending: true }
  | { readonly all: true };

/** Blobs listed per page; each page is processed before the next is fetched. */
const pageSize = 500;

/**
 * Processes the selected blobs again with `force`, replacing their outputs and stamps. Lists
 * the incoming container (with metadata, page by page, under `prefix`) for the selections.
 * `pending` takes blobs transferred but never processed (or left mid-claim by a crashed
 * processor) and processes them without `force`, so a live claim is respected.
 * Blobs are processed one after another; a transient fault stops the run and is thrown.
 */
export async function reprocess(
  deps: ProcessorDeps,
  selector: ReprocessSelector,
  prefix?: string,
): Promise<ProcessResult[]> {
  if ('blobName' in selector) return [await processBlob(deps, selector.blobName, { force: true })];
  const results: ProcessResult[] = [];
  const pages = deps.incoming
    .listBlobsFlat({ prefix, includeMetadata: true })
    .byPage({ maxPageSize: pageSize });
  for await (const page of pages)
    for (const blob of page.segment.blobItems) {
      const status = blob.metadata?.status;
      if ('pending' in selector) {
        if (status === 'transferred' || status === 'processing')
          results.push(await processBlob(deps, blob.name));
      } else if ('all' in selector || status === 'failed')
        results.push(await processBlob(deps, blob.name, { force: true }));
    }
  return results;
}

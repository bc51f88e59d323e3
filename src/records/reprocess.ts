import { processBlob, type ProcessorDeps, type ProcessResult } from './processBlob.js';

/** Which incoming blobs an operator wants processed again. */
export type ReprocessSelector =
  { readonly blobName: string } | { readonly failed: true } | { readonly all: true };

/** Blobs listed per page; each page is processed before the next is fetched. */
const pageSize = 500;

/**
 * Processes the selected blobs again with `force`, replacing their outputs and stamps. Lists
 * the incoming container (with metadata, page by page, under `prefix`) for `failed` and `all`.
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
      const isSelected = 'all' in selector || blob.metadata?.status === 'failed';
      if (isSelected) results.push(await processBlob(deps, blob.name, { force: true }));
    }
  return results;
}

import { listStoredFiles } from '../blob/blobService.js';
import { sourcePrefix } from '../naming/blobName.js';
import { incomingContainer, type SyncDeps } from '../sync/SyncDeps.js';

/** Names of a source's blobs to process again: the failed ones, or all of them. */
export async function listBlobsToReprocess(
  deps: SyncDeps,
  source: string,
  failedOnly: boolean,
): Promise<string[]> {
  const names: string[] = [];
  for await (const file of listStoredFiles(incomingContainer(deps), sourcePrefix(source)))
    if (!failedOnly || file.status === 'failed') names.push(file.blobName);
  return names;
}

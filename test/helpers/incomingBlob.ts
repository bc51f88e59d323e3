import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { transferMetadata } from '../../src/blob/metadata.js';

/** Uploads bytes as the transfer would: content plus contract metadata, in one commit. */
export async function uploadIncoming(
  container: ContainerClient,
  blobName: string,
  bytes: Buffer,
): Promise<string> {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const [source, ...rest] = blobName.split('/');
  const metadata = transferMetadata({
    source,
    sourcePath: '/' + rest.join('/'),
    sourceSize: bytes.length,
    contentSha256: sha,
    ingestedAt: new Date().toISOString(),
    runId: 'test',
  });
  await container.getBlockBlobClient(blobName).uploadData(bytes, { metadata });
  return sha;
}

/** A blob's text, or undefined when it does not exist. */
export async function blobText(container: ContainerClient, name: string) {
  const client = container.getBlobClient(name);
  if (!(await client.exists())) return undefined;
  return (await client.downloadToBuffer()).toString('utf8');
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

/**
 * The storage wire limits: the same bytes uploaded from local disk (or a blob read and
 * discarded), with nothing else in the way. Run as a child process of the bench, so its memory
 * is measured on its own.
 *
 *   node storageWire.js blocks|uploadStream <file> <container> <blob>
 *   node storageWire.js putBlobs <dir> <container> <prefix>
 *   node storageWire.js download - <container> <blob>
 *   node storageWire.js list - <container> <prefix>
 *
 * The connection string comes from BENCH_STORAGE.
 */
const blockSize = 8 * 1024 * 1024;
const inFlight = 4;

async function main(): Promise<void> {
  const [mode, path, containerName, name] = process.argv.slice(2);
  const service = BlobServiceClient.fromConnectionString(process.env.BENCH_STORAGE ?? '');
  const container = service.getContainerClient(containerName);
  await container.createIfNotExists();
  if (mode === 'blocks') await stageBlocks(container, path, name);
  else if (mode === 'uploadStream')
    await container.getBlockBlobClient(name).uploadStream(createReadStream(path));
  else if (mode === 'putBlobs') await putBlobs(container, path, name);
  else if (mode === 'download') await discard(container, name);
  else if (mode === 'list') await countListed(container, name);
  else throw new Error(`unknown mode ${mode}`);
}

/** 8 MiB blocks read into reused buffers, four staged at once, each with its MD5. */
async function stageBlocks(container: ContainerClient, path: string, name: string) {
  const blob = container.getBlockBlobClient(name);
  const file = await open(path);
  const ids: string[] = [];
  const free = Array.from({ length: inFlight }, () => Buffer.allocUnsafe(blockSize));
  const running = new Set<Promise<void>>();
  try {
    for (let position = 0; ;) {
      while (free.length === 0) await Promise.race(running);
      const buffer = free.pop()!;
      const { bytesRead } = await file.read(buffer, 0, blockSize, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const id = Buffer.from(String(ids.length).padStart(8, '0')).toString('base64');
      ids.push(id);
      const body = buffer.subarray(0, bytesRead);
      const md5 = createHash('md5').update(body).digest();
      const staged: Promise<void> = blob
        .stageBlock(id, body, bytesRead, { transactionalContentMD5: md5 })
        .then(() => {
          running.delete(staged);
          free.push(buffer);
        });
      running.add(staged);
    }
    await Promise.all(running);
    await blob.commitBlockList(ids);
  } finally {
    await file.close();
  }
}

/** Every file under `dir` as one Put Blob with its MD5, four at a time. */
async function putBlobs(container: ContainerClient, dir: string, prefix: string) {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  const worker = async () => {
    for (let path = files.pop(); path !== undefined; path = files.pop()) {
      const handle = await open(path);
      const body = await handle.readFile().finally(() => handle.close());
      const md5 = createHash('md5').update(body).digest();
      await container
        .getBlockBlobClient(`${prefix}/${relative(dir, path)}`)
        .upload(body, body.length, { blobHTTPHeaders: { blobContentMD5: md5 } });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Reads a blob as the processor does (one streamed GET) and drops the bytes. */
async function discard(container: ContainerClient, name: string) {
  const response = await container.getBlobClient(name).download();
  let bytes = 0;
  for await (const chunk of response.readableStreamBody as AsyncIterable<Buffer>)
    bytes += chunk.length;
  process.stdout.write(`${bytes}\n`);
}

/** Lists blobs with metadata, 5,000 a page, as planning does, and prints how many. */
async function countListed(container: ContainerClient, prefix: string) {
  let listed = 0;
  const pages = container
    .listBlobsFlat({ prefix: `${prefix}/`, includeMetadata: true })
    .byPage({ maxPageSize: 5000 });
  for await (const page of pages) listed += page.segment.blobItems.length;
  process.stdout.write(`${listed}\n`);
}

await main();

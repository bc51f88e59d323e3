import { Writable } from 'node:stream';
import { Client } from 'basic-ftp';
import { BlobServiceClient } from '@azure/storage-blob';

/**
 * The naive transfer, for its memory figure: download the whole file into memory with
 * basic-ftp, then upload the buffer. Run as a child process of the bench.
 *
 *   node naiveTransfer.js <remote path> <container> <blob>
 *
 * BENCH_FTP is `host:port:user:password`; BENCH_STORAGE the connection string.
 */
async function main(): Promise<void> {
  const [remotePath, containerName, name] = process.argv.slice(2);
  const [host, port, user, password] = (process.env.BENCH_FTP ?? '').split(':');
  const client = new Client();
  const chunks: Buffer[] = [];
  try {
    await client.access({ host, port: Number(port), user, password });
    const collect = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    await client.downloadTo(collect, remotePath);
  } finally {
    client.close();
  }
  const body = Buffer.concat(chunks);
  chunks.length = 0;
  const service = BlobServiceClient.fromConnectionString(process.env.BENCH_STORAGE ?? '');
  const container = service.getContainerClient(containerName);
  await container.createIfNotExists();
  await container.getBlockBlobClient(name).uploadData(body);
}

await main();

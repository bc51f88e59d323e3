import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { BlobHTTPHeaders, BlobRequestConditions, BlockBlobClient } from '@azure/storage-blob';
import { IngestError } from '../errors/IngestError.js';
import type { Metadata } from './metadata.js';

/** How a BlockUpload uses memory and the network. */
export interface BlockUploadOptions {
  /** Bytes per staged block. Default 4 MiB. Memory is about `blockSize × (concurrency + 1)`. */
  readonly blockSize?: number;
  /** Blocks staged at once. Default 4. */
  readonly concurrency?: number;
  /** Expected total bytes, to pick a block size that stays under the 50,000-block limit. */
  readonly expectedSize?: number;
  readonly abortSignal?: AbortSignal;
}

/** What the upload saw, known before anything is committed. */
export interface UploadDigest {
  readonly bytes: number;
  readonly sha256: string;
}

// 4 MiB: as fast as 8 MiB against Azurite here, and half the pooled memory (measured in bench/).
const defaultBlockSize = 4 * 1024 * 1024;
const maxBlocks = 50_000;
const maxBlockSize = 4000 * 1024 * 1024;

/**
 * Streams bytes into a block blob that stays invisible until `commit`. Bytes are copied into a
 * small pool of reusable block buffers, hashed (SHA-256) on the way in, and each full block is
 * staged with its MD5 so the service verifies it on arrival. `write` waits while every buffer
 * is in flight, which is the backpressure that keeps memory flat whatever the file size.
 *
 * A file smaller than one block is never staged: `commit` sends it as one Put Blob, which
 * halves the requests for the many-small-files case.
 */
export class BlockUpload {
  readonly #blob: BlockBlobClient;
  readonly #blockSize: number;
  readonly #concurrency: number;
  readonly #signal?: AbortSignal;
  readonly #firstSize: number;
  readonly #idPrefix = randomBytes(6).toString('hex');
  readonly #hash: Hash = createHash('sha256');
  readonly #free: Buffer[] = [];
  readonly #blockIds: string[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #allocated = 0;
  #current?: Buffer;
  #filled = 0;
  #bytes = 0;
  #failure?: unknown;
  #tail: Promise<void> = Promise.resolve();
  #digest?: UploadDigest;

  constructor(blob: BlockBlobClient, options: BlockUploadOptions = {}) {
    this.#blob = blob;
    const needed = Math.ceil((options.expectedSize ?? 0) / maxBlocks);
    this.#blockSize = Math.min(
      maxBlockSize,
      Math.max(options.blockSize ?? defaultBlockSize, needed),
    );
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#signal = options.abortSignal;
    // Size the first buffer for the listed size (+1 to see growth at once) so that a 20 KB
    // file never allocates a whole block; an unknown size starts small and doubles.
    const expected = options.expectedSize;
    this.#firstSize = Math.min(this.#blockSize, expected === undefined ? 64 * 1024 : expected + 1);
  }

  /** Why staging stopped, once it has: the storage side failed and retrying cannot help. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Bytes accepted so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Accepts the next chunk; resolves once it is copied, so the caller may reuse it. Writes are
   * applied in call order even when a caller does not wait, e.g. a download torn down mid-write.
   */
  write(chunk: Uint8Array): Promise<void> {
    const appended = this.#tail.then(() => this.#append(chunk));
    this.#tail = appended.catch(() => undefined);
    return appended;
  }

  /** Resolves when every write so far has been applied, so `bytes` is final for a resume. */
  async settle(): Promise<void> {
    await this.#tail;
  }

  async #append(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const block = this.#current ?? (this.#current = await this.#takeBuffer());
      const copied = Math.min(block.length - this.#filled, chunk.length - offset);
      block.set(chunk.subarray(offset, offset + copied), this.#filled);
      this.#filled += copied;
      offset += copied;
      if (this.#filled < block.length) continue;
      if (block.length < this.#blockSize) this.#current = grow(block, this.#blockSize);
      else this.#stageCurrent();
    }
  }

  /** Ends the input: stages what is left and waits for every block. Nothing is visible yet. */
  async finish(): Promise<UploadDigest> {
    if (this.#digest !== undefined) return this.#digest;
    await this.settle();
    // A lone partial block is kept for a single Put Blob at commit time.
    if (this.#filled > 0 && this.#blockIds.length > 0) this.#stageCurrent();
    await this.#drain();
    this.#throwIfFailed();
    this.#digest = { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
    return this.#digest;
  }

  /** Makes the blob visible in one request that carries its metadata; returns the new ETag. */
  async commit(
    metadata: Metadata,
    conditions: BlobRequestConditions = {},
    headers: BlobHTTPHeaders = {},
  ): Promise<string> {
    await this.finish();
    const options = { metadata, conditions, blobHTTPHeaders: headers, abortSignal: this.#signal };
    if (this.#blockIds.length === 0) {
      const body = (this.#current ?? Buffer.alloc(0)).subarray(0, this.#filled);
      const md5 = createHash('md5').update(body).digest();
      const response = await this.#blob.upload(body, body.length, {
        ...options,
        blobHTTPHeaders: { ...headers, blobContentMD5: md5 },
      });
      return response.etag ?? '';
    }
    const response = await this.#blob.commitBlockList(this.#blockIds, options);
    return response.etag ?? '';
  }

  /** Stops staging. Uncommitted blocks are never visible and the service discards them. */
  abort(reason: unknown): void {
    this.#failure ??= reason;
  }

  #stageCurrent(): void {
    const block = this.#current;
    if (block === undefined) return;
    const length = this.#filled;
    this.#current = undefined;
    this.#filled = 0;
    const id = Buffer.from(
      `${this.#idPrefix}-${String(this.#blockIds.length).padStart(6, '0')}`,
    ).toString('base64');
    this.#blockIds.push(id);
    const body = block.subarray(0, length);
    const md5 = createHash('md5').update(body).digest();
    const staged = this.#blob
      .stageBlock(id, body, length, { transactionalContentMD5: md5, abortSignal: this.#signal })
      .then(
        () => undefined,
        (error: unknown) => {
          this.#failure ??= new IngestError(
            'BLOB_COMMIT',
            `Staging block ${this.#blockIds.indexOf(id)} of "${this.#blob.name}" failed`,
            { blobName: this.#blob.name },
            error,
          );
        },
      )
      .finally(() => {
        this.#inFlight.delete(staged);
        this.#free.push(block);
      });
    this.#inFlight.add(staged);
  }

  async #takeBuffer(): Promise<Buffer> {
    while (this.#free.length === 0 && this.#allocated > this.#concurrency) {
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    this.#allocated += 1;
    return Buffer.allocUnsafe(this.#allocated === 1 ? this.#firstSize : this.#blockSize);
  }

  async #drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

/** A copy of `buffer` in one twice as large (at most `limit`), for a block still filling. */
function grow(buffer: Buffer, limit: number): Buffer {
  const larger = Buffer.allocUnsafe(Math.min(limit, Math.max(1, buffer.length * 2)));
  buffer.copy(larger);
  return larger;
}

import type { ContainerClient } from '@azure/storage-blob';
import { BlockUpload } from '../blob/BlockUpload.js';
import { toStorageError } from '../blob/blobService.js';
import { asciiValue, type Metadata } from '../blob/metadata.js';
import { IngestError } from '../errors/IngestError.js';

/**
 * Where processed records go. Parsing calls `open` once, `write` per record (awaiting it, so a
 * slow sink slows the read), then exactly one of `close` (commit: the output becomes visible,
 * replacing an earlier one) or `abort` (nothing of this attempt becomes visible).
 */
export interface RecordSink {
  open(): Promise<void>;
  /** Returns a promise only when the caller must wait (backpressure). */
  write(record: object): Promise<void> | void;
  close(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/** Which output a sink is for, and the input it comes from. */
export interface SinkTarget {
  readonly kind: 'valid' | 'rejected';
  /** Deterministic output name, e.g. `<blob name>.jsonl`, so a retry replaces it. */
  readonly outputName: string;
  readonly sourceBlob: string;
  readonly sourceSha256: string;
}

/** Makes the sink for one output; replace it to send records to a database or a queue. */
export interface SinkFactory {
  create(target: SinkTarget): RecordSink;
  /** Removes an earlier attempt's output that this attempt does not replace. */
  remove(target: SinkTarget): Promise<void>;
}

/** Block size of output uploads; memory per sink is about this times `uploadConcurrency + 1`. */
const uploadBlockBytes = 4 * 1024 * 1024;
const uploadConcurrency = 2;
/** Records are joined into writes of about this size, not one write per record. */
const writeBatchChars = 64 * 1024;

/**
 * JSON Lines into a block blob, streamed through BlockUpload: its pooled buffers keep memory
 * flat, and each block carries its MD5, which Azurite otherwise computes itself at half speed.
 * Metadata points back to the source blob.
 */
export class JsonLinesBlobSink implements RecordSink {
  private upload?: BlockUpload;
  private pending = '';

  constructor(
    private readonly container: ContainerClient,
    private readonly target: SinkTarget,
  ) {}

  async open(): Promise<void> {
    const client = this.container.getBlockBlobClient(this.target.outputName);
    this.upload = new BlockUpload(client, {
      blockSize: uploadBlockBytes,
      concurrency: uploadConcurrency,
    });
  }

  write(record: object): Promise<void> | void {
    this.pending += JSON.stringify(record) + '\n';
    if (this.pending.length >= writeBatchChars) return this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    try {
      await this.opened().commit(outputMetadata(this.target), undefined, {
        blobContentType: 'application/x-ndjson; charset=utf-8',
      });
    } catch (error) {
      throw this.failed('Committing', error);
    }
  }

  async abort(reason: unknown): Promise<void> {
    // Staged blocks that are never committed never become visible: the old output stays.
    this.pending = '';
    this.upload?.abort(reason);
  }

  private async flush(): Promise<void> {
    const chunk = this.pending;
    this.pending = '';
    if (chunk === '') return;
    try {
      await this.opened().write(Buffer.from(chunk, 'utf8'));
    } catch (error) {
      throw this.failed('Writing', error);
    }
  }

  private opened(): BlockUpload {
    if (this.upload === undefined)
      throw new IngestError(
        'INTERNAL',
        'JsonLinesBlobSink was written to before open(); the processor must open every sink',
        { blobName: this.target.outputName },
      );
    return this.upload;
  }

  /** Output faults are storage faults: a 412/404 here never means the input changed. */
  private failed(what: string, error: unknown): IngestError {
    const name = this.target.outputName;
    return toStorageError(error, `${what} output "${name}" failed`, { blobName: name });
  }
}

/** The default sinks: JSON Lines blobs in the processed container. */
export function blobSinkFactory(container: ContainerClient): SinkFactory {
  return {
    create: (target) => new JsonLinesBlobSink(container, target),
    remove: async (target) => {
      try {
        await container.getBlobClient(target.outputName).deleteIfExists();
      } catch (error) {
        const name = target.outputName;
        throw toStorageError(error, `Removing output "${name}" failed`, { blobName: name });
      }
    },
  };
}

function outputMetadata(target: SinkTarget): Metadata {
  return { source_blob: asciiValue(target.sourceBlob), source_sha256: target.sourceSha256 };
}

import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { asciiValue, type Metadata } from '../blob/metadata.js';

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

/** Block size of output uploads; memory per sink is about this times `uploadConcurrency`. */
const uploadBlockBytes = 4 * 1024 * 1024;
const uploadConcurrency = 2;
/** Records are joined into writes of about this size, not one write per record. */
const writeBatchChars = 64 * 1024;

/** JSON Lines into a block blob, streamed; metadata points back to the source blob. */
export class JsonLinesBlobSink implements RecordSink {
  private readonly body = new PassThrough();
  private upload?: Promise<unknown>;
  private pending = '';

  constructor(
    private readonly container: ContainerClient,
    private readonly target: SinkTarget,
  ) {}

  async open(): Promise<void> {
    const client = this.container.getBlockBlobClient(this.target.outputName);
    this.upload = client.uploadStream(this.body, uploadBlockBytes, uploadConcurrency, {
      metadata: outputMetadata(this.target),
      blobHTTPHeaders: { blobContentType: 'application/x-ndjson; charset=utf-8' },
    });
    // Observed here so an early upload failure is not an unhandled rejection; awaited in close.
    this.upload.catch(() => {});
  }

  write(record: object): Promise<void> | void {
    this.pending += JSON.stringify(record) + '\n';
    if (this.pending.length >= writeBatchChars) return this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    this.body.end();
    await this.upload;
  }

  async abort(reason: unknown): Promise<void> {
    // An upload whose stream errors never commits its block list: the old output stays.
    this.body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    await this.upload?.catch(() => {});
  }

  private async flush(): Promise<void> {
    const chunk = this.pending;
    this.pending = '';
    if (chunk === '' || this.body.write(chunk)) return;
    await Promise.race([once(this.body, 'drain'), this.upload]);
  }
}

/** The default sinks: JSON Lines blobs in the processed container. */
export function blobSinkFactory(container: ContainerClient): SinkFactory {
  return {
    create: (target) => new JsonLinesBlobSink(container, target),
    remove: async (target) => {
      await container.getBlobClient(target.outputName).deleteIfExists();
    },
  };
}

function outputMetadata(target: SinkTarget): Metadata {
  return { source_blob: asciiValue(target.sourceBlob), source_sha256: target.sourceSha256 };
}

import type { ContainerClient } from '@azure/storage-blob';
import { IngestError } from '../errors/IngestError.js';
import type { ProcessResult } from '../records/processBlob.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/** The fields of an Event Grid event this trigger reads (Event Grid schema). */
export interface BlobCreatedEvent {
  readonly id?: string;
  readonly eventType?: string;
  /** `/blobServices/default/containers/<container>/blobs/<blob name>` */
  readonly subject?: string;
}

/** How a delivered event ended. */
export type BlobEventOutcome =
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'handled'; readonly result: ProcessResult };

const blobCreated = 'Microsoft.Storage.BlobCreated';

/**
 * The blob name of a BlobCreated event for `container`, or undefined for any other event or
 * container. The name is percent-decoded: Event Grid keeps the blob name as the URL has it.
 */
export function incomingBlobName(event: BlobCreatedEvent, container: string): string | undefined {
  const raw = subjectBlobName(event, container);
  return raw === undefined ? undefined : safeDecode(raw);
}

/** The blob name exactly as the event's subject spells it, not decoded. */
function subjectBlobName(event: BlobCreatedEvent, container: string): string | undefined {
  if (event.eventType !== blobCreated || event.subject === undefined) return undefined;
  const prefix = `/blobServices/default/containers/${container}/blobs/`;
  if (!event.subject.startsWith(prefix)) return undefined;
  const raw = event.subject.slice(prefix.length);
  return raw === '' ? undefined : raw;
}

/** What handling an event needs; the processor is `processBlob` bound to its dependencies. */
export interface BlobEventDeps {
  readonly incoming: ContainerClient;
  readonly process: (blobName: string) => Promise<ProcessResult>;
  readonly log: Logger;
  readonly telemetry: Telemetry;
}

/**
 * Processes the blob an event names. Bad data is stamped `failed` by the processor and returned;
 * only transient faults escape, so Event Grid redelivers and the processor's idempotence absorbs
 * the repeat (`processed_sha256 == content_sha256` means done). `busy` escapes too: the claim's
 * holder may still give it back, and an event answered normally is never delivered again.
 */
export async function handleBlobCreated(
  event: BlobCreatedEvent,
  deps: BlobEventDeps,
): Promise<BlobEventOutcome> {
  const blobName = incomingBlobName(event, deps.incoming.containerName);
  if (blobName === undefined) {
    deps.log.debug({ subject: event.subject, eventType: event.eventType }, 'event ignored');
    return { kind: 'ignored', reason: 'not a BlobCreated event of the incoming container' };
  }
  const started = Date.now();
  let result = await deps.process(blobName);
  // Blob names hold `%XX` by design (naming/blobName.ts): should a subject carry the name
  // unencoded, decoding it would name another blob, so the name as written is tried too.
  const raw = subjectBlobName(event, deps.incoming.containerName);
  if (result.errorCode === 'BLOB_NOT_FOUND' && raw !== undefined && raw !== blobName)
    result = await deps.process(raw);
  if (result.errorCode === 'BLOB_NOT_FOUND')
    deps.log.warn(
      { blobName, subject: event.subject },
      'event names a blob that is not there (deleted since?): nothing processed',
    );
  if (result.status === 'busy')
    throw new IngestError(
      'BLOB_UNAVAILABLE',
      'Blob is claimed by another processor (status=processing); retry after it finishes',
      { blobName },
    );
  if (deps.telemetry.enabled && (result.status === 'processed' || result.status === 'failed'))
    await report(deps, result, Date.now() - started);
  return { kind: 'handled', result };
}

/** Reads the transfer metadata so processing telemetry joins up with the run that moved it. */
async function report(deps: BlobEventDeps, result: ProcessResult, durationMs: number) {
  const metadata = await deps.incoming
    .getBlobClient(result.blobName)
    .getProperties()
    .then((p) => p.metadata ?? {})
    .catch(() => ({}) as Record<string, string>);
  const scope = {
    runId: metadata.run_id ?? '',
    source: metadata.source ?? result.blobName.split('/')[0] ?? '',
    ftpPath: safeDecode(metadata.source_path ?? ''),
    blobName: result.blobName,
  };
  if (result.status === 'processed')
    deps.telemetry.fileProcessed(scope, result.recordsTotal, durationMs, result.status, {
      ingestedAt: metadata.ingested_at ?? '',
      processedAt: metadata.processed_at ?? '',
    });
  else
    deps.telemetry.fileFailed(scope, 'process', result.errorCode ?? 'INTERNAL', result.error ?? '');
  await deps.telemetry.flush();
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

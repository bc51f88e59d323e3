import type { TokenCredential } from '@azure/core-auth';
import {
  BlobServiceClient,
  RestError,
  StorageRetryPolicyType,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { StorageConnection } from '../config/settings.js';
import { IngestError, type ErrorContext } from '../errors/IngestError.js';
import type { StoredFile } from '../sync/types.js';
import { storedFileOf } from './metadata.js';

/**
 * Retries ride out throttling and a storage endpoint that restarts: eight tries with
 * exponential backoff up to 30 s covers about two minutes without the service.
 */
const pipelineOptions: StoragePipelineOptions = {
  retryOptions: {
    retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
    maxTries: 8,
    retryDelayInMs: 500,
    maxRetryDelayInMs: 30_000,
    tryTimeoutInMs: 120_000,
  },
};

/** A client for the data storage account, by connection string or managed identity. */
export function createBlobService(connection: StorageConnection): BlobServiceClient {
  if (connection.kind === 'connectionString')
    return BlobServiceClient.fromConnectionString(connection.value.reveal(), pipelineOptions);
  return new BlobServiceClient(
    connection.serviceUri,
    lazyDefaultCredential(connection.clientId),
    pipelineOptions,
  );
}

/**
 * DefaultAzureCredential, loaded on the first token request: @azure/identity costs about 10 MB
 * of memory at start, which a run against Azurite or with a connection string never needs.
 */
function lazyDefaultCredential(clientId: string | undefined): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= import('@azure/identity').then(
        ({ DefaultAzureCredential }) =>
          new DefaultAzureCredential(
            clientId === undefined ? {} : { managedIdentityClientId: clientId },
          ),
      );
      return (await credential).getToken(scopes, options);
    },
  };
}

/** Creates the containers the app writes to, when they do not exist yet. */
export async function ensureContainers(service: BlobServiceClient, names: readonly string[]) {
  for (const name of new Set(names)) {
    try {
      await service.getContainerClient(name).createIfNotExists();
    } catch (error) {
      throw toStorageError(error, `Creating container "${name}" failed`, {});
    }
  }
}

/**
 * Every blob under `prefix` with its transfer metadata, read in pages of 5,000 (the service's
 * maximum), so planning against 100,000 blobs is 20 requests, not 100,000.
 */
export async function* listStoredFiles(
  container: ContainerClient,
  prefix: string,
): AsyncGenerator<StoredFile> {
  const pages = container
    .listBlobsFlat({ prefix, includeMetadata: true })
    .byPage({ maxPageSize: 5000 });
  try {
    for await (const page of pages)
      for (const blob of page.segment.blobItems)
        yield storedFileOf(blob.name, blob.properties.etag ?? '', blob.metadata);
  } catch (error) {
    throw toStorageError(
      error,
      `Listing blobs under "${container.containerName}/${prefix}" failed`,
      {},
    );
  }
}

/** True for the service's answer to a failed `If-Match` / `If-None-Match` condition. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof RestError &&
    (error.statusCode === 412 || (error.statusCode === 409 && error.code === 'BlobAlreadyExists'))
  );
}

/** Classifies a Storage SDK error: throttling, 5xx and network faults are transient. */
export function toStorageError(
  error: unknown,
  message: string,
  context: ErrorContext,
): IngestError {
  if (error instanceof IngestError) return error;
  const status = error instanceof RestError ? error.statusCode : undefined;
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (status === 404)
    return new IngestError('BLOB_NOT_FOUND', `${message}: not found`, context, error);
  if (isConditionFailure(error))
    return new IngestError(
      'BLOB_CONFLICT',
      `${message}: the blob changed meanwhile`,
      context,
      error,
    );
  if (status !== undefined && status < 500 && status !== 408 && status !== 429)
    return new IngestError('BLOB_REJECTED', `${message}: HTTP ${status} ${detail}`, context, error);
  return new IngestError('BLOB_UNAVAILABLE', `${message}: ${detail}`, context, error);
}

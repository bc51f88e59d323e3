import type { SourceSettings } from '../config/settings.js';
import { IngestError, messageOf } from '../errors/IngestError.js';
import { incomingContainer, type SyncDeps } from './SyncDeps.js';
import {
  commitFile,
  downloadFile,
  type DownloadedFile,
  type TransferTuning,
} from './transferFile.js';
import type { PlannedFile, TransferResult } from './types.js';

/** How a batch of files is worked through. */
export interface TransferOptions extends TransferTuning {
  /** FTP connections this call uses at once. Default 1: one login serves the whole batch. */
  readonly connections?: number;
  /** Called after each file, for progress displays. */
  readonly onFile?: (result: TransferResult) => void;
}

/** Codes that mean the server cannot be reached at all: no file in the batch can succeed. */
const batchLosingCodes = new Set(['FTP_CONNECT', 'FTP_BUSY']);

/**
 * Moves files, each worker on one connection taking the next file while the previous file's
 * commit is still in flight, so the network never waits for storage. A file that fails is a
 * result, not an exception; only a server that cannot be reached at all throws, so the
 * orchestrator can retry the whole batch later.
 */
export async function transferFiles(
  deps: SyncDeps,
  source: SourceSettings,
  files: readonly PlannedFile[],
  runId: string,
  options: TransferOptions = {},
): Promise<TransferResult[]> {
  const pool = deps.pools.get(source);
  const container = incomingContainer(deps);
  const log = deps.log.child({ runId, source: source.name });
  const results: TransferResult[] = [];
  const queue = [...files];
  const record = (result: TransferResult) => {
    results.push(result);
    options.onFile?.(result);
  };

  const worker = async () => {
    let pendingCommit: Promise<void> = Promise.resolve();
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const started = Date.now();
      const blob = container.getBlockBlobClient(file.blobName);
      let downloaded: DownloadedFile;
      try {
        downloaded = await downloadFile(pool, source, blob, file, log, options);
      } catch (error) {
        if (error instanceof IngestError && batchLosingCodes.has(error.code)) {
          queue.length = 0;
          await pendingCommit;
          throw error;
        }
        record(failed(file, error, started));
        continue;
      }
      await pendingCommit;
      pendingCommit = commitFile(blob, downloaded, source, runId, deps.now()).then(
        ({ outcome }) => {
          const result: TransferResult = {
            path: file.path,
            blobName: file.blobName,
            outcome,
            bytes: downloaded.bytes,
            sha256: downloaded.sha256,
            durationMs: Date.now() - started,
          };
          log.info(
            { ftpPath: file.path, blobName: file.blobName, bytes: result.bytes, outcome },
            `file ${outcome}`,
          );
          record(result);
        },
        (error: unknown) => record(failed(file, error, started)),
      );
    }
    await pendingCommit;
  };

  const workers = Math.max(1, Math.min(options.connections ?? 1, files.length));
  const outcomes = await Promise.allSettled(Array.from({ length: workers }, worker));
  const lost = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (lost !== undefined) throw lost.reason;
  for (const result of results)
    if (result.outcome === 'failed')
      log.warn(
        {
          ftpPath: result.path,
          blobName: result.blobName,
          errorCode: result.errorCode,
          err: result.error,
        },
        'file failed',
      );
  return results;
}

function failed(file: PlannedFile, error: unknown, started: number): TransferResult {
  return {
    path: file.path,
    blobName: file.blobName,
    outcome: 'failed',
    bytes: 0,
    errorCode: error instanceof IngestError ? error.code : 'INTERNAL',
    error: messageOf(error),
    durationMs: Date.now() - started,
  };
}

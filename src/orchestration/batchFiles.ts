import type { PlannedFile } from '../sync/types.js';

/** Limits for one batch: one activity invocation, one FTP login. */
export interface BatchLimits {
  /** Files in a batch. */
  readonly maxFiles: number;
  /** Bytes in a batch; a single file above it is a batch of its own. */
  readonly maxBytes: number;
}

/**
 * Cuts files into batches in their given order, closing a batch when one more file would pass
 * either limit. Small files share a login; a large file never waits behind a queue of others.
 */
export function batchFiles<T extends Pick<PlannedFile, 'size'>>(
  files: readonly T[],
  limits: BatchLimits,
): T[][] {
  const maxFiles = Math.max(1, Math.floor(limits.maxFiles));
  const maxBytes = Math.max(1, limits.maxBytes);
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const file of files) {
    const wouldOverflow = current.length >= maxFiles || bytes + file.size > maxBytes;
    if (current.length > 0 && wouldOverflow) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

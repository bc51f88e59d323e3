/** A regular file found on the FTP server. Paths use `/` and are relative to the source root. */
export interface RemoteFile {
  /** Path relative to the source root, e.g. `daily/2026-12-01/orders.csv`. */
  readonly path: string;
  /** Bytes, as the server listed them. */
  readonly size: number;
  /** Server modification time, ISO 8601 UTC, or undefined when the server gives none. */
  readonly modified?: string;
}

/** What the incoming container already knows about a file: its transfer metadata. */
export interface StoredFile {
  readonly blobName: string;
  readonly etag: string;
  readonly sourceSize?: number;
  readonly sourceModified?: string;
  readonly contentSha256?: string;
  readonly status?: string;
}

/** Why a listed file is or is not in this run's transfers. */
export type PlanReason = 'new' | 'changed' | 'unchanged' | 'touched' | 'unstable' | 'forced';

export interface PlannedFile extends RemoteFile {
  readonly blobName: string;
  readonly reason: PlanReason;
  /** ETag of the blob the plan compared against: the commit is conditional on it. */
  readonly storedEtag?: string;
  /** `content_sha256` of that blob: equal bytes are not committed again. */
  readonly storedSha256?: string;
}

/** The outcome of moving one file. */
export type TransferOutcome =
  | 'transferred' /** committed as a new blob version */
  | 'touched' /** same bytes as the stored blob: only its recorded server time was updated */
  | 'failed';

export interface TransferResult {
  readonly path: string;
  readonly blobName: string;
  readonly outcome: TransferOutcome;
  readonly bytes: number;
  readonly sha256?: string;
  readonly errorCode?: string;
  readonly error?: string;
  readonly durationMs: number;
}

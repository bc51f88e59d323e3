import { listStoredFiles } from '../blob/blobService.js';
import { asciiValue, maxSourcePathLength } from '../blob/metadata.js';
import type { SourceSettings } from '../config/settings.js';
import { IngestError, messageOf } from '../errors/IngestError.js';
import { listTree, type ListingProblem } from '../ftp/listTree.js';
import { blobNameFor, sourcePrefix } from '../naming/blobName.js';
import { incomingContainer, type SyncDeps } from './SyncDeps.js';
import type { PlanReason, PlannedFile, RemoteFile, StoredFile } from './types.js';
import type { RunFailure } from './planFailure.js';
import {
  isSettled,
  readListingState,
  sightingOf,
  writeListingState,
  type Sighting,
} from './listingState.js';

/** Options for one run. */
export interface PlanOptions {
  /** Limit the run to these sub-trees, relative to the source root. Default: the whole tree. */
  readonly paths?: readonly string[];
  /** Transfer files even when unchanged. Default false. */
  readonly force?: boolean;
}

/** What a run will do, and why. */
export interface Plan {
  readonly runId: string;
  readonly source: string;
  /** Regular files the listing found (done-marker files excluded). */
  readonly listed: number;
  readonly counts: Readonly<Record<PlanReason, number>>;
  /** Files to move, largest first so the slowest transfer starts earliest. */
  readonly transfers: readonly PlannedFile[];
  /** Files listed but left out: a name that cannot become a blob, a loop, a limit. */
  readonly problems: readonly ListingProblem[];
  /** Files not yet stable, each with what it waits for; a later run takes them. */
  readonly waiting?: readonly ListingProblem[];
  readonly bytesPlanned: number;
  /** Set when the server could not be listed at all; see planFailure.ts. */
  readonly failure?: RunFailure;
}

/**
 * Lists the FTP tree and the source's blobs side by side and decides, per file, whether it is
 * new, changed, unchanged or not yet stable. Unchanged means the blob records the same
 * `source_size` and `source_modified` as the listing, which is what rclone compares too; the
 * transfer then settles "same time, different bytes" and "new time, same bytes" by hash.
 */
export async function planSync(
  deps: SyncDeps,
  source: SourceSettings,
  runId: string,
  options: PlanOptions = {},
): Promise<Plan> {
  const log = deps.log.child({ runId, source: source.name });
  const pool = deps.pools.get(source);
  const [listing, stored, seen] = await Promise.all([
    listTree(pool, source.ftp, log, { paths: options.paths }),
    readStoredFiles(deps, source.name),
    readListingState(deps, source.name),
  ]);

  const now = deps.now().getTime();
  const counts: Record<PlanReason, number> = {
    new: 0,
    changed: 0,
    unchanged: 0,
    touched: 0,
    unstable: 0,
    forced: 0,
  };
  const problems: ListingProblem[] = [...listing.problems];
  const transfers: PlannedFile[] = [];
  const waiting: ListingProblem[] = [];
  const candidates = withoutDoneMarkers(listing.files, source.ftp.doneSuffix);
  const sightings = new Map<string, Sighting>();
  for (const file of candidates.files) {
    let blobName: string;
    try {
      blobName = blobNameFor(source.name, file.path);
      if (asciiValue(file.path).length > maxSourcePathLength)
        throw new IngestError(
          'FILE_NAME',
          `Path is ${asciiValue(file.path).length} characters once encoded for metadata;` +
            ` at most ${maxSourcePathLength} fit beside the other keys in 8 KiB`,
        );
    } catch (error) {
      problems.push({ path: file.path, reason: messageOf(error) });
      continue;
    }
    const existing = stored.get(blobName);
    // A file without a usable time has no age: it must keep its size across listings instead.
    const sighting =
      file.modified === undefined ? sightingOf(file, seen.get(file.path), deps.now()) : undefined;
    const settled =
      sighting === undefined ||
      source.ftp.minAgeSeconds === 0 ||
      (existing !== undefined && isUnchanged(file, existing)) ||
      isSettled(sighting, seen.get(file.path), now, source.ftp.minAgeSeconds);
    const young = !isStable(file, now, source.ftp.minAgeSeconds);
    const undone = !candidates.isDone(file);
    const reason = decide(file, existing, {
      force: options.force === true,
      stable: !young && !undone && settled,
    });
    if (sighting !== undefined && reason !== 'unchanged') sightings.set(file.path, sighting);
    counts[reason] += 1;
    if (reason === 'unstable')
      waiting.push({
        path: file.path,
        reason: young
          ? `modified less than FTP_MIN_AGE_SECONDS (${source.ftp.minAgeSeconds} s) ago`
          : undone
            ? `no ${source.ftp.doneSuffix} marker yet`
            : 'size not yet the same across listings (the server gives no exact time)',
      });
    if (reason === 'unchanged' || reason === 'unstable') continue;
    transfers.push({
      ...file,
      blobName,
      reason,
      storedEtag: existing?.etag,
      storedSha256: existing?.contentSha256,
    });
  }
  transfers.sort((a, b) => b.size - a.size || a.path.localeCompare(b.path));
  // A sub-tree run leaves the sightings of the rest of the tree as they were.
  if (options.paths !== undefined)
    for (const [path, sighting] of seen)
      if (!isUnder(path, options.paths)) sightings.set(path, sighting);
  if (seen.size > 0 || sightings.size > 0)
    await writeListingState(deps, source.name, sightings).catch((error: unknown) =>
      log.warn({ err: error }, 'listing state not saved: undated files wait one more run'),
    );

  const plan: Plan = {
    runId,
    source: source.name,
    listed: candidates.files.length,
    counts,
    transfers,
    problems,
    waiting,
    bytesPlanned: transfers.reduce((sum, file) => sum + file.size, 0),
  };
  log.info({ listed: plan.listed, ...counts, bytes: plan.bytesPlanned }, 'plan ready');
  return plan;
}

interface Decision {
  readonly force: boolean;
  readonly stable: boolean;
}

function decide(
  file: RemoteFile,
  existing: StoredFile | undefined,
  decision: Decision,
): PlanReason {
  if (!decision.stable) return 'unstable';
  if (existing === undefined) return 'new';
  if (decision.force) return 'forced';
  return isUnchanged(file, existing) ? 'unchanged' : 'changed';
}

/** Same size and same server time as recorded at the last commit. */
export function isUnchanged(file: RemoteFile, existing: StoredFile): boolean {
  return existing.sourceSize === file.size && existing.sourceModified === file.modified;
}

/**
 * Old enough that the vendor has finished writing it. A file with no server time cannot be
 * judged by age and passes here; the plan then asks the listing state whether its size held
 * (listingState.ts). A time in the future (a server clock ahead of ours, or a
 * wrong FTP_TIMEZONE) counts as young until it has passed.
 */
export function isStable(file: RemoteFile, nowMs: number, minAgeSeconds: number): boolean {
  if (minAgeSeconds === 0 || file.modified === undefined) return true;
  return nowMs - Date.parse(file.modified) >= minAgeSeconds * 1000;
}

/**
 * With a done-file convention, `x.csv.done` marks `x.csv` as complete: markers are never
 * transferred, and a file without its marker waits.
 */
function withoutDoneMarkers(files: readonly RemoteFile[], suffix: string | undefined) {
  if (suffix === undefined) return { files, isDone: () => true };
  const markers = new Set(files.filter((f) => f.path.endsWith(suffix)).map((f) => f.path));
  return {
    files: files.filter((f) => !markers.has(f.path)),
    isDone: (file: RemoteFile) => markers.has(file.path + suffix),
  };
}

function isUnder(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const prefix = root.replace(/^\/+|\/+$/g, '');
    return prefix === '' || path === prefix || path.startsWith(prefix + '/');
  });
}

async function readStoredFiles(deps: SyncDeps, source: string): Promise<Map<string, StoredFile>> {
  const stored = new Map<string, StoredFile>();
  for await (const file of listStoredFiles(incomingContainer(deps), sourcePrefix(source)))
    stored.set(file.blobName, file);
  return stored;
}

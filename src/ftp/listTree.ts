import { FTPError, FileType, type Client, type FileInfo } from 'basic-ftp';
import picomatch from 'picomatch';
import type { FtpSettings } from '../config/settings.js';
import type { RemoteFile } from '../sync/types.js';
import type { Logger } from '../telemetry/logger.js';
import { isUnreadableListing, toIngestError } from './ftpErrors.js';
import type { FtpPool } from './FtpPool.js';
import { isoSeconds, readListedTime } from './listTime.js';
import { MdtmDates, type Undated } from './MdtmDates.js';
import { absolutePath, childPath } from './remotePath.js';
import { judgeMdtmClock, modifiedFrom, type MdtmClock, type ServerTimes } from './serverTime.js';

/** Something under the root that was not listed, and why; the walk goes on without it. */
export interface ListingProblem {
  readonly path: string;
  readonly reason: string;
}

/** The reason given for a requested sub-tree that the server does not have. */
export const missingFolderReason = 'no such folder';

export interface Listing {
  readonly files: readonly RemoteFile[];
  readonly problems: readonly ListingProblem[];
}

export interface ListTreeOptions {
  /** Sub-trees to walk, relative to the root. Default: the whole root. */
  readonly paths?: readonly string[];
  /** Folder levels below the root that are listed. Default 64. */
  readonly maxDepth?: number;
  /** Entries (files and folders) read before the walk stops. Default 1000000. */
  readonly maxEntries?: number;
  /** The current time, for year-less LIST dates. Default: the clock. */
  readonly now?: Date;
}

interface Folder {
  readonly path: string;
  /** The folder as the server resolves it, so a symbolic link back up the tree is noticed. */
  readonly realPath: string;
  readonly depth: number;
}

interface Found {
  readonly path: string;
  readonly size: number;
  readonly modified?: string;
  readonly times?: ServerTimes;
}

/** Larger than any flat file a vendor sends; a bigger number is a parse error. */
const maxPlausibleSize = 2 ** 50;
/** What each server's MDTM clock turned out to be, remembered across walks with the same pool. */
const knownMdtmClocks = new WeakMap<FtpPool, MdtmClock>();

/** Walks the root (or sub-trees of it) and returns its regular files, paths relative to the root. */
export async function listTree(
  pool: FtpPool,
  settings: FtpSettings,
  log: Logger,
  options: ListTreeOptions = {},
): Promise<Listing> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const maxDepth = options.maxDepth ?? 64;
  const maxEntries = options.maxEntries ?? 1_000_000;
  const isIncluded = matcher(settings.include, true);
  const isExcluded = matcher(settings.exclude, false);
  // Only `x/**` says every file below x is excluded; prune exactly those folders.
  const isPruned = matcher(
    settings.exclude.filter((glob) => glob.endsWith('/**')).map((glob) => glob.slice(0, -3)),
    false,
  );
  const isWanted = (path: string) => isIncluded(path) && !isExcluded(path);
  // `FTP_INCLUDE=*.csv` would hide `x.csv.done`: a marker is listed whenever its file would be.
  const suffix = settings.doneSuffix;
  const isSelected = (path: string) =>
    isWanted(path) ||
    (suffix !== undefined && path.endsWith(suffix) && isWanted(path.slice(0, -suffix.length)));
  const found: Found[] = [];
  /** Files whose LIST line has no exact time; MDTM asks for it after the walk. */
  const undated: Undated[] = [];
  const problems: ListingProblem[] = [];
  const visited = new Set<string>();
  let linkedFolders: Folder[] = [];
  let entries = 0;
  const mdtm = new MdtmDates(pool, settings.root);

  const starts = await pool.use((client) => startFolders(client, settings, options, problems));
  const listFolder = (folder: Folder): Promise<Folder[]> =>
    pool.use(async (client) => {
      const remote = absolutePath(settings.root, folder.path);
      let listed: FileInfo[];
      try {
        listed = await client.list(remote);
      } catch (error) {
        // basic-ftp rejects a listing it cannot parse after the transfer ended: the session is
        // fine, and one vendor folder in an odd format must not hide all the others.
        if (isUnreadableListing(error) && folder.depth > 0) {
          problems.push({ path: folder.path, reason: `listing in an unknown format: not listed` });
          return [];
        }
        if (!(error instanceof FTPError) || error.code !== 550 || folder.depth === 0) throw error;
        problems.push({ path: folder.path, reason: `cannot list folder: ${error.message.trim()}` });
        return [];
      }
      const children: Folder[] = [];
      for (const entry of listed) {
        if (entry.name === '.' || entry.name === '..') continue;
        if (++entries > maxEntries) {
          if (entries === maxEntries + 1)
            problems.push({
              path: folder.path,
              reason: `more than ${maxEntries} entries: walk stopped`,
            });
          return [];
        }
        const path = childPath(folder.path, entry.name);
        const child: Folder = {
          path,
          realPath: `${folder.realPath.replace(/\/$/, '')}/${entry.name}`,
          depth: folder.depth + 1,
        };
        if (entry.type === FileType.Directory) {
          if (isPruned(path)) continue;
          if (child.depth > maxDepth) {
            problems.push({ path, reason: `deeper than ${maxDepth} levels: not listed` });
            continue;
          }
          // MLSD's `unique` fact (device and inode) names a folder whatever path reached it.
          const keys = [
            child.realPath,
            ...(entry.uniqueID === undefined ? [] : [`id:${entry.uniqueID}`]),
          ];
          if (keys.some((key) => visited.has(key))) {
            problems.push({ path, reason: 'folder already listed under another path (loop?)' });
            continue;
          }
          for (const key of keys) visited.add(key);
          children.push(child);
        } else if (entry.type === FileType.SymbolicLink) {
          const target = await resolveLink(client, absolutePath(settings.root, path));
          if (target === undefined) {
            if (isSelected(path)) await addLinkedFile(client, path);
          } else if (!isPruned(path)) {
            if (child.depth > maxDepth)
              problems.push({ path, reason: `deeper than ${maxDepth} levels: not listed` });
            else linkedFolders.push({ ...child, realPath: target });
          }
        } else if (entry.type === FileType.File) {
          if (!isSelected(path)) continue;
          if (!isPlausibleSize(entry.size)) {
            problems.push({ path, reason: `implausible size ${entry.size} in the listing` });
            continue;
          }
          if (entry.modifiedAt !== undefined) {
            found.push({ path, size: entry.size, modified: isoSeconds(entry.modifiedAt) });
            continue;
          }
          undated.push({ path, size: entry.size, listed: readListedTime(entry.rawModifiedAt) });
        } else {
          problems.push({ path, reason: 'neither a regular file, a folder nor a link: skipped' });
        }
      }
      return children;
    });

  /** A link to a file: LIST gives the link's own size, SIZE and MDTM follow it. */
  const addLinkedFile = async (client: Client, path: string): Promise<void> => {
    const remote = absolutePath(settings.root, path);
    try {
      const size = await client.size(remote);
      const modified = await mdtm.lastModified(client, remote);
      if (isPlausibleSize(size)) found.push({ path, size, times: { mdtm: modified } });
      else problems.push({ path, reason: `implausible size ${size} from SIZE` });
    } catch (error) {
      if (!(error instanceof FTPError)) throw error;
      problems.push({ path, reason: `broken symbolic link: ${error.message.trim()}` });
    }
  };

  for (const start of starts) visited.add(start.realPath);
  let pending: Folder[] = starts;
  const concurrency = Math.max(1, Math.min(pool.limit, 4));
  try {
    while (pending.length > 0) {
      await walk(pending, concurrency, listFolder);
      // Links are followed last, so a real folder is listed under its own path, not the link's.
      pending = [];
      for (const link of linkedFolders) {
        if (isInside(link.realPath, visited)) {
          problems.push({
            path: link.path,
            reason: `symbolic link to ${link.realPath}, already listed (loop or duplicate)`,
          });
          continue;
        }
        visited.add(link.realPath);
        pending.push(link);
      }
      linkedFolders = [];
    }
    found.push(...(await mdtm.dateAll(undated, concurrency)));
  } catch (error) {
    throw toIngestError(error, { ftpPath: settings.root }, 'list');
  }

  const clock = decideMdtmClock(pool, found, settings.timezone, now);
  const files: RemoteFile[] = found
    .map((file) => ({
      path: file.path,
      size: file.size,
      modified:
        file.modified ?? (file.times && modifiedFrom(file.times, clock, settings.timezone, now)),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  log.info(
    {
      ftpPath: settings.root,
      files: files.length,
      problems: problems.length,
      durationMs: Date.now() - started,
    },
    'FTP tree listed',
  );
  return { files, problems };
}

/** The root (or the requested sub-trees) as folders; a missing root fails the walk. */
async function startFolders(
  client: Client,
  settings: FtpSettings,
  options: ListTreeOptions,
  problems: ListingProblem[],
): Promise<Folder[]> {
  const requested = options.paths ?? [''];
  const folders: Folder[] = [];
  for (const raw of requested) {
    const path = raw.replace(/^\/+|\/+$/g, '');
    if (path.split('/').includes('..')) {
      problems.push({ path, reason: 'path leaves the root: not listed' });
      continue;
    }
    const remote = absolutePath(settings.root, path);
    const realPath = await resolveLink(client, remote);
    if (realPath !== undefined) {
      folders.push({ path, realPath, depth: path === '' ? 0 : path.split('/').length });
      continue;
    }
    // vsftpd answers LIST of a missing folder with an empty listing, so ask with CWD instead.
    if (path === '')
      throw toIngestError(
        new FTPError({ code: 550, message: `550 ${remote}: no such folder` }),
        { ftpPath: remote },
        'list',
      );
    problems.push({ path, reason: missingFolderReason });
  }
  return folders;
}

/** The folder a path leads to as the server resolves it, or undefined when it is no folder. */
async function resolveLink(client: Client, remote: string): Promise<string | undefined> {
  const home = await client.pwd();
  try {
    await client.cd(remote);
  } catch (error) {
    if (error instanceof FTPError && error.code >= 500) return undefined;
    throw error;
  }
  try {
    return await client.pwd();
  } finally {
    await client.cd(home);
  }
}

/** Lists folders `concurrency` at a time; each listing may add more folders to list. */
async function walk(start: Folder[], concurrency: number, list: (f: Folder) => Promise<Folder[]>) {
  const queue = [...start];
  const worker = async (): Promise<void> => {
    for (let folder = queue.shift(); folder !== undefined; folder = queue.shift()) {
      queue.push(...(await list(folder)));
    }
  };
  // A worker can run dry while another is still listing: run rounds until nothing is queued.
  while (queue.length > 0) await Promise.all(Array.from({ length: concurrency }, worker));
}

function decideMdtmClock(
  pool: FtpPool,
  found: readonly Found[],
  timezone: string,
  now: Date,
): MdtmClock {
  for (const file of found) {
    if (file.times === undefined) continue;
    const judged = judgeMdtmClock(file.times, timezone, now);
    if (judged !== undefined) {
      knownMdtmClocks.set(pool, judged);
      return judged;
    }
  }
  // RFC 3659 says UTC; only a file whose LIST and MDTM disagree can show otherwise.
  return knownMdtmClocks.get(pool) ?? 'utc';
}

function isInside(realPath: string, visited: ReadonlySet<string>): boolean {
  for (let path = realPath; ; path = path.slice(0, path.lastIndexOf('/'))) {
    if (visited.has(path === '' ? '/' : path)) return true;
    if (path === '' || !path.includes('/')) return false;
  }
}

function isPlausibleSize(size: number): boolean {
  return Number.isSafeInteger(size) && size >= 0 && size <= maxPlausibleSize;
}

function matcher(globs: readonly string[], whenEmpty: boolean): (path: string) => boolean {
  if (globs.length === 0) return () => whenEmpty;
  return picomatch([...globs], { dot: true });
}

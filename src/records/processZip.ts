import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { IngestError, isIngestError } from '../errors/IngestError.js';
import { blobNameFor } from '../naming/blobName.js';
import { formatFor, type FormatCatalog } from './formats.js';
import {
  processContent,
  resultOf,
  type ContentJob,
  type ContentOutcome,
} from './processContent.js';

/** One member of a zip and how it ended. */
export interface MemberResult {
  readonly member: string;
  readonly status: 'processed' | 'failed';
  readonly recordsTotal: number;
  readonly recordsValid: number;
  readonly recordsRejected: number;
  readonly errorCode?: string;
  readonly error?: string;
}

/** What a zip needs besides its bytes: the per-member job is derived from `base`. */
export interface ZipJob {
  readonly catalog: FormatCatalog;
  /** Path of the zip relative to its source, for matching member formats. */
  readonly relativePath: string;
  readonly base: Omit<ContentJob, 'format' | 'outputBase' | 'gzip' | 'verify'>;
  /** Checks the downloaded bytes (the hash) before any member is read. */
  readonly verify: () => IngestError | undefined;
}

/**
 * Processes each member of a zip, one at a time, with outputs `<zip blob>/<member>.jsonl`.
 * A zip's directory is at its end, so yauzl needs random access: the blob is streamed to a
 * temporary file first. That is bounded by local disk, not memory, and removed afterwards.
 * Members are matched against SOURCE_FORMATS as `<zip path>/<member path>`.
 */
export async function processZip(
  bytes: AsyncIterable<Buffer>,
  job: ZipJob,
): Promise<MemberResult[] | IngestError> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ftp-ingest-zip-'));
  try {
    const file = path.join(dir, 'archive.zip');
    await pipeline(bytes, createWriteStream(file));
    const mismatch = job.verify();
    if (mismatch !== undefined) return mismatch;
    let zip: yauzl.ZipFile;
    try {
      zip = await openZip(file);
    } catch (error) {
      return new IngestError('ARCHIVE', `Not a readable zip: ${(error as Error).message}`);
    }
    try {
      return await processMembers(zip, job);
    } catch (error) {
      // A directory that breaks halfway through is bad data, like one that cannot be opened.
      if (isIngestError(error) && !error.transient) return error;
      throw error;
    } finally {
      zip.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function processMembers(zip: yauzl.ZipFile, job: ZipJob): Promise<MemberResult[]> {
  const results: MemberResult[] = [];
  for (let entry = await nextEntry(zip); entry !== undefined; entry = await nextEntry(zip)) {
    const member = entry.fileName;
    if (member.endsWith('/')) continue;
    if (entry.isEncrypted()) {
      const error = 'member is encrypted; ftp-ingest reads only unencrypted zips';
      results.push({ ...memberCounts(member), status: 'failed', errorCode: 'ARCHIVE', error });
      continue;
    }
    try {
      results.push(await processMember(zip, entry, job));
    } catch (error) {
      // One unreadable or unnameable member fails itself; the others are still read.
      if (!isIngestError(error) || error.transient) throw error;
      const failed = { status: 'failed' as const, errorCode: error.code, error: error.describe() };
      results.push({ ...memberCounts(member), ...failed });
    }
  }
  return results;
}

async function processMember(zip: yauzl.ZipFile, entry: yauzl.Entry, job: ZipJob) {
  const member = entry.fileName;
  const outputBase = blobNameFor(job.base.sourceBlob, member);
  const stream = await openEntry(zip, entry);
  const outcome = await processContent(asArchiveData(stream, member, entry.crc32), {
    ...job.base,
    format: formatFor(job.catalog, `${job.relativePath}/${member}`),
    outputBase,
    gzip: member.endsWith('.gz'),
  });
  return memberResult(member, outcome);
}

/**
 * A member that fails to inflate, or whose bytes do not match the CRC-32 its directory entry
 * records (yauzl does not check it; a stored member would otherwise pass altered bytes
 * silently), is bad data in the archive, not a fault worth retrying.
 */
async function* asArchiveData(
  stream: Readable,
  member: string,
  expectedCrc: number,
): AsyncGenerator<Buffer> {
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (error) {
    throw new IngestError('ARCHIVE', `Member ${member} is corrupt: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  if (crc !== expectedCrc)
    throw new IngestError(
      'ARCHIVE',
      `Member ${member} is corrupt: its bytes have CRC-32 ${hex(crc)}, the zip records ` +
        `${hex(expectedCrc)}`,
    );
}

function hex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

function memberCounts(member: string) {
  return { member, recordsTotal: 0, recordsValid: 0, recordsRejected: 0 };
}

function memberResult(member: string, outcome: ContentOutcome): MemberResult {
  return { member, ...resultOf(outcome) };
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, zip) =>
      error ? reject(error) : resolve(zip),
    ),
  );
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const done = (entry: yauzl.Entry | undefined, error?: Error) => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
      if (error === undefined) resolve(entry);
      else reject(new IngestError('ARCHIVE', `Zip directory is corrupt: ${error.message}`));
    };
    const onEntry = (entry: yauzl.Entry) => done(entry);
    const onEnd = () => done(undefined);
    const onError = (error: Error) => done(undefined, error);
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) =>
      error
        ? reject(
            new IngestError('ARCHIVE', `Cannot read member ${entry.fileName}: ${error.message}`),
          )
        : resolve(stream),
    ),
  );
}

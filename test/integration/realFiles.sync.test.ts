import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.js';
import { cli } from '../helpers/cli.js';
import { startInProcessFtp, startVsftpd, type RunningFtpServer } from '../helpers/ftpServers.js';
import { realFileCounts, realFormats, sharedDataDir } from '../helpers/sharedData.js';

const data = sharedDataDir();
const skip = data === undefined ? 'real vendor files not found at ../shared/data/real' : false;

/**
 * Data records per file counted by Python's csv module, a tool independent of ours: rows that
 * are not blank, less the header row (a quoted header may span lines, so it is a csv row, not a
 * line); EDGAR's five preamble lines, header and dashes are plain lines skipped first.
 */
const pythonCount = `
import csv, sys
name, delimiter, skip, encoding = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(name, newline='', encoding=encoding) as f:
    for _ in range(skip): f.readline()
    rows = [r for r in csv.reader(f, delimiter=delimiter) if r]
print(len(rows) - (0 if skip else 1))
`;
/** Delimiter, preamble lines (EDGAR's has no header row after it) and Python encoding. */
const dialects: Record<string, [string, number, string]> = {
  'sec-edgar-master-20200103.idx': ['|', 7, 'ascii'],
  'istat-elenco-comuni-italiani-2020-utf8bom.csv': [';', 0, 'utf-8-sig'],
  'dwd-produkt_klima_tag_19861001_19870131_00429.txt': [';', 0, 'ascii'],
};

function independentCount(file: string, manifestCount: number): number {
  const [delimiter, skipLines, encoding] = dialects[path.basename(file)] ?? [',', 0, 'utf-8'];
  try {
    const out = execFileSync('python3', [
      '-c',
      pythonCount,
      file,
      delimiter,
      String(skipLines),
      encoding,
    ]);
    return Number(out.toString().trim());
  } catch {
    return manifestCount; // no python3 here: the MANIFEST's counts were made the same way
  }
}

describe('real vendor files through FTP, Blob Storage and processing', { skip }, () => {
  let root: string;
  let ftp: RunningFtpServer;
  let azurite: RunningAzurite;
  let env: Record<string, string>;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ftp-ingest-real-'));
    await chmod(root, 0o755); // vsftpd serves it as an unprivileged system user
    await cp(path.join(data!, 'real'), path.join(root, 'vendor'), { recursive: true });
    const old = new Date('2026-01-02T03:04:05Z');
    for (const [name] of realFileCounts) await utimes(path.join(root, 'vendor', name), old, old);
    // vsftpd is the LIST-only server vendors run most; without it, the in-process server.
    const vsftpd = await startVsftpd(root);
    ftp = 'skip' in vsftpd ? await startInProcessFtp(root) : vsftpd;
    azurite = await startAzurite();
    env = {
      FTP_HOST: ftp.host,
      FTP_PORT: String(ftp.port),
      FTP_USER: ftp.user,
      FTP_PASSWORD: ftp.password,
      FTP_ROOT: '/vendor',
      FTP_EXCLUDE: 'SHA256SUMS',
      SOURCE_NAME: 'public',
      SOURCE_FORMATS: JSON.stringify(realFormats),
      AzureWebJobsStorage: azurite.connectionString,
      LOG_LEVEL: 'warn',
    };
  });

  after(async () => {
    await Promise.all([ftp?.stop(), azurite?.stop()]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('stores every file byte for byte and processes it with the independent record count', async () => {
    const run = await cli(['sync', '--json', '--no-progress'], env);
    assert.equal(run.code, 0, run.err + run.out);
    const incoming = azurite.blobService.getContainerClient('incoming');
    for (const [name, manifestCount] of realFileCounts) {
      const original = await readFile(path.join(root, 'vendor', name));
      const blob = incoming.getBlobClient(`public/${name}`);
      const stored = await blob.downloadToBuffer();
      assert.ok(stored.equals(original), `${name}: stored bytes differ from the original`);
      const { metadata = {} } = await blob.getProperties();
      assert.equal(metadata.content_sha256, createHash('sha256').update(original).digest('hex'));
      assert.equal(metadata.source_modified, '2026-01-02T03:04:05.000Z', name);
      const expected = independentCount(path.join(root, 'vendor', name), manifestCount);
      assert.equal(expected, manifestCount, `${name}: Python's count differs from the MANIFEST`);
      assert.equal(metadata.status, 'processed', `${name}: ${metadata.error ?? ''}`);
      assert.equal(metadata.records_total, String(expected), name);
      assert.equal(metadata.records_valid, String(expected), name);
      assert.equal(metadata.processed_sha256, metadata.content_sha256);
    }
  });
});

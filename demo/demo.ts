import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/main.js';
import { startAzurite } from '../test/helpers/azurite.js';
import { startInProcessFtp } from '../test/helpers/ftpServers.js';
import { demoFormats, sampleFiles, writeSampleFiles } from './sampleFiles.js';

/**
 * The demo: a local FTP server with vendor-like files, Azurite as Blob Storage, and two syncs
 * through the real CLI. The second sync shows that nothing moves when nothing changed.
 */
async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ftp-ingest-demo-'));
  const files = sampleFiles();
  await writeSampleFiles(root, files);
  // An hour old, so the default minimum file age (60 s) does not hold them back.
  const anHourAgo = new Date(Date.now() - 3600_000);
  for (const file of files) await utimes(join(root, file.path), anHourAgo, anHourAgo);

  say(`Starting an FTP server on loopback serving ${files.length} sample files from ${root}`);
  const ftp = await startInProcessFtp(root, { user: 'vendor', password: 'demo-password' });
  say('Starting Azurite (Blob Storage emulator) in memory');
  const azurite = await startAzurite();
  const env: Record<string, string> = {
    FTP_HOST: ftp.host,
    FTP_PORT: String(ftp.port),
    FTP_USER: ftp.user,
    FTP_PASSWORD: ftp.password,
    SOURCE_NAME: 'acme',
    SOURCE_FORMATS: JSON.stringify(demoFormats),
    AzureWebJobsStorage: azurite.connectionString,
    LOG_LEVEL: 'warn',
  };
  const cli = (args: string[]) =>
    runCli(args, {
      env,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
  let exitCode = 0;
  try {
    say('ftp-ingest sync   (first run: everything is new)');
    exitCode = Math.max(exitCode, await cli(['sync', '--no-progress']));
    say('ftp-ingest sync   (second run: nothing changed, nothing moves)');
    exitCode = Math.max(exitCode, await cli(['sync', '--no-progress']));
    say('ftp-ingest status');
    await cli(['status']);
    say('Metadata of incoming/acme/legacy/kunden.txt (a Windows-1252 pipe file)');
    const kunden = azurite.blobService
      .getContainerClient('incoming')
      .getBlobClient('acme/legacy/kunden.txt');
    for (const [key, value] of Object.entries((await kunden.getProperties()).metadata ?? {}))
      process.stdout.write(`  ${key.padEnd(18)} ${value}\n`);
    say('Rejected rows of quality/prices.csv (processed/acme/quality/prices.csv.rejected.jsonl)');
    const rejects = azurite.blobService
      .getContainerClient('processed')
      .getBlobClient('acme/quality/prices.csv.rejected.jsonl');
    process.stdout.write((await rejects.downloadToBuffer()).toString('utf8'));
    say(
      [
        'What to look at (this Azurite lived in memory and stops with the demo; point the CLI at',
        'your own Azurite or storage account to browse the containers yourself):',
        '  - every blob in "incoming" carries source_*, content_sha256, run_id and the processing',
        '    stamp (status, records_total/valid/rejected, processed_sha256) in its metadata;',
        '  - "processed" holds <blob>.jsonl per file and quality/prices.csv.rejected.jsonl with',
        '    the two bad rows, their line numbers and reasons;',
        '  - legacy/kunden.txt was Windows-1252 and archive/events.csv.gz was gzip;',
        '  - "ingest-runs" holds one JSON summary per run and acme/latest.json.',
        `Run it against your own server: see "Configuration" in README.md.`,
      ].join('\n'),
    );
  } finally {
    await Promise.all([ftp.stop(), azurite.stop()]);
    await rm(root, { recursive: true, force: true });
  }
  // 1 only means the demo's own quality file had rejected rows failing a file; report it.
  process.exitCode = exitCode;
}

function say(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

await main();

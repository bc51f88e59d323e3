import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContainerSASPermissions } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../test/helpers/azurite.js';
import { startVsftpd, type RunningFtpServer } from '../test/helpers/ftpServers.js';
import {
  csvFormats,
  ensureBinaryFile,
  ensureCsvFile,
  ensureSmallFiles,
  ensureTinyFiles,
  servedTime,
} from './benchData.js';
import { measure, measureTogether, type Measured } from './measure.js';
import { seedStoredBlobs, type StoredBlob } from './storedBlobs.js';
import { medianRate, medianRss, renderTable, type Row } from './report.js';

/**
 * `npm run bench`: ftp-ingest against the wire limits, rclone and the naive approach, on
 * loopback with a real vsftpd and Azurite. Options: `--quick` (small sizes, one repetition),
 * `--smoke` (a few MB, as the test suite runs it),
 * `--reps N`, `--only large,small,memory,process,plan`, `--out FILE` (default
 * bench/results.md; `-` prints only), `--data DIR` (default /tmp/ftp-ingest-bench).
 */

interface Sizes {
  readonly large: number;
  readonly medium: number;
  readonly smallFiles: number;
  readonly csv: number;
  readonly plannedFiles: number;
}

const fullSizes: Sizes = {
  large: 1024 ** 3,
  medium: 200 * 1024 ** 2,
  smallFiles: 2000,
  csv: 1024 ** 3,
  plannedFiles: 100_000,
};
const quickSizes: Sizes = {
  large: 64 * 1024 ** 2,
  medium: 16 * 1024 ** 2,
  smallFiles: 200,
  csv: 32 * 1024 ** 2,
  plannedFiles: 2000,
};

/** For the test suite: proves the harness end to end in seconds; the figures mean nothing. */
const smokeSizes: Sizes = {
  large: 4 * 1024 ** 2,
  medium: 1024 ** 2,
  smallFiles: 20,
  csv: 1024 ** 2,
  plannedFiles: 200,
};

const scenarioNames = ['large', 'small', 'memory', 'process', 'plan'] as const;
type ScenarioName = (typeof scenarioNames)[number];

/** FTP connections for every tool: ftp-ingest's default FTP_MAX_CONNECTIONS. */
const connections = 4;
const here = dirname(fileURLToPath(import.meta.url));
const cliPath = resolve(here, '../src/cli/main.js');
/** The node flags of the CLI's `#!` line, so the bench runs the CLI as its bin does. */
const cliFlags = (readFileSync(cliPath, 'utf8').split('\n', 1)[0] ?? '')
  .split(' ')
  .filter((word) => word.startsWith('--'));
const wirePath = join(here, 'storageWire.js');
const naivePath = join(here, 'naiveTransfer.js');

interface Context {
  readonly ftp: RunningFtpServer;
  readonly servedRoot: string;
  readonly dataDir: string;
  readonly sizes: Sizes;
  readonly reps: number;
  readonly log: (line: string) => void;
}

export interface BenchOptions {
  readonly quick?: boolean;
  /** Tiny sizes, one repetition, for the test suite. */
  readonly smoke?: boolean;
  readonly reps?: number;
  readonly only?: readonly ScenarioName[];
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}

/** Runs the chosen scenarios and returns their rows; the vsftpd is started and stopped here. */
export async function runBench(options: BenchOptions = {}): Promise<Row[]> {
  const sizes = options.smoke ? smokeSizes : options.quick ? quickSizes : fullSizes;
  const dataDir = options.dataDir ?? '/tmp/ftp-ingest-bench';
  const servedRoot = join(
    dataDir,
    options.smoke ? 'served-smoke' : options.quick ? 'served-quick' : 'served',
  );
  await mkdir(servedRoot, { recursive: true, mode: 0o755 });
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const only = new Set(options.only ?? scenarioNames);

  log('preparing data');
  await mkdir(join(servedRoot, 'large'), { recursive: true });
  await mkdir(join(servedRoot, 'medium'), { recursive: true });
  if (only.has('large') || only.has('memory'))
    await ensureBinaryFile(join(servedRoot, 'large', 'big.bin'), sizes.large);
  if (only.has('memory'))
    await ensureBinaryFile(join(servedRoot, 'medium', 'mid.bin'), sizes.medium);
  if (only.has('small')) await ensureSmallFiles(join(servedRoot, 'small'), sizes.smallFiles);
  if (only.has('plan')) await ensureTinyFiles(join(servedRoot, 'tiny'), sizes.plannedFiles);
  if (only.has('process')) await ensureCsvFile(join(dataDir, `orders-${sizes.csv}.csv`), sizes.csv);
  execFileSync('chmod', ['-R', 'a+rX', dataDir]);

  const ftp = await startVsftpd(servedRoot);
  if ('skip' in ftp) throw new Error(ftp.skip);
  const context: Context = {
    ftp,
    servedRoot,
    dataDir,
    sizes,
    reps: options.reps ?? (options.quick || options.smoke ? 1 : 3),
    log,
  };
  const rows: Row[] = [];
  try {
    if (only.has('large')) rows.push(...(await largeFile(context)));
    if (only.has('small')) rows.push(...(await smallFiles(context)));
    if (only.has('memory')) rows.push(...(await memoryBySize(context)));
    if (only.has('process')) rows.push(...(await processing(context)));
    if (only.has('plan')) rows.push(...(await planning(context)));
  } finally {
    await ftp.stop();
  }
  return rows;
}

/** Runs `run` `reps` times, each against a fresh in-memory Azurite, so no run sees another's blobs. */
async function repeat(
  context: Context,
  label: string,
  run: (azurite: RunningAzurite) => Promise<Measured>,
): Promise<Measured[]> {
  const samples: Measured[] = [];
  for (let rep = 1; rep <= context.reps; rep++) {
    const azurite = await startAzurite();
    try {
      const sample = await run(azurite);
      context.log(
        `  ${label} #${rep}: ${(sample.wallMs / 1000).toFixed(2)} s, ` +
          `peak RSS ${(sample.peakRss / 1024 / 1024).toFixed(0)} MiB, ` +
          `CPU ${(sample.cpuMs / 1000).toFixed(2)} s, machine busy ${(sample.machineBusy * 100).toFixed(0)}%`,
      );
      samples.push(sample);
    } finally {
      await azurite.stop();
    }
  }
  return samples;
}

function ingestEnv(context: Context, azurite: RunningAzurite, root: string) {
  return {
    FTP_HOST: context.ftp.host,
    FTP_PORT: String(context.ftp.port),
    FTP_USER: context.ftp.user,
    FTP_PASSWORD: context.ftp.password,
    FTP_ROOT: root,
    FTP_MIN_AGE_SECONDS: '0',
    FTP_MAX_CONNECTIONS: String(connections),
    AzureWebJobsStorage: azurite.connectionString,
    SOURCE_NAME: 'bench',
    SOURCE_FORMATS: csvFormats,
    LOG_LEVEL: 'warn',
  };
}

/** `ftp-ingest sync` as an operator runs it; fails the bench when a file did not arrive. */
async function ingest(context: Context, azurite: RunningAzurite, root: string, files: number) {
  const args = [
    ...profiling(),
    ...cliFlags,
    cliPath,
    'sync',
    '--json',
    '--no-progress',
    '--no-process',
  ];
  const sample = await measure(process.execPath, args, {
    env: ingestEnv(context, azurite, root),
  });
  const summary = JSON.parse(sample.stdout) as { transferred: number; failed: number };
  if (summary.transferred !== files || summary.failed !== 0)
    throw new Error(`ftp-ingest moved ${summary.transferred} of ${files} files: ${sample.stdout}`);
  return sample;
}

/** rclone's rows are left out where it is not installed (apt-get install -y rclone). */
function hasRclone(): boolean {
  return existsSync('/usr/bin/rclone');
}

/** With BENCH_CPU_PROFILE=<dir>, every ftp-ingest run writes a V8 CPU profile there. */
function profiling(): string[] {
  const dir = process.env.BENCH_CPU_PROFILE;
  return dir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', dir];
}

let obscured: string | undefined;

/** rclone with an FTP remote and an azureblob remote on Azurite, configured from the environment. */
async function rclone(context: Context, azurite: RunningAzurite, root: string, files: number) {
  obscured ??= execFileSync('rclone', ['obscure', context.ftp.password]).toString().trim();
  const env = {
    RCLONE_CONFIG_BENCHFTP_TYPE: 'ftp',
    RCLONE_CONFIG_BENCHFTP_HOST: context.ftp.host,
    RCLONE_CONFIG_BENCHFTP_PORT: String(context.ftp.port),
    RCLONE_CONFIG_BENCHFTP_USER: context.ftp.user,
    RCLONE_CONFIG_BENCHFTP_PASS: obscured,
    RCLONE_CONFIG_BENCHAZ_TYPE: 'azureblob',
    // Debian's rclone (1.60) takes an endpoint only as a domain suffix; a container SAS URL is
    // how it reaches a path-style emulator on any port.
    RCLONE_CONFIG_BENCHAZ_SAS_URL: await containerSasUrl(azurite, 'incoming'),
    RCLONE_CONFIG: '/dev/null',
  };
  const args = ['copy', `benchftp:${root}`, 'benchaz:incoming/rclone'];
  // rclone's own FTP `concurrency` cap deadlocks unless it exceeds transfers + checkers (its
  // docs say so): leave it unset and run `connections` transfers with one checker instead.
  const flags = ['--transfers', String(connections), '--checkers', '1'];
  const sample = await measure('rclone', [...args, ...flags, '--stats', '0'], { env });
  const copied = azurite.blobService
    .getContainerClient('incoming')
    .listBlobsFlat({ prefix: 'rclone/' });
  let count = 0;
  for await (const blob of copied) if (blob.properties.contentLength !== undefined) count++;
  if (count !== files) throw new Error(`rclone copied ${count} of ${files} files`);
  return sample;
}

async function containerSasUrl(azurite: RunningAzurite, name: string): Promise<string> {
  const container = azurite.blobService.getContainerClient(name);
  await container.createIfNotExists();
  return container.generateSasUrl({
    permissions: ContainerSASPermissions.parse('racwdl'),
    expiresOn: new Date(Date.now() + 24 * 3600_000),
  });
}

function curlUrl(context: Context, path: string): string {
  const { user, password, host, port } = context.ftp;
  return `ftp://${user}:${encodeURIComponent(password)}@${host}:${port}${path}`;
}

function wire(azurite: RunningAzurite, args: readonly string[]) {
  return measure(process.execPath, [wirePath, ...args], {
    env: { BENCH_STORAGE: azurite.connectionString },
  });
}

function naive(context: Context, azurite: RunningAzurite, remote: string) {
  const { host, port, user, password } = context.ftp;
  return measure(process.execPath, [naivePath, remote, 'incoming', `naive${remote}`], {
    env: {
      BENCH_STORAGE: azurite.connectionString,
      BENCH_FTP: `${host}:${port}:${user}:${password}`,
    },
  });
}

async function largeFile(context: Context): Promise<Row[]> {
  const bytes = context.sizes.large;
  const scenario = `1 file of ${bytes / 1024 ** 2} MiB`;
  const local = join(context.servedRoot, 'large', 'big.bin');
  const row = (tool: string, samples: Measured[], extra: Partial<Row> = {}): Row => ({
    scenario,
    tool,
    samples,
    work: bytes,
    unit: 'MB/s',
    ...extra,
  });
  context.log(scenario);
  const rows = [
    row(
      'ftp-ingest sync',
      await repeat(context, 'ftp-ingest', (a) => ingest(context, a, '/large', 1)),
      {
        isSubject: true,
      },
    ),
    row(
      'wire: curl FTP → /dev/null',
      await repeat(context, 'curl', () =>
        measure('curl', ['-sS', '-o', '/dev/null', curlUrl(context, '/large/big.bin')]),
      ),
    ),
    row(
      'wire: SDK upload from disk',
      await repeat(context, 'sdk blocks', (a) =>
        wire(a, ['blocks', local, 'incoming', 'w/big.bin']),
      ),
      { note: '8 MiB blocks ×4, MD5' },
    ),
    row(
      'wire: SDK upload from disk',
      await repeat(context, 'sdk uploadStream', (a) =>
        wire(a, ['uploadStream', local, 'incoming', 'w/big.bin']),
      ),
      { note: 'uploadStream defaults' },
    ),
    ...(hasRclone()
      ? [
          row(
            'rclone copy',
            await repeat(context, 'rclone', (a) => rclone(context, a, '/large', 1)),
          ),
        ]
      : []),
    row(
      'naive: whole file in memory',
      await repeat(context, 'naive', (a) => naive(context, a, '/large/big.bin')),
    ),
  ];
  return rows;
}

async function smallFiles(context: Context): Promise<Row[]> {
  const count = context.sizes.smallFiles;
  const scenario = `${count} files of ~20 KB`;
  const dir = join(context.servedRoot, 'small');
  const paths = (await listLocal(dir)).map((path) => `/small/${path}`);
  const row = (tool: string, samples: Measured[], extra: Partial<Row> = {}): Row => ({
    scenario,
    tool,
    samples,
    work: count,
    unit: 'files/s',
    ...extra,
  });
  // curl reuses one control connection for the URLs of one invocation: one process per connection.
  const configs = await Promise.all(
    Array.from({ length: connections }, async (_, index) => {
      const file = join(context.dataDir, `curl-${count}-${index}.conf`);
      const mine = paths.filter((_, i) => i % connections === index);
      await writeFile(
        file,
        mine.map((p) => `url = "${curlUrl(context, p)}"\noutput = "/dev/null"\n`).join(''),
      );
      return file;
    }),
  );
  context.log(scenario);
  return [
    row(
      'ftp-ingest sync',
      await repeat(context, 'ftp-ingest', (a) => ingest(context, a, '/small', count)),
      { isSubject: true },
    ),
    row(
      'wire: curl FTP → /dev/null',
      await repeat(context, 'curl', () =>
        measureTogether(configs.map((config) => () => measure('curl', ['-sS', '-K', config]))),
      ),
      { note: `${connections} processes` },
    ),
    row(
      'wire: SDK upload from disk',
      await repeat(context, 'sdk putBlobs', (a) => wire(a, ['putBlobs', dir, 'incoming', 'w'])),
      { note: `Put Blob ×${connections}, MD5` },
    ),
    ...(hasRclone()
      ? [
          row(
            'rclone copy',
            await repeat(context, 'rclone', (a) => rclone(context, a, '/small', count)),
          ),
        ]
      : []),
  ];
}

async function memoryBySize(context: Context): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [folder, name, bytes] of [
    ['medium', 'mid.bin', context.sizes.medium],
    ['large', 'big.bin', context.sizes.large],
  ] as const) {
    const scenario = `memory: 1 file of ${bytes / 1024 ** 2} MiB`;
    context.log(scenario);
    rows.push({
      scenario,
      tool: 'ftp-ingest sync',
      samples: await repeat(context, 'ftp-ingest', (a) => ingest(context, a, `/${folder}`, 1)),
      work: bytes,
      unit: 'MB/s',
      isSubject: true,
    });
    rows.push({
      scenario,
      tool: 'naive: whole file in memory',
      samples: await repeat(context, 'naive', (a) => naive(context, a, `/${folder}/${name}`)),
      work: bytes,
      unit: 'MB/s',
    });
  }
  return rows;
}

/** processBlob through `ftp-ingest process` on a blob uploaded with its transfer metadata. */
async function processing(context: Context): Promise<Row[]> {
  const bytes = context.sizes.csv;
  const local = join(context.dataDir, `orders-${bytes}.csv`);
  const scenario = `processing a ${bytes / 1024 ** 2} MiB CSV`;
  const blobName = 'bench/orders/orders.csv';
  const sha256 = await fileSha256(local);
  context.log(scenario);
  const azurite = await startAzurite();
  const samples: Measured[] = [];
  const floor: Measured[] = [];
  try {
    const incoming = azurite.blobService.getContainerClient('incoming');
    await incoming.createIfNotExists();
    // `ftp-ingest process` does not create the output container (a sync would have).
    await azurite.blobService.getContainerClient('processed').createIfNotExists();
    await wire(azurite, ['blocks', local, 'incoming', blobName]);
    await incoming.getBlobClient(blobName).setMetadata({
      source: 'bench',
      source_path: 'orders/orders.csv',
      source_size: String(bytes),
      content_sha256: sha256,
      status: 'transferred',
    });
    const env = ingestEnv(context, azurite, '/');
    for (let rep = 1; rep <= context.reps; rep++) {
      const args = [...profiling(), ...cliFlags, cliPath, 'process', blobName, '--json'];
      const sample = await measure(process.execPath, args, { env });
      const [result] = JSON.parse(sample.stdout) as { status: string; recordsValid: number }[];
      if (result.status !== 'processed') throw new Error(`processing failed: ${sample.stdout}`);
      context.log(
        `  ftp-ingest process #${rep}: ${(sample.wallMs / 1000).toFixed(2)} s, ` +
          `${result.recordsValid} records, peak RSS ${(sample.peakRss / 1024 / 1024).toFixed(0)} MiB`,
      );
      samples.push(sample);
      floor.push(await wire(azurite, ['download', '-', 'incoming', blobName]));
    }
  } finally {
    await azurite.stop();
  }
  const row = (tool: string, list: Measured[], extra: Partial<Row> = {}): Row => ({
    scenario,
    tool,
    samples: list,
    work: bytes,
    unit: 'MB/s',
    ...extra,
  });
  return [
    row('ftp-ingest process', samples, { isSubject: true, note: 'typed schema, JSON Lines out' }),
    row('wire: SDK download → discard', floor),
  ];
}

/**
 * `ftp-ingest plan` against a real vsftpd listing and an Azurite holding a blob for every listed
 * file with matching metadata, so every file comes out unchanged. Beside it, the storage side on
 * its own: the same container listed with metadata by the SDK, 5,000 a page.
 */
async function planning(context: Context): Promise<Row[]> {
  const count = context.sizes.plannedFiles;
  const scenario = `planning ${count} listed vs ${count} stored`;
  context.log(scenario);
  const azurite = await startAzurite({ persistent: true });
  const samples: Measured[] = [];
  const floor: Measured[] = [];
  try {
    await seedStoredBlobs(azurite, 'incoming', count, storedTinyFile);
    for (let rep = 1; rep <= context.reps; rep++) {
      const listing = await wire(azurite, ['list', '-', 'incoming', 'bench']);
      if (Number(listing.stdout) !== count)
        throw new Error(`Azurite listed ${listing.stdout.trim()} blobs, not ${count}`);
      context.log(`  SDK list: ${(listing.wallMs / 1000).toFixed(2)} s`);
      floor.push(listing);
      const env = ingestEnv(context, azurite, '/tiny');
      const sample = await measure(
        process.execPath,
        [...cliFlags, cliPath, 'plan', '--json', '--no-progress'],
        { env },
      );
      const summary = JSON.parse(sample.stdout) as { listed: number; unchanged: number };
      if (summary.listed !== count || summary.unchanged !== count)
        throw new Error(`plan saw ${summary.listed} listed, ${summary.unchanged} unchanged`);
      context.log(`  ftp-ingest plan #${rep}: ${(sample.wallMs / 1000).toFixed(2)} s`);
      samples.push(sample);
    }
  } finally {
    await azurite.stop();
  }
  const rowOf = (tool: string, measured: Measured[], note: string, isSubject = false): Row => ({
    scenario,
    tool,
    samples: measured,
    work: count,
    unit: 'files/s',
    isSubject,
    note,
  });
  return [
    rowOf('ftp-ingest plan', samples, 'real vsftpd LIST + MDTM, Azurite listing', true),
    rowOf('wire: SDK list blobs with metadata', floor, 'Azurite alone, 5,000 a page'),
  ];
}

/** The blob a transfer of tiny file `index` would have written, with its metadata. */
function storedTinyFile(index: number): StoredBlob {
  const path = `p${String(Math.floor(index / 1000)).padStart(3, '0')}/t${String(index).padStart(6, '0')}.txt`;
  const body = `${index}\n`;
  return {
    name: `bench/${path}`,
    body,
    metadata: {
      source: 'bench',
      source_path: path,
      source_size: String(body.length),
      source_modified: servedTime.toISOString(),
      content_sha256: createHash('sha256').update(body).digest('hex'),
      status: 'transferred',
    },
  };
}

async function listLocal(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

async function fileSha256(path: string): Promise<string> {
  const cached = `${path}.sha256`;
  if (existsSync(cached)) return (await readFile(cached, 'utf8')).trim();
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  await writeFile(cached, hex);
  return hex;
}

/** The results page: when, where, the table and the targets as measured. */
export function renderResults(rows: readonly Row[], quick: boolean): string {
  const memory = `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  const machine = `${cpus().length} CPUs (nproc ${nproc()}, ${cpus()[0]?.model ?? 'unknown'}), ${memory}, Node ${process.version}`;
  return [
    `# Benchmark results${quick ? ' (quick run: small sizes, not for comparison)' : ''}`,
    '',
    `Run ${new Date().toISOString()} on ${machine}. Loopback vsftpd and in-memory Azurite;`,
    `${connections} FTP connections for every tool; MB = 10^6 bytes. Machine shared with other`,
    'work: expect noise, compare medians.',
    '',
    renderTable(rows),
    '',
    '## Targets',
    '',
    ...targets(rows).map((line) => `- ${line}`),
    '',
  ].join('\n');
}

function nproc(): string {
  try {
    return execFileSync('nproc').toString().trim();
  } catch {
    return '?';
  }
}

function targets(rows: readonly Row[]): string[] {
  const find = (scenario: string, tool: string) =>
    rows.find((r) => r.scenario.startsWith(scenario) && r.tool === tool);
  const fastest = (scenario: string, tool: string) =>
    Math.max(
      ...rows
        .filter((r) => r.scenario.startsWith(scenario) && r.tool === tool)
        .map((r) => medianRate(r)),
    );
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const large = find('1 file', 'ftp-ingest sync');
  const curl = find('1 file', 'wire: curl FTP → /dev/null');
  if (large !== undefined && curl !== undefined) {
    const limit = Math.min(medianRate(curl), fastest('1 file', 'wire: SDK upload from disk'));
    const share = medianRate(large) / limit;
    lines.push(
      `Large file ≥ 90% of the slower wire limit (${limit.toFixed(1)} MB/s): ` +
        `${(share * 100).toFixed(0)}% — ${verdict(share >= 0.9)}`,
    );
  }
  const small = find('2000 files', 'ftp-ingest sync') ?? find('200 files', 'ftp-ingest sync');
  const smallRclone = rows.find((r) => r.scenario === small?.scenario && r.tool === 'rclone copy');
  if (small !== undefined && smallRclone !== undefined) {
    const ratio = medianRate(small) / medianRate(smallRclone);
    lines.push(`Small files ≥ 2× rclone: ${ratio.toFixed(2)}× — ${verdict(ratio >= 2)}`);
  }
  for (const row of rows.filter((r) => r.isSubject && r.unit === 'MB/s')) {
    const rss = medianRss(row) / 1024 / 1024;
    lines.push(
      `Peak RSS < 150 MiB, ${row.scenario}: ${rss.toFixed(0)} MiB — ${verdict(rss < 150)}`,
    );
  }
  const plan = rows.find((r) => r.tool === 'ftp-ingest plan');
  if (plan !== undefined) {
    const seconds = plan.work / medianRate(plan);
    lines.push(`Planning < 30 s: ${seconds.toFixed(1)} s — ${verdict(seconds < 30)}`);
  }
  return lines;
}

function parseArgs(argv: readonly string[]) {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index < 0 ? undefined : argv[index + 1];
  };
  const only = value('--only')?.split(',') as ScenarioName[] | undefined;
  for (const name of only ?? [])
    if (!scenarioNames.includes(name)) throw new Error(`--only: unknown scenario ${name}`);
  return {
    quick: argv.includes('--quick'),
    smoke: argv.includes('--smoke'),
    reps: value('--reps') === undefined ? undefined : Number(value('--reps')),
    only,
    dataDir: value('--data'),
    out: value('--out'),
  };
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const args = parseArgs(process.argv.slice(2));
  const rows = await runBench(args);
  const page = renderResults(rows, args.quick);
  process.stdout.write(page);
  const out = args.out ?? (args.quick ? '-' : resolve(here, '../../bench/results.md'));
  if (out !== '-') await writeFile(out, page);
}

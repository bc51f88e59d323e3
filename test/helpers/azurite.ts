import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';

/** Azurite's documented development account; a public, well-known test key. */
const account = 'devstoreaccount1';
const accountKey =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite blob service; `stop()` is safe to call more than once. */
export interface RunningAzurite {
  readonly connectionString: string;
  readonly blobService: BlobServiceClient;
  readonly port: number;
  /** Stops the process; with `keepData` a later `restart()` finds the same blobs. */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port after `downMs` (default 0) without it, for outage tests;
   * needs `persistent: true`. `whileDown` runs while it is stopped, given its data folder.
   */
  restart(downMs?: number, whileDown?: (location: string) => Promise<void>): Promise<void>;
}

export interface AzuriteOptions {
  /** Keep blobs on disk in a temp folder instead of in memory. Default false. */
  readonly persistent?: boolean;
  /** Fixed port; default a free one. */
  readonly port?: number;
}

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const azuriteBin = join(repoRoot, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');

/** Starts Azurite's blob service from node_modules on loopback. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const port = options.port ?? (await freePort());
  const location = await mkdtemp(join(tmpdir(), 'ftp-ingest-azurite-'));
  const args = [
    azuriteBin,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
  ];
  // Azurite refuses --location together with --inMemoryPersistence.
  if (options.persistent) args.push('--location', location);
  else args.push('--inMemoryPersistence');
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForPort(port, () =>
      child?.exitCode !== null ? `Azurite exited: ${stderr}` : undefined,
    );
  };
  const halt = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((done) => running.once('exit', done));
    running.kill('SIGTERM');
    await Promise.race([exited, delay(5000).then(() => running.kill('SIGKILL'))]);
  };
  await launch();
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};` +
    `BlobEndpoint=http://127.0.0.1:${port}/${account};`;
  return {
    connectionString,
    blobService: BlobServiceClient.fromConnectionString(connectionString),
    port,
    async stop() {
      await halt();
      await rm(location, { recursive: true, force: true });
    },
    async restart(downMs = 0, whileDown?: (location: string) => Promise<void>) {
      await halt();
      await delay(downMs);
      await whileDown?.(location);
      await launch();
    },
  };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPort(port: number, failure: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const reason = failure();
    if (reason !== undefined) throw new Error(reason);
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await delay(100);
  }
  throw new Error(`Azurite did not listen on port ${port} within 30 s`);
}

const delay = (ms: number) => new Promise((done) => setTimeout(done, ms));

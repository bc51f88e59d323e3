import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { createBlobService } from '../blob/blobService.js';
import type { Settings, SourceSettings } from '../config/settings.js';
import { IngestError } from '../errors/IngestError.js';
import { FtpPool } from '../ftp/FtpPool.js';
import type { Logger } from '../telemetry/logger.js';

/** Everything the sync core talks to, made once per host and passed in, never imported. */
export interface SyncDeps {
  readonly settings: Settings;
  readonly blobService: BlobServiceClient;
  readonly pools: FtpPools;
  readonly log: Logger;
  readonly now: () => Date;
}

/**
 * One warm FTP connection pool per source, shared by every transfer in this process, so that
 * consecutive activity invocations in one worker reuse their logins.
 */
export class FtpPools {
  readonly #pools = new Map<string, FtpPool>();

  constructor(private readonly log: Logger) {}

  get(source: SourceSettings): FtpPool {
    let pool = this.#pools.get(source.name);
    if (pool === undefined) {
      pool = new FtpPool(source.ftp, this.log.child({ source: source.name }));
      this.#pools.set(source.name, pool);
    }
    return pool;
  }

  async closeAll(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/** The real clients for a host. */
export function createSyncDeps(settings: Settings, log: Logger): SyncDeps {
  return {
    settings,
    blobService: createBlobService(settings.storage),
    pools: new FtpPools(log),
    log,
    now: () => new Date(),
  };
}

export function incomingContainer(deps: SyncDeps): ContainerClient {
  return deps.blobService.getContainerClient(deps.settings.incomingContainer);
}

/** The source of this name, or a CONFIG error naming the ones that exist. */
export function findSource(settings: Settings, name: string | undefined): SourceSettings {
  const source =
    name === undefined ? settings.sources[0] : settings.sources.find((s) => s.name === name);
  if (source === undefined) {
    const known = settings.sources.map((s) => s.name).join(', ');
    throw new IngestError('CONFIG', `Unknown source "${name}": configured sources are ${known}`);
  }
  return source;
}

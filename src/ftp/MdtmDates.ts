import { FTPError, type Client } from 'basic-ftp';
import type { FtpPool } from './FtpPool.js';
import type { ListedTime } from './listTime.js';
import { absolutePath } from './remotePath.js';
import type { ServerTimes } from './serverTime.js';

/** A listed file whose LIST line has no exact time. */
export interface Undated {
  readonly path: string;
  readonly size: number;
  readonly listed: ListedTime | undefined;
}

/** An undated file with what the server said of its time, for `modifiedFrom`. */
export interface Dated {
  readonly path: string;
  readonly size: number;
  readonly times: ServerTimes;
}

/** Files asked about per pool checkout: small enough to share work, large enough to reuse. */
const batchSize = 200;
/** Replies meaning "no such command": MDTM is then not tried again in this walk. */
const unsupportedReplies = new Set([500, 501, 502, 504]);

/**
 * Exact modification times by MDTM, for servers whose LIST shows minutes at best (vsftpd).
 * One instance serves one walk: a server that does not know MDTM is asked only once.
 */
export class MdtmDates {
  #supported = true;

  constructor(
    private readonly pool: FtpPool,
    private readonly root: string,
  ) {}

  /** MDTM of one remote path, or undefined where the server has no answer. */
  async lastModified(client: Client, remote: string): Promise<Date | undefined> {
    if (!this.#supported) return undefined;
    try {
      const date = await client.lastMod(remote);
      return Number.isNaN(date.getTime()) ? undefined : date;
    } catch (error) {
      if (!(error instanceof FTPError)) throw error;
      if (unsupportedReplies.has(error.code)) this.#supported = false;
      return undefined;
    }
  }

  /**
   * One MDTM round trip per file, in batches spread over `connections` pool clients, so a flat
   * folder of many files is not asked about on a single connection while the others idle.
   */
  async dateAll(files: readonly Undated[], connections: number): Promise<Dated[]> {
    const batches: Undated[][] = [];
    for (let i = 0; i < files.length; i += batchSize) batches.push(files.slice(i, i + batchSize));
    const dated: Dated[] = [];
    const dateBatch = async (client: Client, batch: readonly Undated[]): Promise<void> => {
      for (const { path, size, listed } of batch) {
        const mdtm = await this.lastModified(client, absolutePath(this.root, path));
        dated.push({ path, size, times: { listed, mdtm } });
      }
    };
    const worker = async (): Promise<void> => {
      for (let batch = batches.pop(); batch !== undefined; batch = batches.pop()) {
        const files = batch;
        await this.pool.use((client) => dateBatch(client, files));
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    return dated;
  }
}

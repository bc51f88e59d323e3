import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, FTPError, type AccessOptions } from 'basic-ftp';
import type { FtpSettings } from '../config/settings.js';
import { IngestError } from '../errors/IngestError.js';
import type { Logger } from '../telemetry/logger.js';
import { isTooManyConnections, toIngestError } from './ftpErrors.js';

export interface FtpPoolOptions {
  /** A client unused this long is logged out and closed. Default 30000 ms. */
  readonly idleMs?: number;
  /** Waits between connection attempts while the server says it is full. Default 1000 ms. */
  readonly busyRetryMs?: number;
  /** Attempts while the server is full and this pool holds no client to wait for. Default 10. */
  readonly busyAttempts?: number;
}

interface IdleClient {
  readonly client: Client;
  readonly timer: NodeJS.Timeout;
}

interface Waiter {
  resolve(client: Client): void;
  reject(error: unknown): void;
}

/**
 * Logged-in basic-ftp clients for one server, kept warm between tasks because vendor logins are
 * slow. One Client runs one command at a time, so each task borrows a client of its own.
 */
export class FtpPool {
  #limit: number;
  #open = 0;
  #closed = false;
  readonly #idle: IdleClient[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #idleMs: number;
  readonly #busyRetryMs: number;
  readonly #busyAttempts: number;
  readonly #access: AccessOptions;

  constructor(
    private readonly settings: FtpSettings,
    private readonly log: Logger,
    options: FtpPoolOptions = {},
  ) {
    this.#limit = settings.maxConnections;
    this.#idleMs = options.idleMs ?? 30_000;
    this.#busyRetryMs = options.busyRetryMs ?? 1000;
    this.#busyAttempts = options.busyAttempts ?? 10;
    this.#access = accessOptions(settings, log);
  }

  /** Connections this pool opens at most; lowered when the server says it has too many. */
  get limit(): number {
    return this.#limit;
  }

  /** Runs `task` with a logged-in client; FTP failures reach the caller as IngestError. */
  async use<T>(task: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.#acquire();
    try {
      const result = await task(client);
      this.#release(client);
      return result;
    } catch (error) {
      // A reply such as "550 No such file" leaves the session usable; anything else may not.
      const sessionIntact = !client.closed && error instanceof FTPError && error.code !== 421;
      if (sessionIntact) this.#release(client);
      else this.#discard(client);
      throw isFtpFailure(error) ? toIngestError(error, {}, 'transfer') : error;
    }
  }

  /** Closes idle clients now and busy ones when their task ends; later `use` calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const { client, timer } of this.#idle.splice(0)) {
      clearTimeout(timer);
      this.#open -= 1;
      client.close();
    }
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(
        new IngestError('INTERNAL', 'FTP pool closed while a task waited for a client'),
      );
  }

  async #acquire(): Promise<Client> {
    if (this.#closed) throw new IngestError('INTERNAL', 'FTP pool used after close()');
    while (this.#idle.length > 0) {
      const { client, timer } = this.#idle.pop() as IdleClient;
      clearTimeout(timer);
      if (!client.closed) return client;
      // The server dropped it while idle (vsftpd's idle_session_timeout, say).
      this.#open -= 1;
    }
    if (this.#open < this.#limit) return this.#connect();
    return new Promise<Client>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  async #connect(attempt = 1): Promise<Client> {
    if (this.settings.loginProblem !== undefined)
      throw new IngestError('CONFIG', this.settings.loginProblem);
    this.#open += 1;
    const client = new Client(this.settings.timeoutMs);
    const started = Date.now();
    try {
      await logIn(client, this.#access);
      this.log.debug(
        { host: this.settings.host, open: this.#open, durationMs: Date.now() - started },
        'FTP client logged in',
      );
      return client;
    } catch (error) {
      client.close();
      this.#open -= 1;
      if (!isTooManyConnections(error)) {
        this.#wakeNextWaiter();
        throw toIngestError(error, { replyCode: replyCodeOf(error) }, 'connect');
      }
      return this.#whenServerFull(error, attempt);
    }
  }

  /** The server counts every session of this user, ours and others': fall back to fewer. */
  async #whenServerFull(error: unknown, attempt: number): Promise<Client> {
    const lowered = Math.max(1, this.#open);
    if (lowered < this.#limit) {
      this.log.warn(
        { host: this.settings.host, from: this.#limit, to: lowered, reply: messageOfReply(error) },
        'FTP server has too many connections: using fewer',
      );
      this.#limit = lowered;
    }
    if (this.#open >= this.#limit)
      return new Promise<Client>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    // Nothing of ours to wait for: the other sessions are someone else's.
    if (attempt >= this.#busyAttempts)
      throw toIngestError(error, { replyCode: replyCodeOf(error) }, 'connect');
    await new Promise((resolve) => setTimeout(resolve, this.#busyRetryMs * attempt));
    return this.#connect(attempt + 1);
  }

  #release(client: Client): void {
    if (this.#closed || this.#open > this.#limit) return this.#discard(client);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) return waiter.resolve(client);
    const timer = setTimeout(() => this.#closeIdle(client), this.#idleMs);
    timer.unref();
    this.#idle.push({ client, timer });
  }

  #discard(client: Client): void {
    client.close();
    this.#open -= 1;
    this.#wakeNextWaiter();
  }

  #closeIdle(client: Client): void {
    const index = this.#idle.findIndex((idle) => idle.client === client);
    if (index < 0) return;
    this.#idle.splice(index, 1);
    this.#open -= 1;
    client.close();
    this.log.debug({ host: this.settings.host, open: this.#open }, 'FTP client closed when idle');
  }

  /** A slot came free: the next waiting task gets a new connection of its own. */
  #wakeNextWaiter(): void {
    if (this.#closed || this.#open >= this.#limit) return;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    this.#connect().then(waiter.resolve, waiter.reject);
  }
}

/**
 * basic-ftp's `access`, step by step, so that a refused AUTH TLS is reported as FTPS and not as
 * a wrong password: vsftpd without TLS answers it "530 Please login with USER and PASS.".
 */
async function logIn(client: Client, access: AccessOptions): Promise<void> {
  const { host, port, secure, secureOptions } = access;
  if (secure === 'implicit') await client.connectImplicitTLS(host, port, secureOptions);
  else await client.connect(host, port);
  if (secure === true) {
    try {
      // The host is kept for the data connections' certificate check too.
      await client.useTLS({ ...secureOptions, host: secureOptions?.host ?? host });
    } catch (error) {
      // A 4xx ("421 too many connections") is the usual back-off, handled by the caller.
      if (!(error instanceof FTPError) || error.code < 500 || isTooManyConnections(error))
        throw error;
      throw new IngestError(
        'FTP_TLS',
        `FTP server refused AUTH TLS (expected a server with explicit FTPS): server replied` +
          ` "${error.message.trim()}"`,
        { replyCode: error.code },
        error,
      );
    }
  }
  // Before login, for user names and passwords beyond ASCII; servers may ignore it.
  await client.sendIgnoringError('OPTS UTF8 ON');
  await client.login(access.user, access.password);
  await client.useDefaultSettings();
}

function accessOptions(settings: FtpSettings, log: Logger): AccessOptions {
  const secure =
    settings.secure === 'explicit' ? true : settings.secure === 'implicit' ? 'implicit' : false;
  let secureOptions: ConnectionOptions | undefined;
  if (secure !== false) {
    secureOptions = {
      rejectUnauthorized: settings.verifyCertificate,
      ca: settings.caFile === undefined ? undefined : readFileSync(settings.caFile),
    };
    if (!settings.verifyCertificate)
      log.warn(
        { host: settings.host, setting: 'FTP_TLS_INSECURE' },
        'FTPS certificate verification is OFF: anyone on the path can read the files and the password',
      );
  }
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password.reveal(),
    secure,
    secureOptions,
  };
}

/** Errors from basic-ftp or its sockets, as opposed to the task's own (a blob upload, say). */
function isFtpFailure(error: unknown): boolean {
  if (error instanceof IngestError) return false;
  if (error instanceof FTPError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (typeof code === 'string' && /^(E[A-Z]+$|ERR_TLS_|ERR_SSL_|CERT_)/.test(code)) ||
    /^(Timeout|Client is closed|Server (sent FIN|closed connection)|Socket closed)/.test(
      error.message,
    )
  );
}

function replyCodeOf(error: unknown): number | undefined {
  return error instanceof FTPError ? error.code : undefined;
}

function messageOfReply(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

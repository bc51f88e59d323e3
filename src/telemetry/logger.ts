import { redact } from '../config/Secret.js';
import { messageOf } from '../errors/IngestError.js';

/** Structured fields every entry may carry; hosts add their own. */
export interface LogFields {
  readonly runId?: string;
  readonly source?: string;
  readonly ftpPath?: string;
  readonly blobName?: string;
  readonly bytes?: number;
  readonly records?: number;
  readonly durationMs?: number;
  readonly err?: unknown;
  readonly [key: string]: unknown;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A place log entries go: the console, a Functions invocation context, a test array. */
export type LogSink = (level: LogLevel, message: string, fields: Record<string, unknown>) => void;

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The one logging path of the app and the CLI. Fields first, message second, as in
 * `log.info({ ftpPath, bytes }, 'file transferred')`. Every entry passes through `redact`.
 */
export class Logger {
  constructor(
    private readonly sinks: readonly LogSink[],
    private readonly minLevel: LogLevel = 'info',
    private readonly bound: Record<string, unknown> = {},
  ) {}

  /** A logger whose entries all carry `fields` as well. */
  child(fields: LogFields): Logger {
    return new Logger(this.sinks, this.minLevel, { ...this.bound, ...fields });
  }

  debug(fields: LogFields, message: string): void {
    this.write('debug', fields, message);
  }

  info(fields: LogFields, message: string): void {
    this.write('info', fields, message);
  }

  warn(fields: LogFields, message: string): void {
    this.write('warn', fields, message);
  }

  error(fields: LogFields, message: string): void {
    this.write('error', fields, message);
  }

  private write(level: LogLevel, fields: LogFields, message: string): void {
    if (levelRank[level] < levelRank[this.minLevel]) return;
    const merged: Record<string, unknown> = { ...this.bound, ...fields };
    if (merged.err !== undefined) merged.err = messageOf(merged.err);
    const safe = JSON.parse(redact(JSON.stringify(merged))) as Record<string, unknown>;
    for (const sink of this.sinks) sink(level, redact(message), safe);
  }
}

/** One JSON object a line on stderr, so stdout stays free for tables and `--json` output. */
export const stderrJsonSink: LogSink = (level, message, fields) => {
  process.stderr.write(
    JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }) + '\n',
  );
};

/** A logger that drops everything, for code paths that take one optionally. */
export const silentLogger = new Logger([]);

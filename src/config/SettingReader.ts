import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import iconv from 'iconv-lite';
import { IngestError } from '../errors/IngestError.js';
import { FormatConfigError, parseFormatCatalog } from '../records/formats.js';
import { Secret, registerSecret } from './Secret.js';
import type { Environment, ProcessingSettings, StorageConnection } from './settingTypes.js';

/** Thrown with every problem found, so one run of the app shows them all. */
export class ConfigError extends IngestError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Collects problems instead of throwing at the first, so the user sees them all at once. */
export class SettingReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Environment) {}

  /** Records a problem found outside the readers below; it is thrown by `finish`. */
  problem(text: string): void {
    this.problems.push(text);
  }

  /** Whether a setting has a value, without reading it (so no Key Vault problem is recorded). */
  isSet(name: string): boolean {
    return (this.env[name]?.trim() ?? '') !== '';
  }

  /** The trimmed value, or undefined when unset; `where` prefixes a problem, e.g. the source. */
  optional(name: string, where?: string): string | undefined {
    const read = this.unrecorded(name, where);
    if (read.problem !== undefined) this.problems.push(read.problem);
    return read.value;
  }

  /** Like `optional`, but a problem is returned for the caller to place, not recorded. */
  unrecorded(name: string, where?: string): { value?: string; problem?: string } {
    const raw = this.env[name]?.trim();
    if (raw === undefined || raw === '') return {};
    if (/^@Microsoft\.KeyVault\(/i.test(raw))
      return {
        problem:
          `${where === undefined ? '' : `${where}: `}${name} is still a Key Vault reference: the` +
          ` platform could not resolve it (check the app's identity has "Key Vault Secrets` +
          ` User" on the vault and the secret exists)`,
      };
    return { value: raw };
  }

  required(name: string, form: string): string {
    const value = this.optional(name);
    if (value === undefined && !this.problems.some((p) => p.startsWith(name + ' ')))
      this.problems.push(`${name} is missing: expected ${form}`);
    return value ?? '';
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} is "${raw}": expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    this.problems.push(`${name} is "${raw}": expected true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} is "${raw}": expected one of ${allowed.join(', ')}`);
    return fallback;
  }

  matching(name: string, fallback: string, pattern: RegExp, form: string): string {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (pattern.test(raw)) return raw;
    this.problems.push(`${name} is "${raw}": expected ${form}`);
    return fallback;
  }

  list(name: string): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return [];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  delimiter(name: string, fallback: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = raw === '\\t' || raw.toLowerCase() === 'tab' ? '\t' : raw;
    if (value.length === 1 && value !== '"' && value !== '\n' && value !== '\r') return value;
    this.problems.push(`${name} is "${raw}": expected one character, or "tab"`);
    return fallback;
  }

  timezone(name: string, fallback: string): string {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (isTimeZone(raw)) return raw;
    this.problems.push(`${name} is "${raw}": expected an IANA time zone such as Europe/Berlin`);
    return fallback;
  }

  /** A path to a file that must be readable now, so a typo is reported at start, by name. */
  readableFile(name: string): string | undefined {
    const value = this.optional(name);
    const problem = value === undefined ? undefined : unreadableFile(value);
    if (problem === undefined) return value;
    this.problems.push(`${name} is "${value}": ${problem}`);
    return undefined;
  }

  /**
   * A JSON setting given inline (starting with `[` or `{`) or as a path to a JSON file; the
   * file's text, or undefined when unset or unreadable (recorded as a problem).
   */
  jsonText(name: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined || /^[[{]/.test(value)) return value;
    try {
      return readFileSync(value, 'utf8');
    } catch (error) {
      this.problems.push(`${name} file "${value}" unreadable: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** The Azure Functions connection convention: one name, a string or identity settings. */
  storage(): StorageConnection {
    const name = this.optional('STORAGE_CONNECTION') ?? 'AzureWebJobsStorage';
    const connectionString = this.optional(name);
    if (connectionString !== undefined) {
      for (const [, key] of connectionString.matchAll(
        /(?:AccountKey|SharedAccessSignature)=([^;]+)/gi,
      ))
        registerSecret(key);
      if (!/UseDevelopmentStorage=true|AccountName=|BlobEndpoint=/i.test(connectionString))
        this.problems.push(
          `${name} is not a storage connection string: expected "UseDevelopmentStorage=true"` +
            ` or "DefaultEndpointsProtocol=https;AccountName=...;AccountKey=..."`,
        );
      return { kind: 'connectionString', name, value: new Secret(connectionString) };
    }
    const serviceUri = this.optional(`${name}__blobServiceUri`);
    const accountName = this.optional(`${name}__accountName`);
    const clientId = this.optional(`${name}__clientId`);
    if (serviceUri !== undefined) {
      if (!/^https?:\/\/[^/]+/.test(serviceUri))
        this.problems.push(
          `${name}__blobServiceUri is "${serviceUri}": expected https://<account>.blob.core.windows.net`,
        );
      return { kind: 'identity', name, serviceUri: serviceUri.replace(/\/+$/, ''), clientId };
    }
    if (accountName !== undefined)
      return {
        kind: 'identity',
        name,
        serviceUri: `https://${accountName}.blob.core.windows.net`,
        clientId,
      };
    this.problems.push(
      `${name} is missing: expected a connection string (UseDevelopmentStorage=true for Azurite),` +
        ` or ${name}__blobServiceUri / ${name}__accountName for managed identity`,
    );
    return { kind: 'identity', name, serviceUri: '' };
  }

  /** The record processor's settings; CSV_DELIMITER unset means the delimiter is sniffed. */
  processing(): ProcessingSettings {
    const fallback = this.optional('ENCODING_FALLBACK') ?? 'windows-1252';
    if (!iconv.encodingExists(fallback))
      this.problems.push(`ENCODING_FALLBACK is "${fallback}": expected an encoding label`);
    const encodingFallback = iconv.encodingExists(fallback) ? fallback : 'windows-1252';
    const configured = this.env.CSV_DELIMITER ? this.delimiter('CSV_DELIMITER', ',') : undefined;
    const json = this.jsonText('SOURCE_FORMATS');
    let formats = parseFormatCatalog(undefined, { encodingFallback });
    try {
      formats = parseFormatCatalog(json, { delimiter: configured, encodingFallback });
    } catch (error) {
      if (!(error instanceof FormatConfigError)) throw error;
      this.problems.push(...error.problems);
    }
    const ratio = this.optional('MAX_REJECT_RATIO');
    const maxRejectRatio = ratio === undefined ? undefined : Number(ratio);
    if (maxRejectRatio !== undefined && !(maxRejectRatio >= 0 && maxRejectRatio <= 1))
      this.problems.push(`MAX_REJECT_RATIO is "${ratio}": expected a number from 0 to 1`);
    return {
      formats,
      maxRecordBytes: this.integer('MAX_RECORD_BYTES', 1024 * 1024, 1024, 256 * 1024 * 1024),
      maxRejectRatio,
      encodingFallback,
      csvDelimiter: configured,
    };
  }

  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why `path` cannot be read as a file, or undefined when it can. */
export function unreadableFile(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'expected a file, found something else';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? 'error'})`;
  }
}

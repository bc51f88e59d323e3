import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  defaultRecordFormat,
  FormatConfigError,
  parseFormatCatalog,
  type FormatCatalog,
} from '../records/formats.js';
import { scheduleProblem } from '../sync/sourceSchedule.js';
import { Secret } from './Secret.js';
import { isTimeZone, unreadableFile, type SettingReader } from './SettingReader.js';
import type { ProcessingSettings, SourceSettings } from './settingTypes.js';

/** Source names: they prefix blobs and run summaries, and name the instance and the password. */
export const sourceNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const sourceNameForm =
  '1-63 lowercase letters, digits or hyphens, starting with a letter or digit';

/** `FTP_PASSWORD_<NAME>`: the source name upper-cased, `-` as `_`, so it is a valid setting name. */
export function passwordSettingName(source: string): string {
  return `FTP_PASSWORD_${source.toUpperCase().replace(/-/g, '_')}`;
}

const globList = z.union([z.string(), z.array(z.string().min(1))]).transform((value) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : value,
);

const delimiter = z
  .string()
  .transform((value) => (value === '\\t' || value.toLowerCase() === 'tab' ? '\t' : value))
  .refine(
    (value) => value.length === 1 && !'\r\n"'.includes(value),
    'expected one character (not CR, LF or "), or "tab"',
  );

const ftpSchema = z.strictObject({
  host: z.string().trim().min(1, 'expected a host name or IP address'),
  port: z.int().min(1).max(65535).default(21),
  user: z.string().min(1).default('anonymous'),
  // JSON authors write `false` as often as `"false"`; both mean plain FTP.
  secure: z.preprocess(
    (value) => (value === false ? 'false' : value),
    z.enum(['false', 'explicit', 'implicit']).default('false'),
  ),
  caFile: z.string().min(1).optional(),
  tlsInsecure: z.boolean().default(false),
  root: z.string().min(1).default('/'),
  include: globList.default([]),
  exclude: globList.default([]),
  maxConnections: z.int().min(1).max(64).default(4),
  minAgeSeconds: z
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(60),
  doneSuffix: z.string().min(1).optional(),
  timezone: z
    .string()
    .refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin')
    .default('UTC'),
  timeoutSeconds: z.int().min(1).max(3600).default(30),
  // Accepted by the schema only to be refused with a pointer to the right place (below).
  password: z.unknown().optional(),
});

const sourceSchema = z.strictObject({
  name: z.string().regex(sourceNamePattern, `expected ${sourceNameForm}`),
  schedule: z
    .string()
    .superRefine((value, ctx) => {
      const problem = scheduleProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  ftp: ftpSchema,
  formats: z.union([z.array(z.unknown()), z.string().min(1)]).optional(),
  csvDelimiter: delimiter.optional(),
});

type SourceInput = z.output<typeof sourceSchema>;

/**
 * Reads `SOURCES` (a JSON array, inline or in a file) into validated sources, recording every
 * problem on `read` as `SOURCES[i] (name).field: reason`. Undefined when `SOURCES` is unset.
 * Passwords come from `FTP_PASSWORD_<NAME>`, never from SOURCES itself.
 */
export function readSources(
  read: SettingReader,
  processing: ProcessingSettings,
): SourceSettings[] | undefined {
  if (!read.isSet('SOURCES')) return undefined;
  const text = read.jsonText('SOURCES');
  if (text === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8 quotes a slice of the text in its message, which may hold a misplaced password.
    const at = /position \d+/.exec((error as Error).message)?.[0];
    read.problem(`SOURCES is not valid JSON${at === undefined ? '' : ` (at ${at})`}`);
    return [];
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    read.problem(
      'SOURCES: expected a non-empty JSON array of sources, see the README, "Many vendors in one app"',
    );
    return [];
  }

  const sources: SourceSettings[] = [];
  const firstIndexOf = new Map<string, number>();
  raw.forEach((item: unknown, index) => {
    const label = labelOf(item, index);
    const parsed = sourceSchema.safeParse(item);
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        read.problem(`${label}${pathText(issue.path)}: ${issue.message}`);
    // The checks below read the raw entry too, so a bad port does not hide a bad format.
    const entry = (typeof item === 'object' && item !== null ? item : {}) as RawSource;
    const name =
      typeof entry.name === 'string' && sourceNamePattern.test(entry.name) ? entry.name : undefined;
    if (name !== undefined) {
      const first = firstIndexOf.get(name);
      if (first !== undefined) read.problem(`${label}.name: duplicate of SOURCES[${first}]`);
      else firstIndexOf.set(name, index);
    }
    const password = name === undefined ? undefined : readPassword(read, entry, name, label);
    const csvDelimiter = parsed.success ? parsed.data.csvDelimiter : undefined;
    const formats = sourceFormats(read, entry.formats, csvDelimiter, label, processing);
    if (!parsed.success || password === undefined || formats === false) return;
    sources.push(toSource(parsed.data, password, formats, processing, label));
  });
  return sources;
}

/** A SOURCES entry as written, before validation. */
interface RawSource {
  readonly name?: unknown;
  readonly ftp?: { readonly user?: unknown; readonly password?: unknown };
  readonly formats?: unknown;
}

/** A source's password, or why it has none usable. */
interface SourcePassword {
  readonly secret: Secret;
  readonly problem?: string;
}

/**
 * The source's password from `FTP_PASSWORD_<NAME>`. A source whose user is `anonymous` (the
 * default) needs none. A missing or unresolved one fails that source's runs only (the secret
 * of one new vendor not yet in Key Vault must not stop the others), so it is returned as the
 * source's problem; a password written into SOURCES is a configuration error for the app.
 */
function readPassword(
  read: SettingReader,
  entry: RawSource,
  name: string,
  label: string,
): SourcePassword | undefined {
  const passwordName = passwordSettingName(name);
  if (entry.ftp?.password !== undefined) {
    read.problem(
      `${label}.ftp.password: passwords do not belong in SOURCES; set ${passwordName}` +
        ' (a Key Vault reference in Azure)',
    );
    return undefined;
  }
  const user = typeof entry.ftp?.user === 'string' ? entry.ftp.user : 'anonymous';
  const { value, problem } = read.unrecorded(passwordName, label);
  if (value !== undefined) return { secret: new Secret(value) };
  // An anonymous login needs no secret, so an unresolved reference to one does not matter.
  if (user === 'anonymous') return { secret: new Secret('') };
  if (problem !== undefined) return { secret: new Secret(''), problem };
  return {
    secret: new Secret(''),
    problem: `${label}: ${passwordName} is missing: expected the password of user "${user}"`,
  };
}

/** The source's login problem, if any: its password's, else an unreadable CA file's. */
function loginProblemOf(password: SourcePassword, caFile: string | undefined, label: string) {
  const caProblem = caFile === undefined ? undefined : unreadableFile(caFile);
  const problem =
    password.problem ??
    (caProblem === undefined ? undefined : `${label}.ftp.caFile is "${caFile}": ${caProblem}`);
  return problem === undefined ? {} : { loginProblem: problem };
}

function toSource(
  input: SourceInput,
  password: SourcePassword,
  formats: FormatCatalog | undefined,
  processing: ProcessingSettings,
  label: string,
): SourceSettings {
  const { ftp } = input;
  return {
    name: input.name,
    schedule: input.schedule,
    csvDelimiter: input.csvDelimiter ?? processing.csvDelimiter ?? ',',
    formats,
    ftp: {
      host: ftp.host,
      port: ftp.port,
      user: ftp.user,
      password: password.secret,
      ...loginProblemOf(password, ftp.caFile, label),
      secure: ftp.secure,
      caFile: ftp.caFile,
      verifyCertificate: !ftp.tlsInsecure,
      root: ftp.root,
      include: ftp.include,
      exclude: ftp.exclude,
      maxConnections: ftp.maxConnections,
      minAgeSeconds: ftp.minAgeSeconds,
      doneSuffix: ftp.doneSuffix,
      timezone: ftp.timezone,
      timeoutMs: ftp.timeoutSeconds * 1000,
    },
  };
}

/**
 * The source's own catalog when it lists formats, or the global one with this source's
 * delimiter for unmatched files; undefined means "use the global catalog as it is", false that
 * the formats are invalid (recorded on `read`).
 */
function sourceFormats(
  read: SettingReader,
  formats: unknown,
  csvDelimiter: string | undefined,
  label: string,
  processing: ProcessingSettings,
): FormatCatalog | undefined | false {
  const encodingFallback = processing.encodingFallback;
  if (formats === undefined) {
    if (csvDelimiter === undefined) return undefined;
    const defaultFormat = defaultRecordFormat(csvDelimiter, encodingFallback);
    return { formats: processing.formats.formats, defaultFormat };
  }
  // The schema has already reported a value that is neither an array nor a path.
  if (!Array.isArray(formats) && (typeof formats !== 'string' || formats === '')) return false;
  let json: string;
  if (typeof formats === 'string')
    try {
      json = readFileSync(formats, 'utf8');
    } catch (error) {
      read.problem(`${label}.formats: file "${formats}" unreadable: ${(error as Error).message}`);
      return false;
    }
  else json = JSON.stringify(formats);
  try {
    const delimiter = csvDelimiter ?? processing.csvDelimiter;
    return parseFormatCatalog(json, { delimiter, encodingFallback });
  } catch (error) {
    if (!(error instanceof FormatConfigError)) throw error;
    for (const problem of error.problems)
      read.problem(problem.replace(/^SOURCE_FORMATS/, `${label}.formats`));
    return false;
  }
}

/** `SOURCES[1] (acme)`: where a problem is, by position and by the name when there is one. */
function labelOf(item: unknown, index: number): string {
  const name = typeof item === 'object' && item !== null && 'name' in item ? item.name : undefined;
  if (typeof name !== 'string' || name === '') return `SOURCES[${index}]`;
  return sourceNamePattern.test(name)
    ? `SOURCES[${index}] (${name})`
    : `SOURCES[${index}] (${JSON.stringify(name.slice(0, 64))})`;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
}

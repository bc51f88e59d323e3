import picomatch from 'picomatch';
import iconv from 'iconv-lite';
import { z } from 'zod';
import { IngestError } from '../errors/IngestError.js';

/** Value types a column can declare; anything else stays a string. */
export type ColumnType = 'string' | 'integer' | 'decimal' | 'date' | 'enum';

/** One column of a schema: how its text becomes a typed JSON value. */
export interface ColumnSpec {
  readonly name: string;
  /** Default `string`. */
  readonly type: ColumnType;
  /** An empty (or null-valued) field is a reject when true. Default false. */
  readonly required: boolean;
  /** Decimal separator for `decimal`. Default `.`. */
  readonly decimalSeparator: string;
  /** Thousands separator for `integer` and `decimal`, removed before parsing. Default none. */
  readonly thousandsSeparator?: string;
  /** Date pattern of YYYY, MM, DD, HH, mm, ss and literals, e.g. `DD.MM.YYYY`. Default `YYYY-MM-DD`. */
  readonly pattern: string;
  /** Allowed values for `enum`. */
  readonly values: readonly string[];
  /** Field texts that mean "no value" and become null, e.g. `-999`. Default none. */
  readonly nullValues: readonly string[];
}

/** A fixed-width field: `start` is the 1-based character position, as vendor layouts print it. */
export interface FixedField {
  readonly name: string;
  readonly start: number;
  readonly length: number;
}

/** How to read one family of files. */
export interface RecordFormat {
  /** Globs on the path relative to the source; empty for the default format. */
  readonly match: readonly string[];
  readonly layout: 'delimited' | 'fixed';
  /** One character; undefined means sniffed from the first lines. */
  readonly delimiter?: string;
  /** Default `"`; null turns quoting off. */
  readonly quote: string | null;
  /** Default: the quote character (a doubled quote is a literal quote). */
  readonly escape: string | null;
  /** First row (after skipRows) names the columns. Default true for delimited, false for fixed. */
  readonly header: boolean;
  /** Schema by column name; for a delimited file without a header, also the names in order. */
  readonly columns: readonly ColumnSpec[];
  /** Fixed-width layout, required when layout is `fixed`. */
  readonly fields: readonly FixedField[];
  /** `auto` (BOM, else UTF-8, else the fallback) or an encoding label. Default `auto`. */
  readonly encoding: string;
  /** Used by `auto` when bytes are not UTF-8. Default `windows-1252`. */
  readonly encodingFallback: string;
  /** Lines starting with this prefix are skipped. Default none. */
  readonly comment?: string;
  /** Physical lines skipped before the header (a preamble). Default 0. */
  readonly skipRows: number;
  /** Trim spaces around fields. Default false for delimited, true for fixed. */
  readonly trim: boolean;
  /** Accept stray quotes inside unquoted fields, as Python's csv and Excel do. Default true. */
  readonly relaxQuotes: boolean;
}

/** Formats in configuration order (first match wins) and the one used when none matches. */
export interface FormatCatalog {
  readonly formats: readonly RecordFormat[];
  readonly defaultFormat: RecordFormat;
}

/** Thrown by `parseFormatCatalog` with every invalid field, so one fix round is enough. */
export class FormatConfigError extends IngestError {
  constructor(readonly problems: readonly string[]) {
    super('FORMAT_CONFIG', `Invalid SOURCE_FORMATS:\n  - ${problems.join('\n  - ')}`, {
      setting: 'SOURCE_FORMATS',
    });
  }
}

const oneChar = z.string().length(1, 'expected exactly one character');
const delimiterSchema = z
  .string()
  .transform((value) => (value === '\\t' || value.toLowerCase() === 'tab' ? '\t' : value))
  .pipe(oneChar.refine((c) => !'\r\n"'.includes(c), 'a delimiter cannot be CR, LF or "'));
const encodingSchema = z
  .string()
  .refine((e) => e === 'auto' || iconv.encodingExists(e), 'unknown encoding (iconv-lite label)');

const columnSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['string', 'integer', 'decimal', 'date', 'enum']).default('string'),
  required: z.boolean().default(false),
  decimalSeparator: oneChar.default('.'),
  thousandsSeparator: oneChar.optional(),
  pattern: z
    .string()
    .regex(/YYYY/, 'a date pattern needs YYYY')
    .regex(/MM/, 'a date pattern needs MM')
    .regex(/DD/, 'a date pattern needs DD')
    .default('YYYY-MM-DD'),
  values: z.array(z.string()).default([]),
  nullValues: z.array(z.string()).default([]),
});

const fieldSchema = z.strictObject({
  name: z.string().min(1),
  start: z.int().min(1),
  length: z.int().min(1),
});

const formatSchema = z
  .strictObject({
    match: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    layout: z.enum(['delimited', 'fixed']).default('delimited'),
    delimiter: delimiterSchema.optional(),
    quote: oneChar.nullable().default('"'),
    escape: oneChar.nullable().optional(),
    header: z.boolean().optional(),
    // A bare string is a column name: preprocessed so errors keep paths like `columns[0].type`.
    columns: z
      .array(z.preprocess((c) => (typeof c === 'string' ? { name: c } : c), columnSchema))
      .default([]),
    fields: z.array(fieldSchema).default([]),
    encoding: encodingSchema.default('auto'),
    encodingFallback: encodingSchema.optional(),
    comment: z.string().min(1).optional(),
    skipRows: z.int().min(0).default(0),
    trim: z.boolean().optional(),
    relaxQuotes: z.boolean().default(true),
  })
  .superRefine((format, ctx) => {
    if (format.layout === 'fixed' && format.fields.length === 0)
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'a fixed layout needs fields' });
    for (const [index, column] of format.columns.entries())
      if (column.type === 'enum' && column.values.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['columns', index, 'values'],
          message: 'an enum column needs values',
        });
  });

type FormatInput = z.output<typeof formatSchema>;

/**
 * Parses the SOURCE_FORMATS JSON (an array of formats) into a catalog, or throws a
 * FormatConfigError naming every invalid field by path, e.g. `SOURCE_FORMATS[2].columns[0].type`.
 */
export function parseFormatCatalog(
  json: string | undefined,
  defaults: { readonly delimiter?: string; readonly encodingFallback?: string },
): FormatCatalog {
  const fallback = defaults.encodingFallback ?? 'windows-1252';
  const defaultFormat = defaultRecordFormat(defaults.delimiter, fallback);
  if (json === undefined || json.trim() === '') return { formats: [], defaultFormat };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new FormatConfigError([`SOURCE_FORMATS is not JSON: ${(error as Error).message}`]);
  }
  const parsed = z.array(formatSchema).safeParse(raw);
  if (!parsed.success)
    throw new FormatConfigError(
      parsed.error.issues.map((issue) => `${pathText(issue.path)}: ${issue.message}`),
    );
  return { formats: parsed.data.map((input) => toRecordFormat(input, fallback)), defaultFormat };
}

/** The format for a path relative to the source; a `.gz` suffix is ignored when matching. */
export function formatFor(catalog: FormatCatalog, relativePath: string): RecordFormat {
  const candidates = relativePath.endsWith('.gz')
    ? [relativePath, relativePath.slice(0, -3)]
    : [relativePath];
  for (const format of catalog.formats)
    if (candidates.some((path) => picomatch.isMatch(path, [...format.match], { dot: true })))
      return format;
  return catalog.defaultFormat;
}

/** The format for files no glob matches: header row, auto encoding, given or sniffed delimiter. */
export function defaultRecordFormat(delimiter?: string, encodingFallback = 'windows-1252') {
  return toRecordFormat(
    formatSchema.parse({ match: '**', delimiter, encodingFallback }),
    encodingFallback,
    [],
  );
}

function toRecordFormat(input: FormatInput, fallback: string, match?: string[]): RecordFormat {
  const columns = input.columns;
  return {
    match: match ?? (typeof input.match === 'string' ? [input.match] : input.match),
    layout: input.layout,
    delimiter: input.delimiter,
    quote: input.quote,
    escape: input.escape === undefined ? input.quote : input.escape,
    header: input.header ?? input.layout === 'delimited',
    columns,
    fields: input.fields,
    encoding: input.encoding,
    encodingFallback: input.encodingFallback ?? fallback,
    comment: input.comment,
    skipRows: input.skipRows,
    trim: input.trim ?? input.layout === 'fixed',
    relaxQuotes: input.relaxQuotes,
  };
}

function pathText(path: readonly PropertyKey[]): string {
  let text = 'SOURCE_FORMATS';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return text;
}

import type { ColumnSpec } from './formats.js';

/** A JSON value a field becomes: schema types give numbers and ISO dates. */
export type FieldValue = string | number | null;

/** A record as written to the valid output, keyed by column name. */
export type TypedRecord = Record<string, FieldValue>;

/** Either the typed record or the first reason it is rejected. */
export type TypeResult =
  | { readonly ok: true; readonly record: TypedRecord }
  | { readonly ok: false; readonly reason: string };

/**
 * Builds the output record from a row's fields and the column names. Columns with a schema are
 * converted; columns without one stay strings (the file's text, untouched).
 */
export function typeRecord(
  names: readonly string[],
  fields: readonly string[],
  schema: ReadonlyMap<string, ColumnSpec>,
): TypeResult {
  // A plain object keeps V8's fast properties (a prototype-less one is a slow dictionary).
  const record: TypedRecord = {};
  for (let index = 0; index < names.length; index++) {
    const name = names[index];
    const text = fields[index] ?? '';
    const column = schema.get(name);
    if (column === undefined) {
      setField(record, name, text);
      continue;
    }
    const converted = convert(column, text);
    if (typeof converted === 'object' && converted !== null)
      return { ok: false, reason: `column "${name}": ${converted.error}` };
    setField(record, name, converted);
  }
  return { ok: true, record };
}

/** Assignment, except that a column named "__proto__" stays data instead of a prototype swap. */
function setField(record: TypedRecord, name: string, value: FieldValue): void {
  if (name === '__proto__')
    Object.defineProperty(record, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else record[name] = value;
}

/** Unique, non-empty column names: a file with two "Name" columns must not lose one. */
export function uniqueNames(header: readonly string[]): string[] {
  const seen = new Set<string>();
  return header.map((raw, index) => {
    let name = raw === '' ? `column_${index + 1}` : raw;
    for (let n = 2; seen.has(name); n++) name = `${raw}_${n}`;
    seen.add(name);
    return name;
  });
}

type Converted = FieldValue | { readonly error: string };

function convert(column: ColumnSpec, text: string): Converted {
  if (text === '' || column.nullValues.includes(text))
    return column.required ? { error: 'required value is missing' } : null;
  switch (column.type) {
    case 'string':
      return text;
    case 'integer':
      return toInteger(column, text);
    case 'decimal':
      return toDecimal(column, text);
    case 'date':
      return toIsoDate(column.pattern, text);
    case 'enum':
      return column.values.includes(text)
        ? text
        : { error: `"${text}" is not one of ${column.values.join(', ')}` };
  }
}

function withoutThousands(column: ColumnSpec, text: string): string {
  const separator = column.thousandsSeparator;
  return separator === undefined ? text.trim() : text.trim().replaceAll(separator, '');
}

function toInteger(column: ColumnSpec, text: string): Converted {
  const digits = withoutThousands(column, text);
  const value = Number(digits);
  if (!/^[+-]?\d+$/.test(digits)) return { error: `"${text}" is not an integer` };
  if (!Number.isSafeInteger(value)) return { error: `"${text}" is outside the safe integer range` };
  return value;
}

function toDecimal(column: ColumnSpec, text: string): Converted {
  const digits = withoutThousands(column, text);
  const separator = column.decimalSeparator;
  const plain = separator === '.' ? digits : digits.replaceAll(separator, '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(plain))
    return { error: `"${text}" is not a decimal number` };
  return Number(plain);
}

const dateTokens: Readonly<Record<string, string>> = {
  YYYY: '(?<year>\\d{4})',
  MM: '(?<month>\\d{2})',
  DD: '(?<day>\\d{2})',
  HH: '(?<hour>\\d{2})',
  mm: '(?<minute>\\d{2})',
  ss: '(?<second>\\d{2})',
};
const patternCache = new Map<string, RegExp>();

function datePattern(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (regex === undefined) {
    const source = pattern
      .split(/(YYYY|MM|DD|HH|mm|ss)/)
      .map((part) => dateTokens[part] ?? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('');
    regex = new RegExp(`^${source}$`);
    patternCache.set(pattern, regex);
  }
  return regex;
}

/** `YYYY-MM-DD` for date patterns, `YYYY-MM-DDTHH:mm:ss` when the pattern has a time. */
function toIsoDate(pattern: string, text: string): Converted {
  if (pattern === 'YYYY-MM-DD' && isPlainIsoDate(text)) return text;
  const groups = datePattern(pattern).exec(text.trim())?.groups;
  if (groups === undefined) return { error: `"${text}" does not match date pattern ${pattern}` };
  const [year, month, day] = [Number(groups.year), Number(groups.month), Number(groups.day)];
  const check = new Date(Date.UTC(year, month - 1, day));
  const isCalendarDate = check.getUTCMonth() === month - 1 && check.getUTCDate() === day;
  if (!isCalendarDate) return { error: `"${text}" is not a calendar date` };
  const date = `${groups.year}-${groups.month}-${groups.day}`;
  if (groups.hour === undefined) return date;
  const [hour, minute, second] = [groups.hour, groups.minute ?? '00', groups.second ?? '00'];
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)
    return { error: `"${text}" is not a valid time` };
  return `${date}T${hour}:${minute}:${second}`;
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * The default pattern's common case, checked by character: a date such as `2025-03-14` with a
 * day every month has is already its own ISO form, without a regex match or a Date. Anything
 * else (day 29–31, spaces, other patterns) takes the full check.
 */
function isPlainIsoDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  for (const at of [0, 1, 2, 3, 5, 6, 8, 9]) if (!isDigit(text.charCodeAt(at))) return false;
  const month = (text.charCodeAt(5) - 48) * 10 + text.charCodeAt(6) - 48;
  const day = (text.charCodeAt(8) - 48) * 10 + text.charCodeAt(9) - 48;
  return month >= 1 && month <= 12 && day >= 1 && day <= 28;
}

import { inspect } from 'node:util';

const everySecret = new Set<string>();

/**
 * A credential that cannot be printed by accident: `String()`, `JSON.stringify` and
 * `util.inspect` all give `***`. Only `reveal()` hands out the value, at the point of use.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    // Short values would redact ordinary words from every log line.
    if (value.length >= 4) everySecret.add(value);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return '***';
  }

  [inspect.custom](): string {
    return 'Secret(***)';
  }
}

/** Replaces every known secret value in `text` with `***`: the last line of defence. */
export function redact(text: string): string {
  let result = text;
  for (const value of everySecret) {
    if (result.includes(value)) result = result.split(value).join('***');
  }
  return result;
}

/** Registers a value that must never be printed, e.g. the key inside a connection string. */
export function registerSecret(value: string): void {
  if (value.length >= 4) everySecret.add(value);
}

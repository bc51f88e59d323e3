/** Delimiters tried when a format does not name one, in order of preference on ties. */
export const delimiterCandidates = [',', ';', '\t', '|'] as const;

/** What the first lines of a file say about how to split it. */
export interface Dialect {
  readonly delimiter: string;
  /** The file starts with Excel's `sep=<char>` line, which is not part of the data. */
  readonly hasSepLine: boolean;
}

const linesSniffed = 20;

/**
 * Reads the delimiter from the start of a file: Excel's `sep=;` first line wins; otherwise the
 * candidate that appears the same number of times (at least once) on the most lines, outside
 * quotes, scanning the first 20 lines. A configured delimiter skips the vote.
 */
export function sniffDialect(head: string, configured?: string, quote = '"'): Dialect {
  const sep = /^sep=(.)(\r\n|\r|\n|$)/.exec(head);
  if (sep !== null) return { delimiter: sep[1], hasSepLine: true };
  if (configured !== undefined) return { delimiter: configured, hasSepLine: false };
  const lines = logicalLines(head, quote).slice(0, linesSniffed);
  let best: { delimiter: string; lines: number; width: number } | undefined;
  for (const delimiter of delimiterCandidates) {
    const counts = lines.map((line) => line.split(delimiter).length - 1);
    const width = mode(counts);
    if (width === 0) continue;
    const agreeing = counts.filter((count) => count === width).length;
    const isBetter =
      best === undefined ||
      agreeing > best.lines ||
      (agreeing === best.lines && width > best.width);
    if (isBetter) best = { delimiter, lines: agreeing, width };
  }
  return { delimiter: best?.delimiter ?? ',', hasSepLine: false };
}

/** Lines with quoted sections removed, so a quoted `;` or newline does not vote. */
function logicalLines(head: string, quote: string): string[] {
  const lines: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < head.length; i++) {
    const char = head[i];
    if (char === quote) quoted = !quoted;
    else if (quoted) continue;
    else if (char === '\n' || char === '\r') {
      if (current !== '') lines.push(current);
      current = '';
    } else current += char;
  }
  // The last line may be cut by the end of the sample; use it only when it is all we have.
  if (current !== '' && lines.length === 0) lines.push(current);
  return lines;
}

function mode(values: readonly number[]): number {
  const tally = new Map<number, number>();
  for (const value of values) tally.set(value, (tally.get(value) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [value, count] of tally)
    if (value > 0 && (count > bestCount || (count === bestCount && value > best))) {
      best = value;
      bestCount = count;
    }
  return best;
}

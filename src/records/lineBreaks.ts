/**
 * Counts CRLF, LF and lone CR line breaks across chunks of text, a CRLF split between two
 * chunks counting once. Text without CR takes a native `indexOf` per line instead of a loop
 * over every character: this runs on every chunk of every file.
 */
export class LineBreakCounter {
  /** The 1-based line the next character is on. */
  line = 1;
  #endedWithCr = false;

  count(text: string): void {
    this.line += countLineBreaks(text, text.length, this.#endedWithCr);
    if (text.length > 0) this.#endedWithCr = text.charCodeAt(text.length - 1) === 13;
  }
}

/** Line breaks in `text` before `end`; `afterCr` when the text before it ended with CR. */
export function countLineBreaks(text: string, end = text.length, afterCr = false): number {
  let count = 0;
  if (text.indexOf('\r') < 0 || text.indexOf('\r') >= end) {
    for (let at = text.indexOf('\n'); at >= 0 && at < end; at = text.indexOf('\n', at + 1)) count++;
    return afterCr && text.charCodeAt(0) === 10 ? count - 1 : count;
  }
  for (let i = 0; i < end; i++) {
    const char = text.charCodeAt(i);
    if (char === 13) count++;
    else if (char === 10 && !(i === 0 ? afterCr : text.charCodeAt(i - 1) === 13)) count++;
  }
  return count;
}

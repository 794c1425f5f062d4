/**
 * Captures what a server logs, in chunks: the checks read only what is new since the last case (one long
 * string sliced at an offset would be flattened again and again, which made long runs quadratic).
 */
export class LogTap {
  #fresh: string[] = [];
  /** Characters written so far. */
  total = 0;
  /** Whether some chunk contained each watched text. */
  readonly seen = new Map<string, boolean>();

  /** @param watch - texts to remember having seen (e.g. one line per callback) */
  constructor(watch: readonly string[] = []) {
    for (const text of watch) this.seen.set(text, false);
  }

  /** Receives what the logger writes. */
  readonly write = (text: string): void => {
    this.#fresh.push(text);
    this.total += text.length;
    for (const [watched, was] of this.seen) if (!was && text.includes(watched)) this.seen.set(watched, true);
  };

  /** What was written since the last call. */
  take(): string {
    const text = this.#fresh.join("");
    this.#fresh = [];
    return text;
  }
}

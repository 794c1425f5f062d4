/**
 * A webhook routed to many robots is stored as one row per robot, each holding the same message text. Reading
 * them back parsed that text once per row (and the relay then rendered each copy): a fan-out to 500 robots
 * paid 500 JSON.parse calls and kept 500 copies of the same alerts in memory. Rows with the same text now
 * share one parsed value, which is what lets the relay render such a message once (see relay/render.ts).
 * @module
 */

/** Bounds of a {@link ParsedMessages} cache. */
export interface ParsedMessagesOptions {
  /** Distinct texts remembered (the oldest is forgotten first). */
  maxEntries?: number;
  /** Longer texts are parsed every time: a cache of a few large bodies would hold megabytes. */
  maxChars?: number;
}

/**
 * Parses stored texts, handing out the same value for the same text while it is remembered. The values are
 * shared between entries, so whoever reads them must not change them (the scheduler, digests and templates
 * only read).
 */
export class ParsedMessages<T> {
  private readonly parsed = new Map<string, T>();
  private readonly maxEntries: number;
  private readonly maxChars: number;

  /**
   * @param parse - turns a stored text into its value (throws on a corrupt text, as JSON.parse does)
   * @param options - bounds
   */
  constructor(
    private readonly parse: (text: string) => T,
    options: ParsedMessagesOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 64;
    this.maxChars = options.maxChars ?? 65_536;
  }

  /** The value of a text: parsed now, or shared with an earlier row of the same text. */
  get(text: string): T {
    if (text.length > this.maxChars) return this.parse(text);
    const known = this.parsed.get(text);
    if (known !== undefined) return known;
    const value = this.parse(text);
    this.parsed.set(text, value);
    // A Map iterates in insertion order: the first key is the one remembered longest.
    if (this.parsed.size > this.maxEntries) this.parsed.delete(this.parsed.keys().next().value as string);
    return value;
  }
}

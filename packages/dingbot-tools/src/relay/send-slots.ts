/**
 * A bound on the sends in flight across every robot of one relay process. A webhook routed to 500 robots made
 * 500 requests at once: 500 connections to one host, of which the keep-alive agent keeps only 256 idle and
 * closes the rest after every fan-out, and every next fan-out connects them again. In the fan-out bench a
 * bare loop was fastest with 64 requests in flight (bench/RESULTS.md, issue 15.4); the relay now sends the
 * same way, over connections it keeps. Each robot's own limits (the rate window, four sends in flight) are
 * the scheduler's and unchanged.
 * @module
 */

/**
 * Sends in flight per relay. At DingTalk's usual 20–100 ms per answer this still allows 640–3,200 messages a
 * second, far above what the robots' 20-per-minute limits let a relay send on average.
 */
export const RELAY_SEND_SLOTS = 64;

/** A counting semaphore, first come first served. */
export class SendSlots {
  private taken = 0;
  private readonly waiting: (() => void)[] = [];

  /** @param size - slots; at least 1 */
  constructor(readonly size: number = RELAY_SEND_SLOTS) {
    if (!(size >= 1)) throw new RangeError(`send slots must be at least 1, not ${size}`);
  }

  /** Sends in flight now. */
  get inUse(): number {
    return this.taken;
  }

  /** Resolves once a slot is this caller's; {@link release} gives it back. */
  acquire(): Promise<void> {
    if (this.taken < this.size) {
      this.taken += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives a slot back: to the longest waiting caller, if any. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.taken -= 1;
  }
}

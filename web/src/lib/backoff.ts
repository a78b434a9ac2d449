// How long to wait before the next reconnection attempt: exponential with
// jitter, so that thousands of clients dropped by one server restart do not
// all come back in the same instant.

/** Settings of a back-off; the defaults suit a chat reconnecting to its server. */
export interface BackoffConfig {
  /** Delay before the first retry, in milliseconds. */
  initialMs: number;
  /** Upper bound of any delay, in milliseconds. */
  maxMs: number;
  /** Growth of the delay after each failed attempt. */
  factor: number;
  /** Share of the delay drawn at random, 0 to 1 (0.5: between 50% and 100%). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
};

export class Backoff {
  private attempts = 0;

  constructor(
    private readonly config: BackoffConfig = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call counts one more attempt. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.config;
    const ceiling = Math.min(maxMs, initialMs * factor ** this.attempts);
    this.attempts += 1;
    return Math.round(ceiling * (1 - jitter * this.random()));
  }

  /** Attempts made since the last success. */
  get failures(): number {
    return this.attempts;
  }

  /** The connection worked: the next drop starts again from the shortest delay. */
  reset(): void {
    this.attempts = 0;
  }
}

// The reconnection back-off: doubling delays up to a ceiling, jitter
// below it, and a fresh start after a reset.

import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles the delay up to the maximum, without jitter', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 4000, factor: 2, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(backoff.failures).toBe(6);
  });

  it('draws the jitter below the ceiling', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.5 }, () => 1);
    const high = new Backoff({ initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.5 }, () => 0);
    expect(low.next()).toBe(500);
    expect(high.next()).toBe(1000);
  });

  it('starts again from the shortest delay after a reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 10_000, factor: 3, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(100);
  });
});

// Ids travel as decimal strings (64-bit numbers lose precision in
// JavaScript). They increase with time, so comparing them orders messages.

/** Orders two decimal id strings numerically: negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The larger of two ids, either of which may be missing. */
export function maxId(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareIds(a, b) >= 0 ? a : b;
}

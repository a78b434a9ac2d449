// Turning protocol data into what a person reads: times and days in their
// language, message text split into plain and @mention segments (always
// rendered as text, never HTML), nickname colours, lengths as the server
// counts them.

/** A piece of a message body. Every piece is shown as text. */
export interface Segment {
  text: string;
  /** `@nick`: a mention. */
  mention: boolean;
  /** A mention of the reader. */
  self: boolean;
}

/**
 * The server's mention rule: `@` at the start or after a character that is
 * not a letter, digit, `-` or `_`, then a nickname (a letter, then letters,
 * digits, `-`, `_`; at most 20 characters).
 */
const MENTION = /(?<![\p{L}\p{N}_-])@(\p{L}[\p{L}\p{N}_-]{0,19})/gu;

/** Case folding close enough to the server's to recognise one's own nickname. */
export function foldNick(nick: string): string {
  return nick.normalize('NFKC').toLowerCase();
}

/** Splits a body into text and mention segments, marking mentions of `myNick`. */
export function segmentBody(body: string, myNick: string | null): Segment[] {
  const mine = myNick === null ? null : foldNick(myNick);
  const segments: Segment[] = [];
  let last = 0;
  for (const match of body.matchAll(MENTION)) {
    const start = match.index;
    if (start > last) segments.push({ text: body.slice(last, start), mention: false, self: false });
    const nick = match[1];
    segments.push({ text: match[0], mention: true, self: mine !== null && foldNick(nick) === mine });
    last = start + match[0].length;
  }
  if (last < body.length) segments.push({ text: body.slice(last), mention: false, self: false });
  return segments;
}

/** Length in Unicode scalar values, as the server counts `max_body_chars`. */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** A body made only of white space counts as empty, as on the server. */
export function isBlank(text: string): boolean {
  return text.trim() === '';
}

/** The first `max` characters of a text on one line, with an ellipsis when cut. */
export function excerpt(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

/** Number of nickname colours (CSS classes `nick-0` …), each AA on both themes. */
export const NICK_COLOURS = 8;

/** A stable colour for a nickname: the same on every screen and every visit. */
export function nickColour(nick: string): number {
  // FNV-1a over the folded nickname.
  let hash = 0x811c9dc5;
  for (const char of foldNick(nick)) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % NICK_COLOURS;
}

/** `14:05` (or `2:05 PM`), in the reader's language. */
export function formatTime(at: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(at);
}

/** Full date and time, for a tooltip. */
export function formatDateTime(at: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }).format(at);
}

/**
 * When something ends, as precisely as the reader needs: `15:40` today,
 * the full date and time on another day (a mute until tomorrow must not
 * read as "until 15:40").
 */
export function formatUntil(at: number, now: number, locale: string): string {
  return sameDay(at, now) ? formatTime(at, locale) : formatDateTime(at, locale);
}

function startOfDay(at: number): number {
  const day = new Date(at);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

/** Whether two times fall on the same local day. */
export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

/** `Aujourd'hui`, `Hier`, or `lundi 12 janvier` (with the year when not this year). */
export function formatDay(at: number, now: number, locale: string): string {
  const days = Math.round((startOfDay(at) - startOfDay(now)) / 86_400_000);
  if (days === 0 || days === -1) {
    const word = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(days, 'day');
    return word.charAt(0).toLocaleUpperCase(locale) + word.slice(1);
  }
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(at);
}

/** `5 minutes`, `2 heures`: how long someone has been idle, in words. */
export function formatDuration(secs: number, locale: string): string {
  const [value, unit] =
    secs < 3600
      ? [Math.max(1, Math.floor(secs / 60)), 'minute']
      : secs < 86_400
        ? [Math.floor(secs / 3600), 'hour']
        : [Math.floor(secs / 86_400), 'day'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}

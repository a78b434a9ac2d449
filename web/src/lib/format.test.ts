// What a person reads: message bodies split into text and mentions (never
// HTML), lengths as the server counts them, excerpts, nickname colours,
// times and days.

import { describe, expect, it } from 'vitest';
import {
  charCount,
  excerpt,
  formatDay,
  formatDuration,
  formatTime,
  formatUntil,
  isBlank,
  NICK_COLOURS,
  nickColour,
  segmentBody,
} from './format';

describe('segmentBody', () => {
  it('splits mentions from text and marks mine, whatever the case', () => {
    expect(segmentBody('Moi ! @Bob tu proposes quel film, @alice ?', 'Alice')).toEqual([
      { text: 'Moi ! ', mention: false, self: false },
      { text: '@Bob', mention: true, self: false },
      { text: ' tu proposes quel film, ', mention: false, self: false },
      { text: '@alice', mention: true, self: true },
      { text: ' ?', mention: false, self: false },
    ]);
  });

  it('follows the server rule: no mention inside a word or an address', () => {
    expect(segmentBody('écris à bob@example.com', 'bob').some((segment) => segment.mention)).toBe(false);
    expect(segmentBody('x-@Bob', null).some((segment) => segment.mention)).toBe(false);
    expect(segmentBody('(@Zoé)', 'zoé')[1]).toEqual({ text: '@Zoé', mention: true, self: true });
  });

  it('keeps markup as text: segments are never HTML', () => {
    const body = '<img src=x onerror=alert(1)> <script>alert(1)</script>';
    expect(segmentBody(body, null)).toEqual([{ text: body, mention: false, self: false }]);
  });

  it('gives back the body exactly when joined', () => {
    const body = '@a @b\n@c  fin';
    expect(segmentBody(body, 'b').map((segment) => segment.text).join('')).toBe(body);
  });
});

describe('lengths and excerpts', () => {
  it('count characters as the server does (an emoji is one)', () => {
    expect(charCount('😀é')).toBe(2);
    expect('😀é'.length).toBe(3);
  });

  it('treat white space only as blank', () => {
    expect(isBlank(' \n\t')).toBe(true);
    expect(isBlank(' a ')).toBe(false);
  });

  it('cut long text on one line', () => {
    expect(excerpt('un\n  deux', 80)).toBe('un deux');
    expect(excerpt('abcdefghij', 5)).toBe('abcd…');
    expect(excerpt('😀😀😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('nickColour', () => {
  it('is stable, ignores case and stays in the palette', () => {
    expect(nickColour('Alice')).toBe(nickColour('alice'));
    const colours = new Set(['Alice', 'Bob', 'Zoé', 'Karim', 'Léa', 'Hugo', 'Inès', 'Noah'].map(nickColour));
    for (const colour of colours) expect(colour).toBeGreaterThanOrEqual(0);
    for (const colour of colours) expect(colour).toBeLessThan(NICK_COLOURS);
    expect(colours.size).toBeGreaterThan(2);
  });
});

describe('dates and times', () => {
  const at = new Date(2026, 0, 12, 14, 5).getTime();

  it('show times in the reader’s language', () => {
    expect(formatTime(at, 'fr')).toBe('14:05');
    expect(formatTime(at, 'en')).toMatch(/^2:05\sPM$/);
  });

  it('name today and yesterday, and other days by date', () => {
    const now = new Date(2026, 0, 12, 20, 0).getTime();
    expect(formatDay(at, now, 'fr')).toBe('Aujourd’hui');
    expect(formatDay(at, now, 'en')).toBe('Today');
    expect(formatDay(at - 86_400_000, now, 'fr')).toBe('Hier');
    expect(formatDay(new Date(2026, 0, 5, 9).getTime(), now, 'fr')).toBe('lundi 5 janvier');
    expect(formatDay(new Date(2025, 11, 24, 9).getTime(), now, 'en')).toBe('Wednesday, December 24, 2025');
  });

  it('say when something ends: the time today, the date and time on another day', () => {
    const now = new Date(2026, 0, 12, 9, 0).getTime();
    expect(formatUntil(at, now, 'fr')).toBe('14:05');
    const tomorrow = new Date(2026, 0, 13, 14, 5).getTime();
    expect(formatUntil(tomorrow, now, 'fr')).toMatch(/^mardi 13 janvier 2026 à 14:05$/);
    expect(formatUntil(tomorrow, now, 'en')).toMatch(/^Tuesday, January 13, 2026 at 2:05\sPM$/);
  });

  it('say durations in words', () => {
    expect(formatDuration(125, 'fr')).toMatch(/^2\sminutes$/);
    expect(formatDuration(7200, 'en')).toMatch(/^2\shours$/);
    expect(formatDuration(3 * 86_400, 'fr')).toMatch(/^3\sjours$/);
  });
});

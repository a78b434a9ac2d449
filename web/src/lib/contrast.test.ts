// WCAG AA contrast of every text/background pair the styles use, in both
// themes, read from the custom properties of src/app.css.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('../app.css', import.meta.url), 'utf8');
const colours = new Map<string, { light: string; dark: string }>();
for (const match of css.matchAll(/--([\w-]+):\s*light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\);/gi)) {
  colours.set(match[1], { light: match[2], dark: match[3] });
}

function luminance(hex: string): number {
  const channels = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function ratio(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high + 0.05) / (low + 0.05);
}

const NICKS = Array.from({ length: 8 }, (_, index) => `nick-${index}`);

/** Text colour → the backgrounds it is drawn on. */
const TEXT_PAIRS: Array<[string[], string[]]> = [
  [['text'], ['bg', 'surface', 'surface-2', 'danger-soft']],
  [['muted'], ['bg', 'surface', 'surface-2']],
  [['link'], ['bg', 'surface', 'surface-2', 'accent-soft', 'mention-bg']],
  [['danger'], ['bg', 'surface', 'danger-soft']],
  [NICKS, ['bg', 'surface', 'mention-bg']],
  [['accent-text'], ['accent']],
  [['accent-soft-text'], ['accent-soft']],
  [['mention-text'], ['mention-bg']],
  [['badge-text'], ['badge-bg']],
];

/** Borders and focus rings: 3:1 against what surrounds them. */
const UI_PAIRS: Array<[string[], string[]]> = [
  [['border'], ['bg', 'surface']],
  [['accent', 'danger'], ['bg', 'surface']],
];

function check(pairs: Array<[string[], string[]]>, minimum: number) {
  for (const theme of ['light', 'dark'] as const) {
    for (const [foregrounds, backgrounds] of pairs) {
      for (const foreground of foregrounds) {
        for (const background of backgrounds) {
          const fg = colours.get(foreground);
          const bg = colours.get(background);
          expect(fg, `--${foreground}`).toBeDefined();
          expect(bg, `--${background}`).toBeDefined();
          if (!fg || !bg) continue;
          const value = ratio(fg[theme], bg[theme]);
          expect(value, `${theme}: --${foreground} on --${background} is ${value.toFixed(2)}:1`).toBeGreaterThanOrEqual(
            minimum,
          );
        }
      }
    }
  }
}

describe('contrast (WCAG AA)', () => {
  it('finds the colour table', () => {
    expect(colours.size).toBeGreaterThan(20);
  });

  it('is at least 4.5:1 for text, in both themes', () => {
    check(TEXT_PAIRS, 4.5);
  });

  it('is at least 3:1 for borders and focus rings, in both themes', () => {
    check(UI_PAIRS, 3);
  });
});

// The translation tables: the same keys and placeholders in French and
// English, no empty text, plurals in pairs; and placeholders filled in.

import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { fill } from './index.svelte';

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
}

describe('translations', () => {
  it('have the same keys in French and English', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(fr).sort());
  });

  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(fr) as Array<keyof typeof fr>) {
      expect(placeholders(en[key]), key).toEqual(placeholders(fr[key]));
    }
  });

  it('have no empty text', () => {
    for (const table of [fr, en]) {
      for (const [key, text] of Object.entries(table)) expect(text.trim(), key).not.toBe('');
    }
  });

  it('come in pairs for plurals', () => {
    for (const key of Object.keys(fr)) {
      if (key.endsWith('_one')) expect(Object.keys(fr)).toContain(key.replace(/_one$/, '_other'));
      if (key.endsWith('_other')) expect(Object.keys(fr)).toContain(key.replace(/_other$/, '_one'));
    }
  });
});

describe('fill', () => {
  it('replaces known placeholders and leaves the others', () => {
    expect(fill('{nick} écrit… {unknown}', { nick: 'Bob' })).toBe('Bob écrit… {unknown}');
  });
});

// The invariant "the client never renders user text as HTML", checked over
// every component: no `{@html}`, no `innerHTML`, no `insertAdjacentHTML`.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'protocol' ? [] : sources(path);
    return /\.(svelte|ts)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('safe rendering', () => {
  const files = sources(src);

  it('finds the components', () => {
    expect(files.some((file) => file.endsWith('RoomView.svelte'))).toBe(true);
  });

  it('never turns a string into HTML', () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const forbidden of ['{@html', 'innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write']) {
        expect(text.includes(forbidden), `${file} uses ${forbidden}`).toBe(false);
      }
    }
  });
});

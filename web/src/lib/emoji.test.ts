// Shortcodes and smileys turned into emoji, and the picker offering only
// what works.

import { describe, expect, it } from 'vitest';
import { emojiFor, PICKER, replaceShortcodes } from './emoji';

describe('replaceShortcodes', () => {
  it('turns named shortcodes into emoji, in French or English, accents and case aside', () => {
    expect(replaceShortcodes('je t’envoie un :coeur: et un :heart:')).toBe('je t’envoie un ❤️ et un ❤️');
    expect(replaceShortcodes(':Café: ?')).toBe('☕ ?');
    expect(replaceShortcodes(':pouce::fete:')).toBe('👍🎉');
  });

  it('leaves unknown shortcodes and times alone', () => {
    expect(replaceShortcodes(':inconnu: à 12:30:45')).toBe(':inconnu: à 12:30:45');
  });

  it('turns stand-alone smileys into emoji', () => {
    expect(replaceShortcodes(':)')).toBe('🙂');
    expect(replaceShortcodes('super :D merci <3')).toBe('super 😃 merci ❤️');
    expect(replaceShortcodes("trop triste :'(")).toBe('trop triste 😢');
  });

  it('leaves smileys inside words and links', () => {
    expect(replaceShortcodes('http://exemple.fr/:)')).toBe('http://exemple.fr/:)');
    expect(replaceShortcodes('a:)b')).toBe('a:)b');
    expect(replaceShortcodes('(voir plus bas :)')).toBe('(voir plus bas 🙂');
  });
});

describe('the picker', () => {
  it('offers only emoji whose shortcode works', () => {
    for (const [emoji, name] of PICKER) expect(emojiFor(name)).toBe(emoji);
    expect(new Set(PICKER.map(([, name]) => name)).size).toBe(PICKER.length);
  });
});

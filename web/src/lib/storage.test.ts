// What the device remembers: a stored profile read back only when well
// formed, settings with defaults for what is missing or wrong.

import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseProfile, parseSettings } from './storage';

describe('stored profile', () => {
  it('is read back when well formed', () => {
    const profile = { nickname: 'Alice', age: 25, gender: 'femme', department: '75' };
    expect(parseProfile(profile)).toEqual(profile);
  });

  it('is ignored when tampered with or from an older version', () => {
    expect(parseProfile(null)).toBeNull();
    expect(parseProfile('Alice')).toBeNull();
    expect(parseProfile({ nickname: 'Alice', age: '25', gender: 'femme', department: '75' })).toBeNull();
    expect(parseProfile({ nickname: 'Alice', age: 25, gender: 'robot', department: '75' })).toBeNull();
    expect(parseProfile({ nickname: 'Alice', age: 2.5, gender: 'femme', department: '75' })).toBeNull();
  });
});

describe('stored settings', () => {
  it('keep valid values and default the rest', () => {
    expect(parseSettings({ theme: 'dark', locale: 'en', acceptDms: false, notify: 'yes' })).toEqual({
      ...DEFAULT_SETTINGS,
      theme: 'dark',
      locale: 'en',
      acceptDms: false,
    });
    expect(parseSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.locale).toBe('fr');
  });
});

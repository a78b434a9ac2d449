// What this device remembers between visits: the last profile used to enter
// and the person's settings. Storage can be unavailable (private modes,
// blocked cookies): reading then gives the defaults and writing does nothing.

import type { Gender } from './protocol/Gender';

export interface Profile {
  nickname: string;
  age: number;
  gender: Gender;
  department: string;
}

export type Theme = 'system' | 'light' | 'dark';
export type Locale = 'fr' | 'en';

export interface Settings {
  theme: Theme;
  locale: Locale;
  /** Accept private messages from anyone of my band (`set_dm_privacy`). */
  acceptDms: boolean;
  /** Show browser notifications for mentions and private messages. */
  notify: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  locale: 'fr',
  acceptDms: true,
  notify: false,
};

const PROFILE_KEY = 'tchatche.profile';
const SETTINGS_KEY = 'tchatche.settings';
/** Set in this tab once entered: a reload enters again with the same profile. */
const ENTERED_KEY = 'tchatche.entered';

const GENDERS: readonly Gender[] = ['homme', 'femme', 'autre'];

function read(storage: () => Storage, key: string): unknown {
  try {
    const text = storage().getItem(key);
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

function write(storage: () => Storage, key: string, value: unknown): void {
  try {
    if (value === null) storage().removeItem(key);
    else storage().setItem(key, JSON.stringify(value));
  } catch {
    // Storage unavailable or full: the device simply does not remember.
  }
}

/** Checks a stored profile's shape: storage is outside our control. */
export function parseProfile(value: unknown): Profile | null {
  if (typeof value !== 'object' || value === null) return null;
  const { nickname, age, gender, department } = value as Record<string, unknown>;
  if (typeof nickname !== 'string' || typeof department !== 'string') return null;
  if (typeof age !== 'number' || !Number.isInteger(age)) return null;
  if (!GENDERS.includes(gender as Gender)) return null;
  return { nickname, age, gender: gender as Gender, department };
}

export function parseSettings(value: unknown): Settings {
  const settings = { ...DEFAULT_SETTINGS };
  if (typeof value !== 'object' || value === null) return settings;
  const stored = value as Record<string, unknown>;
  if (stored.theme === 'light' || stored.theme === 'dark' || stored.theme === 'system') {
    settings.theme = stored.theme;
  }
  if (stored.locale === 'fr' || stored.locale === 'en') settings.locale = stored.locale;
  if (typeof stored.acceptDms === 'boolean') settings.acceptDms = stored.acceptDms;
  if (typeof stored.notify === 'boolean') settings.notify = stored.notify;
  return settings;
}

const local = () => globalThis.localStorage;
const session = () => globalThis.sessionStorage;

export const loadProfile = (): Profile | null => parseProfile(read(local, PROFILE_KEY));
export const saveProfile = (profile: Profile): void => write(local, PROFILE_KEY, profile);
export const loadSettings = (): Settings => parseSettings(read(local, SETTINGS_KEY));
export const saveSettings = (settings: Settings): void => write(local, SETTINGS_KEY, settings);
export const enteredInThisTab = (): boolean => read(session, ENTERED_KEY) === true;
export const setEnteredInThisTab = (entered: boolean): void =>
  write(session, ENTERED_KEY, entered ? true : null);

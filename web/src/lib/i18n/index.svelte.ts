// The current language and the `t` function every component uses. Strings
// live in fr.ts (the reference) and en.ts; placeholders are `{name}`.

import type { ServerText } from '../chat';
import type { Locale } from '../storage';
import { en } from './en';
import { fr, type MessageKey } from './fr';

const TABLES: Record<Locale, Record<MessageKey, string>> = { fr, en };

let current = $state<Locale>('fr');

export const i18n = {
  get locale(): Locale {
    return current;
  },
  set locale(locale: Locale) {
    current = locale;
    if (typeof document !== 'undefined') document.documentElement.lang = locale;
  },
};

/** Fills `{name}` placeholders. */
export function fill(text: string, params: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** The text for `key` in the current language. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return fill(TABLES[current][key], params);
}

/**
 * Our own text in both languages, kept like a server text (`ServerText`)
 * where one may stand in for it; `params` may differ by language (a time
 * written the French or the English way).
 */
export function inBothLanguages(
  key: MessageKey,
  params: (locale: Locale) => Record<string, string | number> = () => ({}),
): ServerText {
  return { fr: fill(TABLES.fr[key], params('fr')), en: fill(TABLES.en[key], params('en')) };
}

/** The server's own text of an event (`message_fr` / `message_en`: an `error`, a `closing`). */
export function textOf(event: { message_fr: string; message_en: string }): ServerText {
  return { fr: event.message_fr, en: event.message_en };
}

/** A server text (`message_fr` / `message_en`) in the current language. */
export function serverText(text: ServerText): string {
  return current === 'fr' ? text.fr : text.en;
}

export type { MessageKey };

/** A plural: `key_one` or `key_other` by the current language's rules. */
export function tn(key: string, count: number, params: Record<string, string | number> = {}): string {
  const form = new Intl.PluralRules(current).select(count) === 'one' ? 'one' : 'other';
  return t(`${key}_${form}` as MessageKey, { count: count.toLocaleString(current), ...params });
}

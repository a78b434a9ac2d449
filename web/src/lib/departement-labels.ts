// How a département reads on screen, in the current language: "69 — Rhône"
// in pickers and on profile cards, "Rhône" in a sentence, and the words for
// abroad rather than its code. The list itself is generated (departements.ts).

import { ABROAD, DEPARTEMENTS } from './departements';
import { t } from './i18n/index.svelte';

const NAMES = new Map(DEPARTEMENTS);

/** "69 — Rhône"; abroad in words; an unknown code as it is. */
export function departementLabel(code: string): string {
  if (code === ABROAD) return t('department.abroad');
  const name = NAMES.get(code);
  return name === undefined ? code : `${code} — ${name}`;
}

/** "Rhône"; abroad in words; an unknown code as it is. */
export function departementName(code: string): string {
  if (code === ABROAD) return t('department.abroad');
  return NAMES.get(code) ?? code;
}

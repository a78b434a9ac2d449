// Emoji for people who type them as text: the classic smileys (`:)`, `<3`)
// and named shortcodes in French or English (`:coeur:`, `:heart:`), turned
// into emoji when a message is sent, plus the short list the picker offers.

/** Named shortcodes; keys are folded (lower case, no accents). */
const NAMED: Record<string, string> = {
  coeur: '❤️', heart: '❤️',
  amour: '😍', love: '😍',
  sourire: '😊', smile: '😊',
  rire: '😂', joy: '😂',
  mdr: '🤣', rofl: '🤣',
  lol: '😆',
  clin: '😉', wink: '😉',
  triste: '😢', sad: '😢', cry: '😢',
  colere: '😠', angry: '😠',
  bisou: '😘', kiss: '😘',
  calin: '🤗', hug: '🤗',
  ange: '😇', angel: '😇',
  diable: '😈', devil: '😈',
  cool: '😎',
  choc: '😮', wow: '😮',
  pensif: '🤔', thinking: '🤔',
  oups: '😅', oops: '😅', sweat: '😅',
  dodo: '😴', sleep: '😴',
  malade: '🤒', sick: '🤒',
  fou: '🤪', crazy: '🤪',
  yeux: '👀', eyes: '👀',
  pouce: '👍', thumbsup: '👍', '+1': '👍',
  bof: '👎', thumbsdown: '👎', '-1': '👎',
  ok: '👌',
  merci: '🙏', pray: '🙏', thanks: '🙏',
  bravo: '👏', clap: '👏',
  salut: '👋', wave: '👋', coucou: '👋',
  muscle: '💪',
  fete: '🎉', party: '🎉', tada: '🎉',
  feu: '🔥', fire: '🔥',
  cent: '💯', '100': '💯',
  etoile: '⭐', star: '⭐',
  soleil: '☀️', sun: '☀️',
  lune: '🌙', moon: '🌙',
  pluie: '🌧️', rain: '🌧️',
  neige: '❄️', snow: '❄️',
  fleur: '🌸', flower: '🌸',
  rose: '🌹',
  chat: '🐱', cat: '🐱',
  chien: '🐶', dog: '🐶',
  cafe: '☕', coffee: '☕',
  the: '🍵', tea: '🍵',
  biere: '🍺', beer: '🍺',
  vin: '🍷', wine: '🍷',
  pizza: '🍕',
  croissant: '🥐',
  baguette: '🥖',
  fromage: '🧀', cheese: '🧀',
  gateau: '🎂', cake: '🎂',
  cadeau: '🎁', gift: '🎁',
  musique: '🎵', music: '🎵',
  foot: '⚽', soccer: '⚽',
  jeu: '🎮', game: '🎮',
  livre: '📚', books: '📚',
  france: '🇫🇷', fr: '🇫🇷',
};

/** Text smileys, converted only when they stand alone between spaces. */
const SMILEYS: Record<string, string> = {
  ':)': '🙂', ':-)': '🙂',
  ':(': '🙁', ':-(': '🙁',
  ';)': '😉', ';-)': '😉',
  ':D': '😃', ':-D': '😃',
  xD: '😆', XD: '😆',
  ':P': '😛', ':p': '😛', ':-P': '😛', ':-p': '😛',
  ':o': '😮', ':O': '😮',
  ":'(": '😢',
  ':*': '😘',
  '<3': '❤️',
};

/** What the picker offers, with the shortcode that names each emoji. */
export const PICKER: ReadonlyArray<readonly [emoji: string, shortcode: string]> = [
  ['😊', 'sourire'], ['😂', 'rire'], ['🤣', 'mdr'], ['😉', 'clin'], ['😍', 'amour'],
  ['😘', 'bisou'], ['🤗', 'calin'], ['😎', 'cool'], ['🤔', 'pensif'], ['😅', 'oups'],
  ['😮', 'choc'], ['😢', 'triste'], ['😠', 'colere'], ['😴', 'dodo'], ['🤪', 'fou'],
  ['😇', 'ange'], ['👀', 'yeux'], ['👍', 'pouce'], ['👎', 'bof'], ['👌', 'ok'],
  ['👏', 'bravo'], ['🙏', 'merci'], ['👋', 'salut'], ['💪', 'muscle'], ['❤️', 'coeur'],
  ['🔥', 'feu'], ['🎉', 'fete'], ['💯', 'cent'], ['⭐', 'etoile'], ['☀️', 'soleil'],
  ['🌙', 'lune'], ['🌸', 'fleur'], ['☕', 'cafe'], ['🍺', 'biere'], ['🍷', 'vin'],
  ['🍕', 'pizza'], ['🥐', 'croissant'], ['🧀', 'fromage'], ['🎂', 'gateau'], ['🎵', 'musique'],
  ['⚽', 'foot'], ['🎮', 'jeu'], ['🐱', 'chat'], ['🐶', 'chien'], ['🇫🇷', 'france'],
];

/** Lower case without accents, as shortcodes are looked up (`:Café:` is `:cafe:`). */
function foldShortcode(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').replace('œ', 'oe').toLowerCase();
}

/** The emoji a shortcode name stands for, if any. */
export function emojiFor(name: string): string | undefined {
  return Object.hasOwn(NAMED, foldShortcode(name)) ? NAMED[foldShortcode(name)] : undefined;
}

const NAMED_PATTERN = /:([\p{L}\p{N}_+-]{1,30}):/gu;
const SMILEY_PATTERN = new RegExp(
  `(^|\\s)(${Object.keys(SMILEYS)
    .sort((a, b) => b.length - a.length)
    .map((smiley) => smiley.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|')})(?=\\s|$)`,
  'g',
);

/**
 * Replaces shortcodes and stand-alone text smileys by emoji. Unknown
 * shortcodes and smileys inside words or links (`http://`) stay as typed.
 */
export function replaceShortcodes(text: string): string {
  return text
    .replace(NAMED_PATTERN, (whole, name: string) => emojiFor(name) ?? whole)
    .replace(SMILEY_PATTERN, (_whole, before: string, smiley: string) => before + SMILEYS[smiley]);
}

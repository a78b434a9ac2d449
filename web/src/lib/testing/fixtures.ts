// Protocol objects for unit tests, with defaults that tests override.

import type { DirectMessage } from '../protocol/DirectMessage';
import type { ErrorCode } from '../protocol/ErrorCode';
import type { Event } from '../protocol/Event';
import type { RoomFlags } from '../protocol/RoomFlags';
import type { RoomMessage } from '../protocol/RoomMessage';
import type { RoomSummary } from '../protocol/RoomSummary';
import type { SanctionKind } from '../protocol/SanctionKind';
import type { SanctionNotice } from '../protocol/SanctionNotice';
import type { UserSummary } from '../protocol/UserSummary';

export function user(id: string, nick: string, extra: Partial<UserSummary> = {}): UserSummary {
  return { id, nick, age: 30, gender: 'femme', department: '75', member: false, idle_secs: 0, ...extra };
}

export function room(slug: string, extra: Partial<RoomSummary> = {}): RoomSummary {
  return {
    slug,
    name: slug.charAt(0).toUpperCase() + slug.slice(1),
    category: 'Régions',
    topic: '',
    members: 1,
    // Cast: flags this client does not show may be added to the protocol.
    flags: { registered_only: false, moderated: false, slow_mode_secs: 0, capacity: null } as RoomFlags,
    user_created: false,
    ...extra,
    // Cast: fields this client does not use may be added to the protocol.
  } as RoomSummary;
}

export function roomMessage(
  roomSlug: string,
  id: string,
  author: UserSummary,
  body: string,
  extra: Partial<RoomMessage> = {},
): RoomMessage {
  return { room: roomSlug, id, author: { id: author.id, nick: author.nick, member: author.member }, body, at: 1_768_089_600_000, mentions: [], ...extra };
}

export function directMessage(id: string, from: UserSummary, to: UserSummary, body: string): DirectMessage {
  return {
    id,
    from: { id: from.id, nick: from.nick, member: from.member },
    to: { id: to.id, nick: to.nick, member: to.member },
    body,
    at: 1_768_089_600_000,
  };
}

export function sanctionNotice(id: string, kind: SanctionKind, extra: Partial<SanctionNotice> = {}): SanctionNotice {
  return {
    id,
    kind,
    reason: 'Insultes répétées dans #paris (règle 2 : respect)',
    address: false,
    appeal: 'Pour contester, écrivez à moderation@example.org en citant le numéro de la sanction.',
    ...extra,
  };
}

/** An `error` event with stand-in texts (`fr:<code>`, `en:<code>`). */
export function errorEvent(req: number | undefined, code: ErrorCode, extra: Partial<ErrorEventFields> = {}): Event {
  return { type: 'error', req, code, message_fr: `fr:${code}`, message_en: `en:${code}`, ...extra };
}

type ErrorEventFields = Omit<Extract<Event, { type: 'error' }>, 'type'>;

// The chat as the client knows it — directory, joined rooms, conversations,
// messages waiting to be sent — and the reducers that apply server events to
// it. Everything here is plain data and pure functions that mutate the state
// they are given: the app wraps the state in Svelte's `$state`, the tests use
// plain objects.

import { compareIds, maxId } from './ids';
import type { Author } from './protocol/Author';
import type { Band } from './protocol/Band';
import type { DirectMessage } from './protocol/DirectMessage';
import type { Event } from './protocol/Event';
import type { Limits } from './protocol/Limits';
import type { MessageId } from './protocol/MessageId';
import type { ReplyRef } from './protocol/ReplyRef';
import type { RoomMember } from './protocol/RoomMember';
import type { RoomMessage } from './protocol/RoomMessage';
import type { RoomRole } from './protocol/RoomRole';
import type { RoomSummary } from './protocol/RoomSummary';
import type { SanctionNotice } from './protocol/SanctionNotice';
import type { UserId } from './protocol/UserId';
import type { UserSummary } from './protocol/UserSummary';

/** How long a typing indicator stays without a new signal. */
export const TYPING_SHOWN_MS = 6000;
/** Most messages kept per room or conversation (older ones are dropped). */
export const MAX_KEPT_MESSAGES = 500;

/** A server text in both languages, shown in the reader's. */
export interface ServerText {
  fr: string;
  en: string;
}

/**
 * A message typed here that the server has not confirmed yet. `queued`:
 * waiting for the link; `sending`: sent, no answer yet; `unsure`: sent, then
 * the link dropped before the answer; `sent`: accepted (its event follows);
 * `failed`: refused or given up, kept until retried or discarded.
 */
export interface Outgoing {
  localId: number;
  body: string;
  reply?: ReplyRef;
  createdAt: number;
  status: 'queued' | 'sending' | 'unsure' | 'sent' | 'failed';
  id?: MessageId;
  error?: ServerText | 'disconnected';
}

/** Someone typing, until a time. */
export interface Typist {
  id: UserId;
  nick: string;
  until: number;
}

/** A room I am in (or was in before the link dropped). */
export interface JoinedRoom {
  summary: RoomSummary;
  role: RoomRole;
  members: RoomMember[];
  messages: RoomMessage[];
  outbox: Outgoing[];
  typing: Typist[];
  unread: number;
  /** An unread message names me. */
  mentioned: boolean;
  /** `joined`: live; `rejoining`: after a reconnection, until `joined`; `gone`: it no longer exists. */
  presence: 'joined' | 'rejoining' | 'gone';
  /** The last message id seen before the link dropped. */
  resumeAfter?: MessageId;
}

/** A private conversation, keyed by the other person's session id. */
export interface Conversation {
  peer: Author;
  profile?: UserSummary;
  messages: DirectMessage[];
  outbox: Outgoing[];
  unread: number;
  /** They read my messages up to this one. */
  seenUpTo?: MessageId;
  /** I told them I read up to this one. */
  readUpTo?: MessageId;
  typingUntil: number;
  /** The other person is still connected (false after `user_offline` or `user_not_found`). */
  online: boolean;
  /** They accept no private messages (`dm_refused`). */
  refused: boolean;
  lastActivity: number;
}

/** What the person is looking at; unread counters do not grow there. */
export type Focus = { kind: 'room'; slug: string } | { kind: 'dm'; peer: UserId } | null;

export interface ChatState {
  me: UserSummary | null;
  /** Every session id this tab has had: messages from any of them are mine. */
  myIds: UserId[];
  band: Band | null;
  limits: Limits | null;
  directory: RoomSummary[];
  rooms: Record<string, JoinedRoom>;
  /** Joined rooms in the order they were joined. */
  roomOrder: string[];
  conversations: Record<UserId, Conversation>;
  focus: Focus;
  /** The page is visible and the focused panel shown. */
  attentive: boolean;
  /**
   * A moderator's mute holds until then (ms since the epoch), as its
   * statement or the last `muted` refusal said; `null`: not muted, as far
   * as the client knows (a lifted mute is not announced: the server decides,
   * and a message it accepts clears this).
   */
  mutedUntil: number | null;
  /** That mute is someone else's, binding the address I connect from. */
  mutedByAddress: boolean;
  nextLocalId: number;
}

export function emptyChat(): ChatState {
  return {
    me: null,
    myIds: [],
    band: null,
    limits: null,
    directory: [],
    rooms: {},
    roomOrder: [],
    conversations: {},
    focus: null,
    attentive: true,
    mutedUntil: null,
    mutedByAddress: false,
    nextLocalId: 1,
  };
}

/** Something the app should tell the person about, beyond redrawing. */
export type Notice =
  | { kind: 'mention'; message: RoomMessage; joined: boolean }
  | { kind: 'dm'; message: DirectMessage }
  | { kind: 'room_gone'; slug: string }
  /** A moderator's statement of reasons, for me. */
  | { kind: 'sanctioned'; notice: SanctionNotice }
  /** A message between staff (only staff receive them). */
  | { kind: 'wallops'; from: Author; text: string }
  /**
   * An operator put someone out of a room (`kicked`): me (`mine`; the room
   * has left the state), or someone else (they left its member list).
   */
  | { kind: 'kicked'; room: string; name: string; user: Author; by: Author; reason: string; mine: boolean }
  /** Someone was invited into a room: me (`mine`), or someone else, into a room I am in. */
  | { kind: 'invited'; room: string; name: string; user: Author; by: Author; mine: boolean };

export function isMine(state: ChatState, id: UserId): boolean {
  return state.myIds.includes(id);
}

function isWatching(state: ChatState, focus: Focus): boolean {
  if (!state.attentive || state.focus === null || focus === null) return false;
  if (state.focus.kind === 'room' && focus.kind === 'room') return state.focus.slug === focus.slug;
  if (state.focus.kind === 'dm' && focus.kind === 'dm') return state.focus.peer === focus.peer;
  return false;
}

/** Inserts messages into a list ordered by id, skipping ids already there. */
function mergeById<M extends { id: MessageId }>(list: M[], incoming: M[]): void {
  for (const message of incoming) {
    const last = list[list.length - 1];
    if (last === undefined || compareIds(last.id, message.id) < 0) {
      list.push(message);
      continue;
    }
    if (list.some((known) => known.id === message.id)) continue;
    const at = list.findIndex((known) => compareIds(known.id, message.id) > 0);
    list.splice(at, 0, message);
  }
  if (list.length > MAX_KEPT_MESSAGES) list.splice(0, list.length - MAX_KEPT_MESSAGES);
}

/** A room's display name, from the rooms I am in or the directory (its slug when neither knows it). */
export function roomName(state: ChatState, slug: string): string {
  return state.rooms[slug]?.summary.name ?? state.directory.find((room) => room.slug === slug)?.name ?? slug;
}

/**
 * Every copy of someone's summary the chat holds: in the member lists of
 * the rooms I am in, and in our conversation.
 */
function summariesOf(state: ChatState, id: UserId): UserSummary[] {
  const copies: UserSummary[] = [];
  for (const room of Object.values(state.rooms)) {
    for (const member of room.members) {
      if (member.user.id === id) copies.push(member.user);
    }
  }
  const profile = state.conversations[id]?.profile;
  if (profile) copies.push(profile);
  return copies;
}

/** Sets someone's away message on a summary, or clears it (`undefined` or blank: they are back). */
export function setAway(user: UserSummary, message: string | undefined): void {
  if (message === undefined || message.trim() === '') delete user.away;
  else user.away = message;
}

function upsertRoom(list: RoomSummary[], room: RoomSummary): void {
  const at = list.findIndex((known) => known.slug === room.slug);
  if (at >= 0) list[at] = room;
  else list.push(room);
}

function conversationWith(state: ChatState, peer: Author, now: number): Conversation {
  let conversation = state.conversations[peer.id];
  if (conversation === undefined) {
    conversation = {
      peer: { id: peer.id, nick: peer.nick, member: peer.member },
      messages: [],
      outbox: [],
      unread: 0,
      typingUntil: 0,
      online: true,
      refused: false,
      lastActivity: now,
    };
    state.conversations[peer.id] = conversation;
    // Read back: under Svelte's `$state`, the stored object is a reactive copy.
    conversation = state.conversations[peer.id];
  }
  return conversation;
}

/** Opens (or returns) the conversation with someone, e.g. from a profile card. */
export function openConversation(state: ChatState, user: UserSummary, now: number): Conversation {
  const conversation = conversationWith(state, { id: user.id, nick: user.nick, member: user.member }, now);
  conversation.profile = user;
  return conversation;
}

/**
 * After a rejoin, a message of mine whose answer the drop swallowed is
 * either in the new scrollback (it arrived: drop it from the outbox) or not
 * (queue it again). Only messages newer than the last one seen before the
 * drop are candidates, and each matches at most once.
 */
function settleUnsure(state: ChatState, room: JoinedRoom): void {
  const candidates = room.messages.filter(
    (message) =>
      isMine(state, message.author.id) &&
      (room.resumeAfter === undefined || compareIds(message.id, room.resumeAfter) > 0),
  );
  room.outbox = room.outbox.filter((outgoing) => {
    if (outgoing.status !== 'unsure') return true;
    const at = candidates.findIndex((message) => message.body === outgoing.body);
    if (at < 0) return true;
    candidates.splice(at, 1);
    return false;
  });
  for (const outgoing of room.outbox) {
    if (outgoing.status === 'unsure') outgoing.status = 'queued';
  }
  room.resumeAfter = undefined;
}

/** Applies one server event. Returns what deserves a notification, if anything. */
export function applyEvent(state: ChatState, event: Event, now: number): Notice[] {
  switch (event.type) {
    case 'welcome':
      state.limits = event.limits;
      return [];
    case 'entered':
      state.me = event.you;
      if (!state.myIds.includes(event.you.id)) state.myIds.push(event.you.id);
      state.band = event.band;
      state.directory = event.rooms;
      return [];
    case 'registered':
      state.me = event.you;
      return [];
    case 'account_changed':
      for (const user of summariesOf(state, event.user.id)) user.member = event.member;
      return [];
    case 'away': {
      // Sent only to those sharing a room with them: a room's member list
      // knows their profile, which a conversation opened from a message lacks.
      const conversation = state.conversations[event.user.id];
      if (conversation !== undefined && conversation.profile === undefined) {
        const known = summariesOf(state, event.user.id)[0];
        if (known) conversation.profile = { ...known };
      }
      for (const user of summariesOf(state, event.user.id)) setAway(user, event.message);
      return [];
    }
    case 'room_list':
      state.directory = event.rooms;
      return [];
    case 'room_counts':
      for (const count of event.counts) {
        const listed = state.directory.find((room) => room.slug === count.room);
        if (listed) listed.members = count.members;
        const joined = state.rooms[count.room];
        if (joined) joined.summary.members = count.members;
      }
      return [];
    case 'room_added':
    case 'room_updated': {
      upsertRoom(state.directory, event.room);
      const joined = state.rooms[event.room.slug];
      if (joined) joined.summary = event.room;
      return [];
    }
    case 'room_removed': {
      state.directory = state.directory.filter((room) => room.slug !== event.room);
      const joined = state.rooms[event.room];
      if (joined && joined.presence !== 'joined') {
        joined.presence = 'gone';
        return [{ kind: 'room_gone', slug: event.room }];
      }
      return [];
    }
    case 'joined': {
      const slug = event.room.slug;
      let room = state.rooms[slug];
      if (room === undefined) {
        room = {
          summary: event.room,
          role: event.role,
          members: event.members,
          messages: [],
          outbox: [],
          typing: [],
          unread: 0,
          mentioned: false,
          presence: 'joined',
        };
        state.rooms[slug] = room;
        room = state.rooms[slug];
      } else {
        room.summary = event.room;
        room.role = event.role;
        room.members = event.members;
        room.typing = [];
        room.presence = 'joined';
      }
      mergeById(room.messages, event.history);
      settleUnsure(state, room);
      if (!state.roomOrder.includes(slug)) state.roomOrder.push(slug);
      upsertRoom(state.directory, event.room);
      return [];
    }
    case 'left':
      forgetRoom(state, event.room);
      return [];
    case 'member_joined': {
      const room = state.rooms[event.room];
      if (room) {
        room.members = room.members.filter((member) => member.user.id !== event.member.user.id);
        room.members.push(event.member);
        // The member list is complete: the count shows at once, not at the next `room_counts`.
        room.summary.members = room.members.length;
      }
      return [];
    }
    case 'member_left': {
      const room = state.rooms[event.room];
      if (room) removeMember(room, event.user);
      return [];
    }
    case 'member_quit':
      // Gone from the site: from every room we shared.
      for (const room of Object.values(state.rooms)) {
        if (room.members.some((member) => member.user.id === event.user)) removeMember(room, event.user);
      }
      return [];
    case 'kicked': {
      const room = state.rooms[event.room];
      if (room === undefined) return [];
      const mine = isMine(state, event.user.id);
      const notice: Notice = {
        kind: 'kicked',
        room: event.room,
        name: room.summary.name,
        user: event.user,
        by: event.by,
        reason: event.reason,
        mine,
      };
      // Put out: no `left` follows. Someone else: `member_left` follows.
      if (mine) forgetRoom(state, event.room);
      else removeMember(room, event.user.id);
      return [notice];
    }
    case 'invited':
      return [
        {
          kind: 'invited',
          room: event.room,
          name: roomName(state, event.room),
          user: event.user,
          by: event.by,
          mine: isMine(state, event.user.id),
        },
      ];
    case 'member_role': {
      const room = state.rooms[event.room];
      if (room) {
        const member = room.members.find((known) => known.user.id === event.user);
        if (member) member.role = event.role;
        if (isMine(state, event.user)) room.role = event.role;
      }
      return [];
    }
    case 'message': {
      const { type: _type, ...message } = event;
      const room = state.rooms[message.room];
      if (room === undefined) return [];
      mergeById(room.messages, [message]);
      room.typing = room.typing.filter((typist) => typist.id !== message.author.id);
      room.outbox = room.outbox.filter((outgoing) => outgoing.id !== message.id);
      if (isMine(state, message.author.id)) return [];
      const namesMe = message.mentions.some((id) => isMine(state, id));
      if (!isWatching(state, { kind: 'room', slug: message.room })) {
        room.unread += 1;
        if (namesMe) room.mentioned = true;
      }
      return namesMe ? [{ kind: 'mention', message, joined: true }] : [];
    }
    case 'mention':
      if (isMine(state, event.message.author.id)) return [];
      return [{ kind: 'mention', message: event.message, joined: false }];
    case 'dm': {
      const { type: _type, ...message } = event;
      const mine = isMine(state, message.from.id);
      const peer = mine ? message.to : message.from;
      const conversation = conversationWith(state, peer, now);
      conversation.peer.nick = peer.nick;
      mergeById(conversation.messages, [message]);
      conversation.outbox = conversation.outbox.filter((outgoing) => outgoing.id !== message.id);
      conversation.lastActivity = now;
      if (mine) return [];
      conversation.online = true;
      conversation.typingUntil = 0;
      if (!isWatching(state, { kind: 'dm', peer: peer.id })) conversation.unread += 1;
      return [{ kind: 'dm', message }];
    }
    case 'room_typing': {
      const room = state.rooms[event.room];
      if (room === undefined || isMine(state, event.user.id)) return [];
      room.typing = room.typing.filter((typist) => typist.id !== event.user.id);
      room.typing.push({ id: event.user.id, nick: event.user.nick, until: now + TYPING_SHOWN_MS });
      return [];
    }
    case 'dm_typing': {
      const conversation = state.conversations[event.user.id];
      if (conversation) conversation.typingUntil = now + TYPING_SHOWN_MS;
      return [];
    }
    case 'dm_seen': {
      const conversation = state.conversations[event.by];
      if (conversation) conversation.seenUpTo = maxId(conversation.seenUpTo, event.up_to);
      return [];
    }
    case 'user_online': {
      const conversation = state.conversations[event.user.id];
      if (conversation) {
        conversation.online = true;
        conversation.profile = event.user;
      }
      return [];
    }
    case 'user_offline': {
      const conversation = state.conversations[event.user];
      if (conversation) {
        conversation.online = false;
        conversation.typingUntil = 0;
      }
      for (const room of Object.values(state.rooms)) {
        room.typing = room.typing.filter((typist) => typist.id !== event.user);
      }
      return [];
    }
    case 'sanctioned': {
      const { type: _type, ...notice } = event;
      if (notice.kind === 'mute' && notice.until !== undefined) {
        state.mutedUntil = notice.until;
        state.mutedByAddress = notice.address;
      }
      return [{ kind: 'sanctioned', notice }];
    }
    case 'wallops':
      return [{ kind: 'wallops', from: event.from, text: event.text }];
    case 'error':
      // A refused message or typing signal says how long the mute still holds.
      if ((event.code === 'muted' || event.code === 'address_muted') && event.retry_after_ms !== undefined) {
        state.mutedUntil = now + event.retry_after_ms;
        state.mutedByAddress = event.code === 'address_muted';
      }
      return [];
    case 'sent':
      // A message accepted: whatever mute the client knew of was lifted.
      state.mutedUntil = null;
      return [];
    default:
      return [];
  }
}

/**
 * A message of mine the server confirmed: out of the outbox if its event
 * already came (a room message reaches the room before its `sent`, which
 * waits until it is stored); otherwise its event takes it out.
 */
export function confirmSent(state: ChatState, outgoing: Outgoing, id: MessageId): void {
  outgoing.status = 'sent';
  outgoing.id = id;
  for (const room of Object.values(state.rooms)) {
    if (room.outbox.includes(outgoing) && room.messages.some((message) => message.id === id)) {
      room.outbox = room.outbox.filter((other) => other !== outgoing);
    }
  }
  for (const conversation of Object.values(state.conversations)) {
    if (conversation.outbox.includes(outgoing) && conversation.messages.some((message) => message.id === id)) {
      conversation.outbox = conversation.outbox.filter((other) => other !== outgoing);
    }
  }
}

/** Forgets a mute whose time is up; true when it did. */
export function expireMute(state: ChatState, now: number): boolean {
  if (state.mutedUntil === null || state.mutedUntil > now) return false;
  state.mutedUntil = null;
  return true;
}

/** A moderator's mute holds now, as far as the client knows. */
export function isMuted(state: ChatState, now: number): boolean {
  return state.mutedUntil !== null && state.mutedUntil > now;
}

/** Someone left a room (or the site): out of its members, its count and who is typing. */
function removeMember(room: JoinedRoom, user: UserId): void {
  room.members = room.members.filter((member) => member.user.id !== user);
  room.summary.members = room.members.length;
  room.typing = room.typing.filter((typist) => typist.id !== user);
}

/** Forgets a room I left. */
export function forgetRoom(state: ChatState, slug: string): void {
  delete state.rooms[slug];
  state.roomOrder = state.roomOrder.filter((known) => known !== slug);
  if (state.focus?.kind === 'room' && state.focus.slug === slug) state.focus = null;
}

/** Clears what is unread where the person now looks. */
export function markRead(state: ChatState, focus: Focus): void {
  if (focus?.kind === 'room') {
    const room = state.rooms[focus.slug];
    if (room) {
      room.unread = 0;
      room.mentioned = false;
    }
  } else if (focus?.kind === 'dm') {
    const conversation = state.conversations[focus.peer];
    if (conversation) conversation.unread = 0;
  }
}

/** Drops typing indicators whose time is up; true when something changed. */
export function expireTyping(state: ChatState, now: number): boolean {
  let changed = false;
  for (const room of Object.values(state.rooms)) {
    if (room.typing.some((typist) => typist.until <= now)) {
      room.typing = room.typing.filter((typist) => typist.until > now);
      changed = true;
    }
  }
  for (const conversation of Object.values(state.conversations)) {
    if (conversation.typingUntil !== 0 && conversation.typingUntil <= now) {
      conversation.typingUntil = 0;
      changed = true;
    }
  }
  return changed;
}

/** The link dropped: rooms wait to be rejoined, unanswered sends become unsure. */
export function linkLost(state: ChatState): void {
  for (const room of Object.values(state.rooms)) {
    if (room.presence === 'joined') room.presence = 'rejoining';
    room.resumeAfter = room.messages[room.messages.length - 1]?.id;
    room.typing = [];
    for (const outgoing of room.outbox) {
      if (outgoing.status === 'sending') outgoing.status = 'unsure';
    }
  }
  for (const conversation of Object.values(state.conversations)) {
    conversation.typingUntil = 0;
    for (const outgoing of conversation.outbox) {
      // Private messages leave no history to check against: a message
      // whose answer was lost is shown as failed and can be sent again.
      if (outgoing.status === 'sending') {
        outgoing.status = 'failed';
        outgoing.error = 'disconnected';
      }
    }
  }
}

/** Adds a message to a room's or a conversation's outbox, queued. */
export function enqueue(
  state: ChatState,
  outbox: Outgoing[],
  body: string,
  now: number,
  reply?: ReplyRef,
): Outgoing {
  const outgoing: Outgoing = {
    localId: state.nextLocalId,
    body,
    createdAt: now,
    status: 'queued',
    ...(reply ? { reply } : {}),
  };
  state.nextLocalId += 1;
  outbox.push(outgoing);
  return outbox[outbox.length - 1];
}

/** Every outbox, with where its messages go. */
export function outboxes(
  state: ChatState,
): Array<{ target: { room: string } | { peer: UserId }; outbox: Outgoing[] }> {
  return [
    ...Object.entries(state.rooms).map(([room, joined]) => ({ target: { room }, outbox: joined.outbox })),
    ...Object.entries(state.conversations).map(([peer, conversation]) => ({
      target: { peer },
      outbox: conversation.outbox,
    })),
  ];
}

/** Unread messages everywhere, for the page title and the navigation badges. */
export function unreadTotals(state: ChatState): { rooms: number; dms: number } {
  let rooms = 0;
  let dms = 0;
  for (const room of Object.values(state.rooms)) rooms += room.unread;
  for (const conversation of Object.values(state.conversations)) dms += conversation.unread;
  return { rooms, dms };
}

// The session: one tab's life in the chat. It owns the link, the chat state
// and the settings, turns what the person does into commands, and after a
// reconnection enters again with the same profile, rejoins the rooms and
// sends what was typed meanwhile. Components read its state and call its
// methods; they never talk to the link themselves.

import {
  applyEvent,
  confirmSent,
  emptyChat,
  enqueue,
  expireMute,
  expireTyping,
  forgetRoom,
  isMuted,
  linkLost,
  markRead,
  openConversation,
  type ChatState,
  type Focus,
  type Notice,
  type Outgoing,
  type ServerText,
} from './chat';
import { Connection, type ConnectionOptions, type LinkState } from './connection';
import { replaceShortcodes } from './emoji';
import { excerpt, formatUntil, isBlank } from './format';
import { compareIds } from './ids';
import { i18n, inBothLanguages, serverText, t } from './i18n/index.svelte';
import type { Author } from './protocol/Author';
import type { Command } from './protocol/Command';
import type { ErrorCode } from './protocol/ErrorCode';
import type { Event } from './protocol/Event';
import type { RoomMessage } from './protocol/RoomMessage';
import type { SanctionNotice } from './protocol/SanctionNotice';
import type { UserId } from './protocol/UserId';
import type { UserQuery } from './protocol/UserQuery';
import type { UserSummary } from './protocol/UserSummary';
import { pathFor, roomFromPath } from './route';
import {
  enteredInThisTab,
  loadProfile,
  loadSettings,
  saveProfile,
  saveSettings,
  setEnteredInThisTab,
  type Profile,
  type Settings,
} from './storage';

/** The protocol version this client speaks. */
export const PROTOCOL_VERSION = 1;
/** Send a typing signal at most this often per room or person. */
export const TYPING_EVERY_MS = 3000;
/** The server relays typing only in rooms this small. */
export const TYPING_ROOM_LIMIT = 50;
/** After a reconnection the old session may still hold the nickname: retry this often… */
const NICK_RETRY_MS = 2000;
/** …this many times, then ask the person. */
const NICK_RETRIES = 15;
/** How long a notice stays on screen. */
const TOAST_MS = 8000;

export type EntryField = 'nickname' | 'age' | 'gender' | 'department' | 'password' | 'form';

/**
 * How a member proves who they are on entry. Kept in memory only (never in
 * storage), so that a reconnection can enter again; a reload asks again.
 */
export type Secret = { kind: 'password'; value: string } | { kind: 'recovery_code'; value: string };

/** What the entry form sends: a guest's profile, or a member's secret. */
export interface EntryRequest {
  nickname: string;
  /** A guest's profile (a member's stored one is used instead). */
  profile: Profile | null;
  secret: Secret | null;
}

export interface EntryError {
  field: EntryField;
  text: ServerText;
  /** A moderator's ban keeps me out: why, and until when. */
  ban?: BanFacts;
}

/** What the entry form says of a ban. */
export interface BanFacts {
  /** The moderator's reason, as written. */
  reason: string;
  /** When it ends (ms since the epoch); `null`: for good. */
  until: number | null;
}

/** What the middle column (or the phone's main panel) shows. */
export type View =
  | { kind: 'home' }
  | { kind: 'room'; slug: string }
  | { kind: 'dm'; peer: UserId }
  | { kind: 'settings' };

/** The phone shows one panel at a time. */
export type Panel = 'main' | 'people' | 'messages';

export interface Toast {
  id: number;
  /** A new notice with the same key replaces the old one. */
  key: string;
  text: string;
  action?: { label: string; run: () => void };
}

/** The profile card: who, and where it was opened from. */
export interface ProfileCard {
  author: Author;
  user: UserSummary | null;
  /** Looked up and not found: they left. */
  gone: boolean;
}

const ENTRY_FIELDS: Partial<Record<ErrorCode, EntryField>> = {
  nickname_taken: 'nickname',
  nickname_invalid: 'nickname',
  nickname_reserved: 'nickname',
  nickname_offensive: 'nickname',
  age_too_young: 'age',
  age_invalid: 'age',
  department_unknown: 'department',
  password_required: 'password',
  wrong_password: 'password',
  wrong_recovery_code: 'password',
  account_not_found: 'password',
  too_many_attempts: 'password',
};

/** The field an entry refusal is about (`form` for the rest). */
export function entryFieldFor(code: ErrorCode): EntryField {
  return ENTRY_FIELDS[code] ?? 'form';
}

function textOf(event: { message_fr: string; message_en: string }): ServerText {
  return { fr: event.message_fr, en: event.message_en };
}

type ErrorReply = Extract<Event, { type: 'error' }>;

/**
 * An `enter` refused with `banned` (the reason is its `detail`) or
 * `address_banned` (someone else's ban on this address: no reason given);
 * the end is `retry_after_ms` away.
 */
function banOfRefusal(error: ErrorReply, now: number): BanFacts {
  return { reason: error.detail ?? '', until: error.retry_after_ms === undefined ? null : now + error.retry_after_ms };
}

/**
 * "Muted until 15:40", in both languages: a refused message's error, and
 * the composer's note; `byAddress`: the mute binds the address I connect
 * from, not me.
 */
export function mutedText(until: number, now: number, byAddress = false): ServerText {
  const key = byAddress ? 'sanction.address_muted_until' : 'sanction.muted_until';
  return inBothLanguages(key, (locale) => ({ time: formatUntil(until, now, locale) }));
}

function socketUrl(): string {
  if (typeof location === 'undefined') return 'ws://localhost/ws';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws`;
}

/** How a session reaches the server (tests pass a fake socket). */
export interface SessionOptions {
  url?: string;
  createSocket?: ConnectionOptions['createSocket'];
  /** The address the page was opened at (default: the page's own). */
  path?: string;
}

export class Session {
  chat: ChatState = $state(emptyChat());
  link: LinkState = $state({ kind: 'stopped' });
  settings: Settings = $state(loadSettings());
  /** `entry` until the server accepts us; then `chat`, even while reconnecting. */
  phase: 'entry' | 'chat' = $state('entry');
  /** An `enter` is on its way (or will be, as soon as the link is up). */
  entering = $state(false);
  entryError: EntryError | null = $state(null);
  /** After a reconnection, the nickname is still held by the old session. */
  waitingForNickname = $state(false);
  /** What the server said when it closed the link (`closing`). */
  closing: ServerText | null = $state(null);
  /** Moderators' statements of reasons not dismissed yet, oldest first (Statement.svelte shows the first). */
  statements: SanctionNotice[] = $state([]);
  /**
   * A moderator put me out of the chat (`closing` `kicked`): the link stays
   * closed until I choose to come back (`comeBack`).
   */
  kicked = $state(false);
  toasts: Toast[] = $state([]);
  view: View = $state({ kind: 'home' });
  panel: Panel = $state('main');
  isPhone = $state(false);
  profileCard: ProfileCard | null = $state(null);
  /** The room the people list is filtered on ('' for all), set from a room's header. */
  peopleRoom = $state('');
  /** Unread messages of the room just opened, before opening it cleared them. */
  openedWithUnread = 0;
  /** Grows when someone enters, leaves or becomes a member: the people list refreshes. */
  presenceVersion = $state(0);
  /** What was typed but not sent, per room (`room:slug`) or conversation (`dm:id`). */
  drafts: Record<string, string> = $state({});
  /** The last profile used on this device. */
  profile: Profile | null = $state(loadProfile());
  /** The nickname to enter with (the profile's, or a member's without one). */
  private nickname: string = this.profile?.nickname ?? '';
  /** A member's password or recovery code, in memory only. */
  private secret: Secret | null = null;
  /** Entered with a recovery code: a new password may be set without the old. */
  recovered = $state(false);
  /**
   * The room the address named when the page opened (see route.ts), joined
   * once entered; until then the chat shows that room opening rather than
   * the directory.
   */
  linkedRoom: string | null = $state(null);

  private readonly connection: Connection;
  /** The person asked to enter (or re-enter after a reload). */
  private wantEntry = false;
  /** Entered at least once in this tab: a new link enters again by itself. */
  private hasEntered = false;
  /** This page is a reload of a tab that was in the chat. */
  private resumed = false;
  private nickRetries = 0;
  private nickRetryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastTyping = new Map<string, number>();
  private toastId = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private slowModeTimers = new Set<ReturnType<typeof setTimeout>>();
  /** The last statement received: a `closing` `banned` takes the ban's reason and end from it. */
  private lastSanction: SanctionNotice | null = null;

  constructor(options: SessionOptions = {}) {
    this.connection = new Connection({
      url: options.url ?? socketUrl(),
      createSocket: options.createSocket,
      onEvent: (event) => this.receive(event),
      onState: (state) => this.linkChanged(state),
    });
    i18n.locale = this.settings.locale;
    this.linkedRoom = roomFromPath(options.path ?? (typeof location === 'undefined' ? '/' : location.pathname));
    if (this.profile !== null && enteredInThisTab()) {
      // A reload of a tab that was in the chat: straight back in, showing
      // the chat (and its "connecting" banner) rather than the entry form.
      this.wantEntry = true;
      this.entering = true;
      this.resumed = true;
      this.phase = 'chat';
    }
  }

  /** Connects (and reconnects whenever the link drops). */
  connect(): void {
    this.connection.start();
  }

  /** Connects, follows the page's visibility and size, and keeps typing indicators ticking. */
  start(): void {
    this.connect();
    this.ticker = setInterval(() => {
      const now = Date.now();
      expireTyping(this.chat, now);
      expireMute(this.chat, now);
    }, 1000);
    window.addEventListener('online', () => this.connection.reconnectNow());
    window.addEventListener('pagehide', () => this.pageHidden());
    window.addEventListener('pageshow', (event) => this.pageShown(event.persisted));
    document.addEventListener('visibilitychange', () => this.updateAttention());
    const phone = window.matchMedia('(max-width: 760px)');
    this.isPhone = phone.matches;
    phone.addEventListener('change', (change) => {
      this.isPhone = change.matches;
      this.updateAttention();
    });
  }

  get online(): boolean {
    return this.link.kind === 'open';
  }

  /** Entered and live: commands can go out. */
  get live(): boolean {
    return this.online && this.chat.me !== null && !this.entering;
  }

  // ---- entry --------------------------------------------------------------

  /** The entry form was sent by a guest. */
  enter(profile: Profile): void {
    this.enterWith({ nickname: profile.nickname, profile, secret: null });
  }

  /** The entry form was sent: a guest's profile, or a member's secret. */
  enterWith(request: EntryRequest): void {
    this.nickname = request.nickname;
    if (request.profile !== null) this.profile = request.profile;
    this.secret = request.secret;
    this.entryError = null;
    this.requestEntry();
  }

  /** Enters now if the link is up, else as soon as it is (the next `welcome`). */
  private requestEntry(): void {
    this.wantEntry = true;
    this.entering = true;
    if (this.online) {
      this.sendEnter();
    } else {
      // After a kick the link was stopped; otherwise skip the back-off.
      this.connection.start();
      this.connection.reconnectNow();
    }
  }

  /** After a kick, by the person's own choice: enter again, rejoin the rooms, send what waited. */
  comeBack(): void {
    if (!this.kicked) return;
    this.kicked = false;
    this.requestEntry();
  }

  private sendEnter(): void {
    const profile = this.profile;
    const secret = this.secret;
    if (profile === null && secret === null) return;
    this.entering = true;
    const command: Command = {
      type: 'enter',
      protocol: PROTOCOL_VERSION,
      nickname: secret === null && profile !== null ? profile.nickname : this.nickname,
    };
    if (profile !== null && secret === null) {
      command.age = profile.age;
      command.gender = profile.gender;
      command.department = profile.department;
    }
    if (secret?.kind === 'password') command.password = secret.value;
    if (secret?.kind === 'recovery_code') command.recovery_code = secret.value;
    this.connection
      .request(command)
      .then(
        (reply) => this.entryAnswered(reply),
        () => {
          // The link dropped: the next `welcome` sends `enter` again.
        },
      );
  }

  private entryAnswered(reply: Event): void {
    if (reply.type === 'entered') {
      const reconnected = this.hasEntered;
      this.entering = false;
      this.waitingForNickname = false;
      this.nickRetries = 0;
      this.entryError = null;
      this.closing = null;
      this.phase = 'chat';
      this.hasEntered = true;
      const you = reply.you;
      if (this.secret?.kind === 'recovery_code') {
        // The code is spent: a reconnection could not use it again.
        this.recovered = true;
        this.secret = null;
      }
      if (you.member) {
        // Remember the profile the server used: a member's stored one.
        this.profile = { nickname: you.nick, age: you.age, gender: you.gender, department: you.department };
        this.nickname = you.nick;
      }
      if (this.profile) saveProfile(this.profile);
      setEnteredInThisTab(true);
      this.connection.markHealthy();
      this.afterEntry(reconnected);
      return;
    }
    if (reply.type !== 'error') return;
    if (reply.code === 'already_entered') return;
    if (reply.code === 'nickname_taken' && (this.hasEntered || this.resumed) && this.nickRetries < NICK_RETRIES) {
      // Most likely our own previous session (before the drop, or before
      // the reload), not yet closed by the server.
      this.nickRetries += 1;
      this.waitingForNickname = true;
      this.nickRetryTimer = setTimeout(() => {
        this.nickRetryTimer = null;
        if (this.online && this.wantEntry) this.sendEnter();
      }, NICK_RETRY_MS);
      return;
    }
    this.entering = false;
    this.waitingForNickname = false;
    this.wantEntry = false;
    this.nickRetries = 0;
    this.phase = 'entry';
    this.secret = null;
    this.entryError = {
      field: entryFieldFor(reply.code),
      text: textOf(reply),
      ...(reply.code === 'banned' || reply.code === 'address_banned' ? { ban: banOfRefusal(reply, Date.now()) } : {}),
    };
  }

  /** Entered (again): restore everything the person had. */
  private afterEntry(reconnected: boolean): void {
    this.connection.request({ type: 'watch_presence', on: true }).catch(() => {});
    // The directory's live counts are on screen (or one tap away) all the time.
    this.connection.request({ type: 'watch_directory', on: true }).catch(() => {});
    if (!this.settings.acceptDms) {
      this.connection.request({ type: 'set_dm_privacy', accept: 'nobody' }).catch(() => {});
    }
    for (const slug of [...this.chat.roomOrder]) {
      const room = this.chat.rooms[slug];
      if (room === undefined || room.presence === 'joined') continue;
      if (room.presence === 'gone') continue;
      this.connection.request({ type: 'join', room: slug }).then(
        (reply) => {
          if (reply.type === 'joined') this.flush();
          else if (reply.type === 'error') this.roomLost(slug, textOf(reply));
        },
        () => {},
      );
    }
    if (reconnected) this.refreshConversations();
    this.flush();
    const linked = this.linkedRoom;
    if (linked !== null) {
      void this.join(linked).then((refusal) => {
        this.linkedRoom = null;
        if (refusal !== null) this.toast(`room:${linked}`, serverText(refusal));
      });
    }
  }

  /** A room could not be rejoined (it vanished, or is full): say so in it. */
  private roomLost(slug: string, why: ServerText): void {
    const room = this.chat.rooms[slug];
    if (room === undefined) return;
    room.presence = 'gone';
    for (const outgoing of room.outbox) {
      if (outgoing.status !== 'failed') {
        outgoing.status = 'failed';
        outgoing.error = why;
      }
    }
  }

  /** Whom of our conversation partners the drop left online. */
  private refreshConversations(): void {
    for (const conversation of Object.values(this.chat.conversations)) {
      this.connection
        .request({ type: 'users', search: conversation.peer.nick, page_size: 20 })
        .then(
          (reply) => {
            if (reply.type !== 'user_list') return;
            const found = reply.users.find((user) => user.id === conversation.peer.id);
            const live = this.chat.conversations[conversation.peer.id];
            if (live === undefined) return;
            live.online = found !== undefined;
            if (found) live.profile = found;
          },
          () => {},
        );
    }
  }

  // ---- member account -----------------------------------------------------

  /** Reserves my nickname; the recovery codes on success, else the refusal. */
  async register(password: string, email: string): Promise<{ codes: string[] } | { refusal: ServerText }> {
    if (!this.live) return { refusal: inBothLanguages('error.offline') };
    const command: Command = email.trim() === '' ? { type: 'register', password } : { type: 'register', password, email };
    try {
      const reply = await this.connection.request(command);
      if (reply.type === 'registered') {
        this.secret = { kind: 'password', value: password };
        this.recovered = false;
        return { codes: reply.recovery_codes };
      }
      return { refusal: reply.type === 'error' ? textOf(reply) : inBothLanguages('error.offline') };
    } catch {
      return { refusal: inBothLanguages('error.offline') };
    }
  }

  /** Changes my password (`current` may be empty right after a recovery). */
  async changePassword(current: string, next: string): Promise<ServerText | null> {
    if (!this.live) return inBothLanguages('error.offline');
    const command: Command =
      current === '' ? { type: 'change_password', new_password: next } : { type: 'change_password', current, new_password: next };
    try {
      const reply = await this.connection.request(command);
      if (reply.type === 'ok') {
        this.secret = { kind: 'password', value: next };
        this.recovered = false;
        return null;
      }
      return reply.type === 'error' ? textOf(reply) : null;
    } catch {
      return inBothLanguages('error.offline');
    }
  }

  /** Deletes my account for good; I stay as a guest. */
  async deleteAccount(password: string): Promise<ServerText | null> {
    if (!this.live) return inBothLanguages('error.offline');
    try {
      const reply = await this.connection.request({ type: 'delete_account', password });
      if (reply.type === 'ok') {
        this.secret = null;
        this.recovered = false;
        if (this.chat.me) this.chat.me.member = false;
        return null;
      }
      return reply.type === 'error' ? textOf(reply) : null;
    } catch {
      return inBothLanguages('error.offline');
    }
  }

  /** Leaves the chat on this device: back to the entry form. */
  quit(): void {
    this.secret = null;
    this.recovered = false;
    this.wantEntry = false;
    this.hasEntered = false;
    this.resumed = false;
    this.kicked = false;
    this.entering = false;
    this.waitingForNickname = false;
    if (this.nickRetryTimer) clearTimeout(this.nickRetryTimer);
    for (const timer of this.slowModeTimers) clearTimeout(timer);
    this.slowModeTimers.clear();
    setEnteredInThisTab(false);
    this.connection.stop();
    this.chat = emptyChat();
    this.view = { kind: 'home' };
    this.panel = 'main';
    this.profileCard = null;
    this.peopleRoom = '';
    this.closing = null;
    this.linkedRoom = null;
    this.phase = 'entry';
    this.writeAddress();
    this.connection.start();
  }

  // ---- the link -----------------------------------------------------------

  private linkChanged(state: LinkState): void {
    const wasOpen = this.link.kind === 'open';
    this.link = state;
    if (wasOpen && state.kind !== 'open') {
      linkLost(this.chat);
      this.chat.me = null;
      if (this.nickRetryTimer) {
        clearTimeout(this.nickRetryTimer);
        this.nickRetryTimer = null;
      }
    }
  }

  /**
   * The page is closing, or going into the browser's back/forward cache:
   * close the link now. The server then frees the nickname at once (a
   * reload or a return finds it free), and a cached page keeps no socket.
   */
  pageHidden(): void {
    this.connection.stop();
  }

  /** The page came back from the back/forward cache: connect and enter again. */
  pageShown(persisted: boolean): void {
    if (persisted) this.connection.start();
  }

  /** Try to reconnect now rather than at the end of the back-off. */
  reconnectNow(): void {
    this.connection.reconnectNow();
  }

  /**
   * A moderator put me out, right after the statement of reasons. Nothing
   * enters again by itself (a reconnection would only be refused, or undo
   * the kick): after a kick the person comes back when they choose; after
   * a ban the entry form says why and until when.
   */
  private putOut(closing: Extract<Event, { type: 'closing' }>): void {
    if (closing.reason === 'banned' || closing.reason === 'address_banned') {
      const ban = this.lastSanction?.kind === 'ban' ? this.lastSanction : null;
      this.quit();
      this.entryError = { field: 'form', text: textOf(closing), ban: { reason: ban?.reason ?? '', until: ban?.until ?? null } };
      return;
    }
    this.wantEntry = false;
    this.entering = false;
    this.waitingForNickname = false;
    this.kicked = true;
    this.connection.stop();
  }

  /** The person read a statement of reasons. */
  dismissStatement(id: SanctionNotice['id']): void {
    this.statements = this.statements.filter((notice) => notice.id !== id);
  }

  private receive(event: Event): void {
    const notices = applyEvent(this.chat, event, Date.now());
    switch (event.type) {
      case 'welcome':
        if (this.wantEntry) this.sendEnter();
        break;
      case 'closing':
        if (event.reason === 'kicked' || event.reason === 'banned' || event.reason === 'address_banned') {
          this.putOut(event);
        } else this.closing = textOf(event);
        break;
      case 'user_online':
      case 'user_offline':
      case 'account_changed':
        this.presenceVersion += 1;
        break;
      case 'room_removed':
        if (this.view.kind === 'room' && this.view.slug === event.room && !this.chat.rooms[event.room]) {
          this.show({ kind: 'home' });
        }
        break;
      default:
        break;
    }
    for (const notice of notices) this.notify(notice);
  }

  // ---- rooms --------------------------------------------------------------

  /** Joins a room (or just opens it if already in) and shows it. */
  async join(slug: string): Promise<ServerText | null> {
    const known = this.chat.rooms[slug];
    if (known !== undefined && known.presence !== 'gone') {
      this.show({ kind: 'room', slug });
      return null;
    }
    if (!this.live) return inBothLanguages('error.offline');
    try {
      const reply = await this.connection.request({ type: 'join', room: slug });
      if (reply.type === 'joined') {
        this.show({ kind: 'room', slug });
        return null;
      }
      if (reply.type === 'error') {
        if (reply.code === 'already_in_room') {
          this.show({ kind: 'room', slug });
          return null;
        }
        return textOf(reply);
      }
      return null;
    } catch {
      return inBothLanguages('error.offline');
    }
  }

  /** Leaves a room; offline, it is simply forgotten (the server dropped us anyway). */
  async leave(slug: string): Promise<void> {
    const room = this.chat.rooms[slug];
    if (room !== undefined && room.presence === 'joined' && this.live) {
      try {
        await this.connection.request({ type: 'leave', room: slug });
      } catch {
        // Dropped meanwhile: the server has forgotten us already.
      }
    }
    forgetRoom(this.chat, slug);
    if (this.peopleRoom === slug) this.peopleRoom = '';
    if (this.view.kind === 'room' && this.view.slug === slug) this.show({ kind: 'home' });
  }

  async createRoom(name: string, topic: string): Promise<ServerText | null> {
    if (!this.live) return inBothLanguages('error.offline');
    const command: Command = topic.trim() === '' ? { type: 'create_room', name } : { type: 'create_room', name, topic };
    try {
      const reply = await this.connection.request(command);
      if (reply.type === 'joined') {
        this.show({ kind: 'room', slug: reply.room.slug });
        return null;
      }
      return reply.type === 'error' ? textOf(reply) : null;
    } catch {
      return inBothLanguages('error.offline');
    }
  }

  /** Says something in a room (queued while offline). */
  say(slug: string, text: string, reply?: RoomMessage): void {
    const room = this.chat.rooms[slug];
    if (room === undefined || isBlank(text)) return;
    const body = replaceShortcodes(text.trim());
    const replyRef = reply ? { id: reply.id, nick: reply.author.nick, excerpt: excerpt(reply.body) } : undefined;
    enqueue(this.chat, room.outbox, body, Date.now(), replyRef);
    this.lastTyping.delete(`room:${slug}`);
    this.flush();
  }

  /** I am typing in a room: tell the others, at most every few seconds. */
  typingInRoom(slug: string): void {
    const room = this.chat.rooms[slug];
    if (room === undefined || room.presence !== 'joined' || room.summary.members > TYPING_ROOM_LIMIT) return;
    if (isMuted(this.chat, Date.now())) return;
    if (this.throttled(`room:${slug}`)) return;
    this.connection.send({ type: 'room_typing', room: slug });
  }

  // ---- private messages ---------------------------------------------------

  /** Opens the conversation with someone and shows it. */
  openDm(user: UserSummary): void {
    openConversation(this.chat, user, Date.now());
    this.profileCard = null;
    this.show({ kind: 'dm', peer: user.id });
  }

  sendDm(peer: UserId, text: string): void {
    const conversation = this.chat.conversations[peer];
    if (conversation === undefined || isBlank(text)) return;
    enqueue(this.chat, conversation.outbox, replaceShortcodes(text.trim()), Date.now());
    this.lastTyping.delete(`dm:${peer}`);
    this.flush();
  }

  typingToPeer(peer: UserId): void {
    const conversation = this.chat.conversations[peer];
    if (conversation === undefined || !conversation.online || conversation.refused) return;
    if (isMuted(this.chat, Date.now())) return;
    if (this.throttled(`dm:${peer}`)) return;
    this.connection.send({ type: 'dm_typing', to: peer });
  }

  /** Tells the other person I read the conversation, when there is something new. */
  markSeen(peer: UserId): void {
    const conversation = this.chat.conversations[peer];
    if (conversation === undefined || !this.live || !conversation.online) return;
    const last = conversation.messages.findLast((message) => message.from.id === peer);
    if (last === undefined) return;
    if (conversation.readUpTo !== undefined && compareIds(last.id, conversation.readUpTo) <= 0) return;
    if (this.connection.send({ type: 'dm_seen', with: peer, up_to: last.id })) {
      conversation.readUpTo = last.id;
    }
  }

  async setDmPrivacy(accept: boolean): Promise<void> {
    this.settings.acceptDms = accept;
    saveSettings(this.settings);
    if (this.live) {
      await this.connection
        .request({ type: 'set_dm_privacy', accept: accept ? 'everyone' : 'nobody' })
        .catch(() => {});
    }
  }

  // ---- outgoing messages --------------------------------------------------

  /** Sends every queued message whose room or conversation is ready. */
  flush(): void {
    if (!this.live) return;
    for (const [slug, room] of Object.entries(this.chat.rooms)) {
      if (room.presence !== 'joined') continue;
      for (const outgoing of room.outbox) {
        if (outgoing.status !== 'queued') continue;
        const command: Command = outgoing.reply
          ? { type: 'say', room: slug, body: outgoing.body, reply_to: outgoing.reply.id }
          : { type: 'say', room: slug, body: outgoing.body };
        this.transmit(outgoing, command);
      }
    }
    for (const [peer, conversation] of Object.entries(this.chat.conversations)) {
      for (const outgoing of conversation.outbox) {
        if (outgoing.status !== 'queued') continue;
        this.transmit(outgoing, { type: 'dm', to: peer, body: outgoing.body }, peer);
      }
    }
  }

  private transmit(outgoing: Outgoing, command: Command, peer?: UserId): void {
    outgoing.status = 'sending';
    outgoing.error = undefined;
    this.connection.request(command).then(
      (event) => {
        if (outgoing.status !== 'sending') return;
        if (event.type === 'sent') {
          confirmSent(this.chat, outgoing, event.id);
        } else if (event.type === 'error') {
          this.refused(outgoing, event, peer);
        }
      },
      () => {
        // The drop has already marked it (unsure or failed).
      },
    );
  }

  private refused(outgoing: Outgoing, error: ErrorReply, peer?: UserId): void {
    if (error.code === 'muted' || error.code === 'address_muted') {
      // Kept, and not sent again by itself: a mute lasts minutes or days,
      // and the person decides whether the message still makes sense then.
      outgoing.status = 'failed';
      const until = this.chat.mutedUntil;
      outgoing.error =
        until === null ? textOf(error) : mutedText(until, Date.now(), error.code === 'address_muted');
      return;
    }
    if (error.code === 'slow_mode' && error.retry_after_ms !== undefined) {
      // Slow mode: the message goes out by itself when allowed.
      outgoing.status = 'queued';
      outgoing.error = textOf(error);
      const timer = setTimeout(() => {
        this.slowModeTimers.delete(timer);
        this.flush();
      }, error.retry_after_ms + 100);
      this.slowModeTimers.add(timer);
      return;
    }
    outgoing.status = 'failed';
    outgoing.error = textOf(error);
    if (peer !== undefined) {
      const conversation = this.chat.conversations[peer];
      if (conversation && error.code === 'user_not_found') conversation.online = false;
      if (conversation && error.code === 'dm_refused') conversation.refused = true;
    }
  }

  /** Sends a failed message again. */
  retry(outgoing: Outgoing): void {
    if (outgoing.status !== 'failed') return;
    outgoing.status = 'queued';
    outgoing.error = undefined;
    this.flush();
  }

  /** Gives up a failed or queued message. */
  discard(outbox: Outgoing[], outgoing: Outgoing): void {
    const at = outbox.findIndex((known) => known.localId === outgoing.localId);
    if (at >= 0 && outgoing.status !== 'sending') outbox.splice(at, 1);
  }

  // ---- people -------------------------------------------------------------

  /** One page of the user list; `null` when offline. */
  async users(query: UserQuery): Promise<Extract<Event, { type: 'user_list' } | { type: 'error' }> | null> {
    if (!this.live) return null;
    try {
      const reply = await this.connection.request({ type: 'users', ...query });
      return reply.type === 'user_list' || reply.type === 'error' ? reply : null;
    } catch {
      return null;
    }
  }

  /** Opens someone's profile card, looking their details up if needed. */
  showProfile(author: Author, known?: UserSummary): void {
    const user = known ?? this.knownSummary(author.id);
    this.profileCard = { author: { id: author.id, nick: author.nick, member: author.member }, user, gone: false };
    if (user === null) {
      void this.users({ search: author.nick, page_size: 50 }).then((reply) => {
        const card = this.profileCard;
        if (card === null || card.author.id !== author.id) return;
        const found = reply?.type === 'user_list' ? reply.users.find((candidate) => candidate.id === author.id) : undefined;
        if (found) card.user = found;
        else card.gone = true;
      });
    }
  }

  private knownSummary(id: UserId): UserSummary | null {
    if (this.chat.me?.id === id) return this.chat.me;
    for (const room of Object.values(this.chat.rooms)) {
      const member = room.members.find((known) => known.user.id === id);
      if (member) return member.user;
    }
    return this.chat.conversations[id]?.profile ?? null;
  }

  // ---- what is shown ------------------------------------------------------

  show(view: View): void {
    // Remember how much was unread, for the "new messages" marker, before
    // opening the room clears it.
    this.openedWithUnread = view.kind === 'room' ? (this.chat.rooms[view.slug]?.unread ?? 0) : 0;
    this.view = view;
    this.panel = 'main';
    if (view.kind === 'room') this.dismissKey(`room:${view.slug}`);
    if (view.kind === 'dm') this.dismissKey(`dm:${view.peer}`);
    this.writeAddress();
    this.updateAttention();
  }

  /** Puts the open room in the address bar (see route.ts). */
  private writeAddress(): void {
    if (typeof history === 'undefined' || typeof location === 'undefined') return;
    const path = pathFor(this.view);
    if (location.pathname !== path) history.replaceState(history.state, '', path);
  }

  showPanel(panel: Panel): void {
    this.panel = panel;
    // The list of conversations shows what the notices said (and they would cover it).
    if (panel === 'messages') this.toasts = this.toasts.filter((toast) => !toast.key.startsWith('dm:'));
    this.updateAttention();
  }

  /** Recomputes what the person is looking at, and clears its unread marks. */
  updateAttention(): void {
    const focus: Focus =
      this.view.kind === 'room'
        ? { kind: 'room', slug: this.view.slug }
        : this.view.kind === 'dm'
          ? { kind: 'dm', peer: this.view.peer }
          : null;
    this.chat.focus = focus;
    this.chat.attentive =
      (typeof document === 'undefined' || document.visibilityState === 'visible') &&
      (!this.isPhone || this.panel === 'main');
    if (this.chat.attentive) {
      markRead(this.chat, focus);
      if (focus?.kind === 'dm') this.markSeen(focus.peer);
    }
  }

  // ---- settings -----------------------------------------------------------

  setTheme(theme: Settings['theme']): void {
    this.settings.theme = theme;
    saveSettings(this.settings);
  }

  setLocale(locale: Settings['locale']): void {
    this.settings.locale = locale;
    i18n.locale = locale;
    saveSettings(this.settings);
  }

  /** Turns browser notifications on (asking permission) or off. */
  async setNotify(on: boolean): Promise<boolean> {
    if (on) {
      if (typeof Notification === 'undefined') return false;
      const permission =
        Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
      if (permission !== 'granted') {
        this.settings.notify = false;
        saveSettings(this.settings);
        return false;
      }
    }
    this.settings.notify = on;
    saveSettings(this.settings);
    return true;
  }

  // ---- notices ------------------------------------------------------------

  toast(key: string, text: string, action?: Toast['action']): void {
    this.toastId += 1;
    const id = this.toastId;
    this.toasts = this.toasts.filter((toast) => toast.key !== key).slice(-2);
    this.toasts.push({ id, key, text, ...(action ? { action } : {}) });
    setTimeout(() => this.dismiss(id), TOAST_MS);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((toast) => toast.id !== id);
  }

  /** Notices about what the person just opened have served their purpose. */
  private dismissKey(key: string): void {
    if (this.toasts.some((toast) => toast.key === key)) this.toasts = this.toasts.filter((toast) => toast.key !== key);
  }

  private notify(notice: Notice): void {
    if (notice.kind === 'room_gone') return;
    if (notice.kind === 'sanctioned') {
      this.lastSanction = notice.notice;
      this.statements.push(notice.notice);
      const title = t(`sanction.title_${notice.notice.kind}` as const);
      this.browserNotification(title, notice.notice.reason, `sanction:${notice.notice.id}`);
      return;
    }
    if (notice.kind === 'wallops') {
      // Each its own notice: a newer one must not hide an unread one.
      this.toast(`wallops:${this.toastId + 1}`, t('notice.wallops', { nick: notice.from.nick, text: notice.text }));
      return;
    }
    if (notice.kind === 'mention') {
      const { message } = notice;
      const watching = this.chat.attentive && this.view.kind === 'room' && this.view.slug === message.room;
      if (!watching) {
        const text = t('notice.mention', { nick: message.author.nick, room: message.room });
        this.toast(
          `room:${message.room}`,
          text,
          notice.joined
            ? { label: t('notice.open'), run: () => this.show({ kind: 'room', slug: message.room }) }
            : { label: t('notice.join'), run: () => void this.join(message.room) },
        );
      }
      this.browserNotification(t('notice.mention', { nick: message.author.nick, room: message.room }), message.body, `room:${message.room}`);
      return;
    }
    const from = notice.message.from;
    const watching = this.chat.attentive && this.view.kind === 'dm' && this.view.peer === from.id;
    if (watching) {
      this.markSeen(from.id);
    } else {
      this.toast(`dm:${from.id}`, t('notice.dm', { nick: from.nick }), {
        label: t('notice.open'),
        run: () => this.show({ kind: 'dm', peer: from.id }),
      });
    }
    this.browserNotification(t('notice.dm', { nick: notice.message.from.nick }), notice.message.body, `dm:${notice.message.from.id}`);
  }

  private browserNotification(title: string, body: string, tag: string): void {
    if (!this.settings.notify || typeof Notification === 'undefined') return;
    if (Notification.permission !== 'granted' || document.visibilityState === 'visible') return;
    try {
      // The body is shown by the system as plain text.
      new Notification(title, { body: excerpt(body, 120), tag, icon: '/icons/icon-192.png' });
    } catch {
      // Some mobile browsers allow notifications only from a service worker.
    }
  }

  private throttled(key: string): boolean {
    const now = Date.now();
    const last = this.lastTyping.get(key);
    if (last !== undefined && now - last < TYPING_EVERY_MS) return true;
    this.lastTyping.set(key, now);
    return false;
  }

  /** For tests and teardown. */
  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.connection.stop();
  }
}

export const session = new Session();

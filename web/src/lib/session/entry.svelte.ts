// Entering the chat and staying in: the entry form's request (a guest's
// profile or a member's secret), entering again by itself after a drop or a
// reload (retrying while the old connection still holds the nickname),
// refusals shown on the field they are about, and what moderators' sanctions
// do to the session: after a kick nothing enters again until the person
// chooses to come back; after a ban, or an entry refused by one, the entry
// form says why and until when, and nothing retries by itself. Also leaving
// the chat on this device (`quit`).

import { emptyChat, type ServerText } from '../chat';
import { textOf } from '../i18n/index.svelte';
import type { Command } from '../protocol/Command';
import type { ErrorCode } from '../protocol/ErrorCode';
import type { Event } from '../protocol/Event';
import { enteredInThisTab, loadProfile, saveProfile, setEnteredInThisTab, type Profile } from '../storage';
import type { SessionCore } from './core.svelte';

/** The protocol version this client speaks. */
export const PROTOCOL_VERSION = 1;
/** After a reconnection the old session may still hold the nickname: retry this often… */
const NICK_RETRY_MS = 2000;
/** …this many times, then ask the person. */
const NICK_RETRIES = 15;

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

type ErrorReply = Extract<Event, { type: 'error' }>;

/**
 * An `enter` refused with `banned` (the reason is its `detail`) or
 * `address_banned` (someone else's ban on this address: no reason given);
 * the end is `retry_after_ms` away.
 */
function banOfRefusal(error: ErrorReply, now: number): BanFacts {
  return { reason: error.detail ?? '', until: error.retry_after_ms === undefined ? null : now + error.retry_after_ms };
}

export class Entry {
  /** `entry` until the server accepts us; then `chat`, even while reconnecting. */
  phase: 'entry' | 'chat' = $state('entry');
  /** An `enter` is on its way (or will be, as soon as the link is up). */
  entering = $state(false);
  entryError: EntryError | null = $state(null);
  /** After a reconnection, the nickname is still held by the old session. */
  waitingForNickname = $state(false);
  /** What the server said when it closed the link (`closing`). */
  closing: ServerText | null = $state(null);
  /**
   * A moderator put me out of the chat (`closing` `kicked`): the link stays
   * closed until I choose to come back (`comeBack`).
   */
  kicked = $state(false);
  /** The last profile used on this device. */
  profile: Profile | null = $state(loadProfile());
  /** Entered with a recovery code: a new password may be set without the old. */
  recovered = $state(false);
  /** The nickname to enter with (the profile's, or a member's without one). */
  private nickname: string;
  /** A member's password or recovery code, in memory only. */
  private secret: Secret | null = null;
  /** The person asked to enter (or re-enter after a reload). */
  private wantEntry = false;
  /** Entered at least once in this tab: a new link enters again by itself. */
  private hasEntered = false;
  /** This page is a reload of a tab that was in the chat. */
  private resumed = false;
  private nickRetries = 0;
  private nickRetryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly core: SessionCore;

  constructor(core: SessionCore) {
    this.core = core;
    this.nickname = this.profile?.nickname ?? '';
    if (this.profile !== null && enteredInThisTab()) {
      // A reload of a tab that was in the chat: straight back in, showing
      // the chat (and its "connecting" banner) rather than the entry form.
      this.wantEntry = true;
      this.entering = true;
      this.resumed = true;
      this.phase = 'chat';
    }
  }

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

  /** After a kick, by the person's own choice: enter again, rejoin the rooms, send what waited. */
  comeBack(): void {
    if (!this.kicked) return;
    this.kicked = false;
    this.requestEntry();
  }

  /**
   * The member's secret changed (registered, new password, account
   * deleted): a reconnection enters with this one.
   */
  rememberSecret(secret: Secret | null): void {
    this.secret = secret;
    this.recovered = false;
  }

  /** A new link said `welcome`: enter if the person wants to be in. */
  linkReady(): void {
    if (this.wantEntry) this.sendEnter();
  }

  /** The link dropped: a retry for the nickname waits for the next link. */
  linkLost(): void {
    if (this.nickRetryTimer) {
      clearTimeout(this.nickRetryTimer);
      this.nickRetryTimer = null;
    }
  }

  /** The server closes the link and says why. */
  closingAnnounced(closing: Extract<Event, { type: 'closing' }>): void {
    if (closing.reason === 'kicked' || closing.reason === 'banned' || closing.reason === 'address_banned') {
      this.putOut(closing);
    } else {
      this.closing = textOf(closing);
    }
  }

  /** Leaves the chat on this device: back to the entry form. */
  quit(): void {
    const core = this.core;
    this.secret = null;
    this.recovered = false;
    this.wantEntry = false;
    this.hasEntered = false;
    this.resumed = false;
    this.kicked = false;
    this.entering = false;
    this.waitingForNickname = false;
    if (this.nickRetryTimer) clearTimeout(this.nickRetryTimer);
    core.outbox.cancelTimers();
    setEnteredInThisTab(false);
    core.connection.stop();
    core.chat = emptyChat();
    core.rooms.linkedRoom = null;
    this.closing = null;
    this.phase = 'entry';
    core.screen.reset();
    core.connection.start();
  }

  /** Enters now if the link is up, else as soon as it is (the next `welcome`). */
  private requestEntry(): void {
    this.wantEntry = true;
    this.entering = true;
    if (this.core.online) {
      this.sendEnter();
    } else {
      // After a kick the link was stopped; otherwise skip the back-off.
      this.core.connection.start();
      this.core.connection.reconnectNow();
    }
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
    this.core.connection.request(command).then(
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
      this.core.connection.markHealthy();
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
        if (this.core.online && this.wantEntry) this.sendEnter();
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
    const core = this.core;
    core.connection.request({ type: 'watch_presence', on: true }).catch(() => {});
    // The directory's live counts are on screen (or one tap away) all the time.
    core.connection.request({ type: 'watch_directory', on: true }).catch(() => {});
    core.dms.reapplyPrivacy();
    core.rooms.rejoin();
    if (reconnected) core.dms.refreshConversations();
    core.outbox.flush();
    core.rooms.openLinkedRoom();
  }

  /**
   * A moderator put me out, right after the statement of reasons. Nothing
   * enters again by itself (a reconnection would only be refused, or undo
   * the kick): after a kick the person comes back when they choose; after
   * a ban the entry form says why and until when.
   */
  private putOut(closing: Extract<Event, { type: 'closing' }>): void {
    if (closing.reason === 'banned' || closing.reason === 'address_banned') {
      const last = this.core.notices.lastStatement;
      const ban = last?.kind === 'ban' ? last : null;
      this.quit();
      this.entryError = { field: 'form', text: textOf(closing), ban: { reason: ban?.reason ?? '', until: ban?.until ?? null } };
      return;
    }
    this.wantEntry = false;
    this.entering = false;
    this.waitingForNickname = false;
    this.kicked = true;
    this.core.connection.stop();
  }
}

// What the session tells the person beyond redrawing: short notices
// (toasts) with an action, moderators' statements of reasons, queued and
// shown one at a time, and the browser's notifications while the tab is in
// the background. Turns the chat's notices (a mention, a private message, a
// kick, an invitation, a sanction, staff messages) into them.

import { isMine, type Notice } from '../chat';
import { excerpt } from '../format';
import { t } from '../i18n/index.svelte';
import type { Author } from '../protocol/Author';
import type { SanctionNotice } from '../protocol/SanctionNotice';
import { saveSettings } from '../storage';
import type { SessionCore } from './core.svelte';

/** How long a notice stays on screen, unless it waits for the person. */
const TOAST_MS = 8000;
/** Most notices on screen at once (the oldest that may go, goes). */
const MAX_TOASTS = 3;

export interface Toast {
  id: number;
  /** A new notice with the same key replaces the old one. */
  key: string;
  text: string;
  /** A second line: the words someone gave (a kick's reason). */
  detail?: string;
  action?: { label: string; run: () => void };
  /** Stays until the person dismisses it or acts on it. */
  sticky?: boolean;
}

type KickedOrInvited = Extract<Notice, { kind: 'kicked' | 'invited' }>;

export class Notices {
  toasts: Toast[] = $state([]);
  /** Moderators' statements of reasons not dismissed yet, oldest first (Statement.svelte shows the first). */
  statements: SanctionNotice[] = $state([]);
  /** The last statement received: a `closing` `banned` takes the ban's reason and end from it. */
  lastStatement: SanctionNotice | null = null;
  private toastId = 0;
  private readonly core: SessionCore;

  constructor(core: SessionCore) {
    this.core = core;
  }

  toast(key: string, text: string, options: Pick<Toast, 'detail' | 'action' | 'sticky'> = {}): void {
    this.toastId += 1;
    const id = this.toastId;
    const kept = this.toasts.filter((toast) => toast.key !== key);
    while (kept.length >= MAX_TOASTS) {
      const oldest = kept.findIndex((toast) => !toast.sticky);
      kept.splice(oldest >= 0 ? oldest : 0, 1);
    }
    kept.push({ id, key, text, ...options });
    this.toasts = kept;
    if (!options.sticky) setTimeout(() => this.dismiss(id), TOAST_MS);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((toast) => toast.id !== id);
  }

  /**
   * Notices about what the person just opened have served their purpose:
   * those keyed `place` (`room:paris`, `dm:42`) or `place:…` (a kick or an
   * invitation there).
   */
  dismissAbout(place: string): void {
    const about = (toast: Toast) => toast.key === place || toast.key.startsWith(`${place}:`);
    if (this.toasts.some(about)) this.toasts = this.toasts.filter((toast) => !about(toast));
  }

  /** The list of conversations is on screen: it says what their notices said. */
  dismissPrivateMessages(): void {
    this.toasts = this.toasts.filter((toast) => !toast.key.startsWith('dm:'));
  }

  /** The person read a statement of reasons. */
  dismissStatement(id: SanctionNotice['id']): void {
    this.statements = this.statements.filter((notice) => notice.id !== id);
  }

  /** Turns browser notifications on (asking permission) or off; false when the browser refuses. */
  async setNotify(on: boolean): Promise<boolean> {
    const settings = this.core.settings;
    if (on) {
      if (typeof Notification === 'undefined') return false;
      const permission =
        Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
      if (permission !== 'granted') {
        settings.notify = false;
        saveSettings(settings);
        return false;
      }
    }
    settings.notify = on;
    saveSettings(settings);
    return true;
  }

  notify(notice: Notice): void {
    const core = this.core;
    switch (notice.kind) {
      case 'room_gone':
        return;
      case 'sanctioned': {
        this.lastStatement = notice.notice;
        this.statements.push(notice.notice);
        const title = t(`sanction.title_${notice.notice.kind}` as const);
        this.browserNotification(title, notice.notice.reason, `sanction:${notice.notice.id}`);
        return;
      }
      case 'wallops':
        // Each its own notice: a newer one must not hide an unread one.
        this.toast(`wallops:${this.toastId + 1}`, t('notice.wallops', { nick: notice.from.nick, text: notice.text }));
        return;
      case 'mention': {
        const { message } = notice;
        const text = t('notice.mention', { nick: message.author.nick, room: message.room });
        if (!this.watchingRoom(message.room)) {
          this.toast(`room:${message.room}`, text, {
            action: notice.joined
              ? { label: t('notice.open'), run: () => core.screen.show({ kind: 'room', slug: message.room }) }
              : { label: t('notice.join'), run: () => void core.rooms.joinOrSay(message.room) },
          });
        }
        this.browserNotification(text, message.body, `room:${message.room}`);
        return;
      }
      case 'kicked':
      case 'invited':
        this.roomOperatorNotice(notice);
        return;
      case 'dm': {
        const from = notice.message.from;
        const text = t('notice.dm', { nick: from.nick });
        const screen = core.screen;
        if (core.chat.attentive && screen.view.kind === 'dm' && screen.view.peer === from.id) {
          core.dms.markSeen(from.id);
        } else {
          this.toast(`dm:${from.id}`, text, {
            action: { label: t('notice.open'), run: () => screen.show({ kind: 'dm', peer: from.id }) },
          });
        }
        this.browserNotification(text, notice.message.body, `dm:${from.id}`);
        return;
      }
    }
  }

  /**
   * A kick or an invitation. About me, it waits for the person, with the
   * way (back) in: the room is gone from my screen, or I may now join it.
   * About someone else, it is for the room on screen, or for the operator
   * who did it.
   */
  private roomOperatorNotice(notice: KickedOrInvited): void {
    const core = this.core;
    const detail = notice.kind === 'kicked' && notice.reason !== '' ? t('notice.reason', { reason: notice.reason }) : undefined;
    const key = `room:${notice.room}:${notice.kind}:${notice.user.id}`;
    if (notice.mine) {
      const kicked = notice.kind === 'kicked';
      const text = t(kicked ? 'notice.kicked_me' : 'notice.invited_me', { nick: notice.by.nick, room: notice.name });
      this.toast(key, text, {
        detail,
        sticky: true,
        action: { label: t(kicked ? 'notice.rejoin' : 'notice.join'), run: () => void core.rooms.joinOrSay(notice.room) },
      });
      this.browserNotification(text, notice.kind === 'kicked' ? notice.reason : '', key);
      return;
    }
    const byMe = isMine(core.chat, notice.by.id);
    if (!byMe && !this.watchingRoom(notice.room)) return;
    this.toast(key, this.operatorText(notice.kind, byMe, notice.by, notice.user, notice.name), { detail });
  }

  /** "Alice put Karim out of Paris", "You invited Karim into Paris". */
  private operatorText(kind: KickedOrInvited['kind'], byMe: boolean, by: Author, user: Author, room: string): string {
    const params = { nick: by.nick, target: user.nick, room };
    if (kind === 'kicked') return t(byMe ? 'notice.kicked_by_me' : 'notice.kicked', params);
    return t(byMe ? 'notice.invited_by_me' : 'notice.invited', params);
  }

  /** The room is on screen and the person is looking. */
  private watchingRoom(slug: string): boolean {
    const view = this.core.screen.view;
    return this.core.chat.attentive && view.kind === 'room' && view.slug === slug;
  }

  private browserNotification(title: string, body: string, tag: string): void {
    if (!this.core.settings.notify || typeof Notification === 'undefined') return;
    if (Notification.permission !== 'granted' || document.visibilityState === 'visible') return;
    try {
      // The body is shown by the system as plain text.
      new Notification(title, { body: excerpt(body, 120), tag, icon: '/icons/icon-192.png' });
    } catch {
      // Some mobile browsers allow notifications only from a service worker.
    }
  }
}

// What is on screen: the open room or conversation (kept in the address,
// see route.ts), the phone's panel, what the person is looking at (its
// unread marks clear, its conversation is marked seen), drafts, the profile
// card and the people list it is opened from, and how it looks (theme,
// language). Keeps the copies it holds of people current (away messages).

import { markRead, setAway, type Focus } from '../chat';
import { i18n } from '../i18n/index.svelte';
import type { Author } from '../protocol/Author';
import type { Event } from '../protocol/Event';
import type { UserId } from '../protocol/UserId';
import type { UserQuery } from '../protocol/UserQuery';
import type { UserSummary } from '../protocol/UserSummary';
import { pathFor } from '../route';
import { saveSettings, type Settings } from '../storage';
import type { SessionCore } from './core.svelte';

/** What the middle column (or the phone's main panel) shows. */
export type View =
  | { kind: 'home' }
  | { kind: 'room'; slug: string }
  | { kind: 'dm'; peer: UserId }
  | { kind: 'settings' };

/** The phone shows one panel at a time. */
export type Panel = 'main' | 'people' | 'messages';

/** The profile card: who, and where it was opened from. */
export interface ProfileCard {
  author: Author;
  user: UserSummary | null;
  /** Looked up and not found: they left. */
  gone: boolean;
}

export class Screen {
  view: View = $state({ kind: 'home' });
  panel: Panel = $state('main');
  isPhone = $state(false);
  profileCard: ProfileCard | null = $state(null);
  /** The room the people list is filtered on ('' for all), set from a room's header. */
  peopleRoom = $state('');
  /** Unread messages of the room just opened, before opening it cleared them. */
  openedWithUnread = 0;
  /** Grows when someone enters, leaves, becomes a member or goes away: the people list refreshes. */
  presenceVersion = $state(0);
  /** What was typed but not sent, per room (`room:slug`) or conversation (`dm:id`). */
  drafts: Record<string, string> = $state({});
  private readonly core: SessionCore;

  constructor(core: SessionCore) {
    this.core = core;
  }

  show(view: View): void {
    // Remember how much was unread, for the "new messages" marker, before
    // opening the room clears it.
    this.openedWithUnread = view.kind === 'room' ? (this.core.chat.rooms[view.slug]?.unread ?? 0) : 0;
    this.view = view;
    this.panel = 'main';
    if (view.kind === 'room') this.core.notices.dismissAbout(`room:${view.slug}`);
    if (view.kind === 'dm') this.core.notices.dismissAbout(`dm:${view.peer}`);
    this.writeAddress();
    this.updateAttention();
  }

  showPanel(panel: Panel): void {
    this.panel = panel;
    // The list of conversations shows what the notices said (and they would cover it).
    if (panel === 'messages') this.core.notices.dismissPrivateMessages();
    this.updateAttention();
  }

  /** Recomputes what the person is looking at, and clears its unread marks. */
  updateAttention(): void {
    const chat = this.core.chat;
    const focus: Focus =
      this.view.kind === 'room'
        ? { kind: 'room', slug: this.view.slug }
        : this.view.kind === 'dm'
          ? { kind: 'dm', peer: this.view.peer }
          : null;
    chat.focus = focus;
    chat.attentive =
      (typeof document === 'undefined' || document.visibilityState === 'visible') &&
      (!this.isPhone || this.panel === 'main');
    if (chat.attentive) {
      markRead(chat, focus);
      if (focus?.kind === 'dm') this.core.dms.markSeen(focus.peer);
    }
  }

  /** Follows the page's visibility and the screen's size (phone or not). */
  followPage(): void {
    document.addEventListener('visibilitychange', () => this.updateAttention());
    const phone = window.matchMedia('(max-width: 760px)');
    this.isPhone = phone.matches;
    phone.addEventListener('change', (change) => {
      this.isPhone = change.matches;
      this.updateAttention();
    });
  }

  /** I am no longer in a room (left, put out, or it vanished): nothing on screen is about it. */
  roomClosed(slug: string): void {
    if (this.peopleRoom === slug) this.peopleRoom = '';
    if (this.view.kind === 'room' && this.view.slug === slug) this.show({ kind: 'home' });
  }

  /** Left the chat: back to the directory, nothing open. */
  reset(): void {
    this.view = { kind: 'home' };
    this.panel = 'main';
    this.profileCard = null;
    this.peopleRoom = '';
    this.writeAddress();
  }

  /** One page of the user list; `null` when offline. */
  async users(query: UserQuery): Promise<Extract<Event, { type: 'user_list' } | { type: 'error' }> | null> {
    if (!this.core.live) return null;
    try {
      const reply = await this.core.connection.request({ type: 'users', ...query });
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

  /** Someone entered, left or changed standing: the people list asks again. */
  peopleChanged(): void {
    this.presenceVersion += 1;
  }

  /** Someone went away or came back: the copies the screen holds follow (the chat's copies already did). */
  awayChanged(id: UserId, message: string | undefined): void {
    const card = this.profileCard;
    if (card?.user && card.author.id === id) setAway(card.user, message);
    this.peopleChanged();
  }

  setTheme(theme: Settings['theme']): void {
    this.core.settings.theme = theme;
    saveSettings(this.core.settings);
  }

  setLocale(locale: Settings['locale']): void {
    this.core.settings.locale = locale;
    i18n.locale = locale;
    saveSettings(this.core.settings);
  }

  private knownSummary(id: UserId): UserSummary | null {
    const chat = this.core.chat;
    if (chat.me?.id === id) return chat.me;
    for (const room of Object.values(chat.rooms)) {
      const member = room.members.find((known) => known.user.id === id);
      if (member) return member.user;
    }
    return chat.conversations[id]?.profile ?? null;
  }

  /** Puts the open room in the address bar (see route.ts). */
  private writeAddress(): void {
    if (typeof history === 'undefined' || typeof location === 'undefined') return;
    const path = pathFor(this.view);
    if (location.pathname !== path) history.replaceState(history.state, '', path);
  }
}

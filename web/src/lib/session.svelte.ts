// The session: one tab's life in the chat, and the one object components
// use. This is its face: the state components read and the methods they
// call, each handed to the part of `session/` that owns it — entry,
// rooms, outbox, private messages, account, what is on screen, notices —
// which meet in `session/core.svelte.ts`. Components never talk to the
// link themselves.

import type { ChatState, Outgoing, ServerText } from './chat';
import type { LinkState } from './connection';
import type { Author } from './protocol/Author';
import type { RoomMessage } from './protocol/RoomMessage';
import type { SanctionNotice } from './protocol/SanctionNotice';
import type { UserId } from './protocol/UserId';
import type { UserQuery } from './protocol/UserQuery';
import type { UserSummary } from './protocol/UserSummary';
import { SessionCore, type SessionOptions } from './session/core.svelte';
import type { EntryRequest } from './session/entry.svelte';
import type { Panel, ProfileCard, View } from './session/view.svelte';
import type { Profile, Settings } from './storage';

export type { SessionOptions } from './session/core.svelte';
export { entryFieldFor, PROTOCOL_VERSION } from './session/entry.svelte';
export type { BanFacts, EntryError, EntryField, EntryRequest, Secret } from './session/entry.svelte';
export type { Toast } from './session/notices.svelte';
export { mutedText, TYPING_EVERY_MS } from './session/outbox';
export { TYPING_ROOM_LIMIT } from './session/rooms.svelte';
export type { Panel, ProfileCard, View } from './session/view.svelte';

export class Session {
  private readonly core: SessionCore;

  constructor(options: SessionOptions = {}) {
    this.core = new SessionCore(options);
  }

  // ---- the link and the chat (session/core.svelte.ts) ---------------------

  get chat(): ChatState {
    return this.core.chat;
  }
  get link(): LinkState {
    return this.core.link;
  }
  get settings(): Settings {
    return this.core.settings;
  }
  get online(): boolean {
    return this.core.online;
  }
  /** Entered and live: commands can go out. */
  get live(): boolean {
    return this.core.live;
  }
  /** Connects (and reconnects whenever the link drops). */
  connect(): void {
    this.core.connection.start();
  }
  /** Connects, and follows the page's life. */
  start(): void {
    this.core.start();
  }
  /** For tests and teardown. */
  stop(): void {
    this.core.stop();
  }
  pageHidden(): void {
    this.core.pageHidden();
  }
  pageShown(persisted: boolean): void {
    this.core.pageShown(persisted);
  }
  /** Try to reconnect now rather than at the end of the back-off. */
  reconnectNow(): void {
    this.core.connection.reconnectNow();
  }

  // ---- entering (session/entry.svelte.ts) ---------------------------------

  get phase(): 'entry' | 'chat' {
    return this.core.entry.phase;
  }
  get entering(): boolean {
    return this.core.entry.entering;
  }
  get entryError() {
    return this.core.entry.entryError;
  }
  get waitingForNickname(): boolean {
    return this.core.entry.waitingForNickname;
  }
  get closing(): ServerText | null {
    return this.core.entry.closing;
  }
  get kicked(): boolean {
    return this.core.entry.kicked;
  }
  get profile(): Profile | null {
    return this.core.entry.profile;
  }
  get recovered(): boolean {
    return this.core.entry.recovered;
  }
  enter(profile: Profile): void {
    this.core.entry.enter(profile);
  }
  enterWith(request: EntryRequest): void {
    this.core.entry.enterWith(request);
  }
  comeBack(): void {
    this.core.entry.comeBack();
  }
  quit(): void {
    this.core.entry.quit();
  }

  // ---- rooms (session/rooms.svelte.ts) and what is sent (session/outbox.ts)

  get linkedRoom(): string | null {
    return this.core.rooms.linkedRoom;
  }
  join(slug: string): Promise<ServerText | null> {
    return this.core.rooms.join(slug);
  }
  leave(slug: string): Promise<void> {
    return this.core.rooms.leave(slug);
  }
  createRoom(name: string, topic: string): Promise<ServerText | null> {
    return this.core.rooms.createRoom(name, topic);
  }
  say(slug: string, text: string, reply?: RoomMessage): void {
    this.core.rooms.say(slug, text, reply);
  }
  typingInRoom(slug: string): void {
    this.core.rooms.typingInRoom(slug);
  }
  flush(): void {
    this.core.outbox.flush();
  }
  retry(outgoing: Outgoing): void {
    this.core.outbox.retry(outgoing);
  }
  discard(outbox: Outgoing[], outgoing: Outgoing): void {
    this.core.outbox.discard(outbox, outgoing);
  }

  // ---- private messages (session/dms.ts) ----------------------------------

  openDm(user: UserSummary): void {
    this.core.dms.openDm(user);
  }
  sendDm(peer: UserId, text: string): void {
    this.core.dms.sendDm(peer, text);
  }
  typingToPeer(peer: UserId): void {
    this.core.dms.typingToPeer(peer);
  }
  markSeen(peer: UserId): void {
    this.core.dms.markSeen(peer);
  }
  setDmPrivacy(accept: boolean): Promise<void> {
    return this.core.dms.setDmPrivacy(accept);
  }

  // ---- the member account (session/account.ts) ----------------------------

  register(password: string, email: string): Promise<{ codes: string[] } | { refusal: ServerText }> {
    return this.core.account.register(password, email);
  }
  changePassword(current: string, next: string): Promise<ServerText | null> {
    return this.core.account.changePassword(current, next);
  }
  deleteAccount(password: string): Promise<ServerText | null> {
    return this.core.account.deleteAccount(password);
  }

  // ---- what is on screen (session/view.svelte.ts) -------------------------

  get view(): View {
    return this.core.screen.view;
  }
  get panel(): Panel {
    return this.core.screen.panel;
  }
  get isPhone(): boolean {
    return this.core.screen.isPhone;
  }
  get profileCard(): ProfileCard | null {
    return this.core.screen.profileCard;
  }
  set profileCard(card: ProfileCard | null) {
    this.core.screen.profileCard = card;
  }
  get peopleRoom(): string {
    return this.core.screen.peopleRoom;
  }
  set peopleRoom(slug: string) {
    this.core.screen.peopleRoom = slug;
  }
  get openedWithUnread(): number {
    return this.core.screen.openedWithUnread;
  }
  get presenceVersion(): number {
    return this.core.screen.presenceVersion;
  }
  get drafts(): Record<string, string> {
    return this.core.screen.drafts;
  }
  show(view: View): void {
    this.core.screen.show(view);
  }
  showPanel(panel: Panel): void {
    this.core.screen.showPanel(panel);
  }
  updateAttention(): void {
    this.core.screen.updateAttention();
  }
  users(query: UserQuery) {
    return this.core.screen.users(query);
  }
  showProfile(author: Author, known?: UserSummary): void {
    this.core.screen.showProfile(author, known);
  }
  setTheme(theme: Settings['theme']): void {
    this.core.screen.setTheme(theme);
  }
  setLocale(locale: Settings['locale']): void {
    this.core.screen.setLocale(locale);
  }

  // ---- notices (session/notices.svelte.ts) --------------------------------

  get toasts() {
    return this.core.notices.toasts;
  }
  get statements(): SanctionNotice[] {
    return this.core.notices.statements;
  }
  dismiss(id: number): void {
    this.core.notices.dismiss(id);
  }
  dismissStatement(id: SanctionNotice['id']): void {
    this.core.notices.dismissStatement(id);
  }
  setNotify(on: boolean): Promise<boolean> {
    return this.core.notices.setNotify(on);
  }
}

export const session = new Session();

// What the parts of a session share, and where they meet: the link to the
// server, the chat state, the settings, and the parts themselves (entry,
// rooms, outbox, private messages, account, screen, notices), so that one
// part can ask another (entering again asks the rooms to rejoin). Every
// event from the server comes in here: the chat reducers apply it, then the
// part it concerns reacts. Components never see this object: they use the
// facade, `session.svelte.ts`.

import { applyEvent, emptyChat, expireMute, expireTyping, isMine, linkLost, type ChatState } from '../chat';
import { Connection, type ConnectionOptions, type LinkState } from '../connection';
import { i18n } from '../i18n/index.svelte';
import type { Event } from '../protocol/Event';
import { roomFromPath } from '../route';
import { loadSettings, type Settings } from '../storage';
import { Account } from './account';
import { Dms } from './dms';
import { Entry } from './entry.svelte';
import { Notices } from './notices.svelte';
import { Outbox } from './outbox';
import { Rooms } from './rooms.svelte';
import { Screen } from './view.svelte';

/** How a session reaches the server (tests pass a fake socket). */
export interface SessionOptions {
  url?: string;
  createSocket?: ConnectionOptions['createSocket'];
  /** The address the page was opened at (default: the page's own). */
  path?: string;
}

function socketUrl(): string {
  if (typeof location === 'undefined') return 'ws://localhost/ws';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws`;
}

export class SessionCore {
  chat: ChatState = $state(emptyChat());
  link: LinkState = $state({ kind: 'stopped' });
  settings: Settings = $state(loadSettings());
  readonly connection: Connection;
  readonly screen: Screen;
  readonly notices: Notices;
  readonly outbox: Outbox;
  readonly rooms: Rooms;
  readonly dms: Dms;
  readonly account: Account;
  readonly entry: Entry;
  private ticker: ReturnType<typeof setInterval> | null = null;

  constructor(options: SessionOptions) {
    this.connection = new Connection({
      url: options.url ?? socketUrl(),
      createSocket: options.createSocket,
      onEvent: (event) => this.receive(event),
      onState: (state) => this.linkChanged(state),
    });
    i18n.locale = this.settings.locale;
    // The parts only keep a reference to the core here; none calls another
    // before all are built.
    this.screen = new Screen(this);
    this.notices = new Notices(this);
    this.outbox = new Outbox(this);
    this.rooms = new Rooms(this, roomFromPath(options.path ?? (typeof location === 'undefined' ? '/' : location.pathname)));
    this.dms = new Dms(this);
    this.account = new Account(this);
    this.entry = new Entry(this);
  }

  get online(): boolean {
    return this.link.kind === 'open';
  }

  /** Entered and live: commands can go out. */
  get live(): boolean {
    return this.online && this.chat.me !== null && !this.entry.entering;
  }

  /** Connects, follows the page's life (network, closing, cache, visibility, size), and keeps indicators ticking. */
  start(): void {
    this.connection.start();
    this.ticker = setInterval(() => {
      const now = Date.now();
      expireTyping(this.chat, now);
      expireMute(this.chat, now);
    }, 1000);
    window.addEventListener('online', () => this.connection.reconnectNow());
    window.addEventListener('pagehide', () => this.pageHidden());
    window.addEventListener('pageshow', (event) => this.pageShown(event.persisted));
    this.screen.followPage();
  }

  /** For tests and teardown. */
  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.connection.stop();
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

  private linkChanged(state: LinkState): void {
    const wasOpen = this.link.kind === 'open';
    this.link = state;
    if (wasOpen && state.kind !== 'open') {
      linkLost(this.chat);
      this.chat.me = null;
      this.entry.linkLost();
    }
  }

  private receive(event: Event): void {
    const notices = applyEvent(this.chat, event, Date.now());
    switch (event.type) {
      case 'welcome':
        this.entry.linkReady();
        break;
      case 'closing':
        this.entry.closingAnnounced(event);
        break;
      case 'user_online':
      case 'user_offline':
      case 'account_changed':
        this.screen.peopleChanged();
        break;
      case 'away':
        this.screen.awayChanged(event.user.id, event.message);
        break;
      case 'room_removed':
        if (!this.chat.rooms[event.room]) this.screen.roomClosed(event.room);
        break;
      case 'kicked':
        // The reducer has forgotten the room: nothing of it stays on screen.
        if (isMine(this.chat, event.user.id)) this.screen.roomClosed(event.room);
        break;
      default:
        break;
    }
    for (const notice of notices) this.notices.notify(notice);
  }
}

// One tab in the chat for the tests of src/lib/session/: a Session talking
// to a fake server under fake timers, with steps that read like the story
// ("welcome", "entered as 1", "joined Paris"). `useTab()` gives each test
// of a file a fresh one: a new fake server and a new session.

import { afterEach, beforeEach, vi } from 'vitest';
import type { Event } from '../protocol/Event';
import { Session } from '../session.svelte';
import { FakeServer, type FakeSocket } from './fake-server';
import { room, roomMessage, user } from './fixtures';

export const WELCOME: Event = {
  type: 'welcome',
  protocol: 1,
  server: 'tchatche test',
  limits: { max_body_chars: 2000, max_frame_bytes: 16384, min_age: 15, teen_band: true },
};
export const PROFILE = { nickname: 'Alice', age: 25, gender: 'femme' as const, department: '75' };

/** Lets promise callbacks (replies) run. */
export async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

export class Tab {
  server = new FakeServer();
  session = new Session({ url: 'ws://test/ws', createSocket: this.server.createSocket });

  /** The socket of the current link. */
  get socket(): FakeSocket {
    return this.server.current;
  }

  /** The page is opened (at `path`): a new session, which connects. */
  open(path?: string): void {
    this.session.stop();
    this.session = new Session({ url: 'ws://test/ws', createSocket: this.server.createSocket, path });
    this.session.connect();
  }

  /** The server accepts the link and says `welcome`. */
  async welcome(socket: FakeSocket = this.server.current): Promise<void> {
    socket.open();
    socket.push(WELCOME);
    await settle();
  }

  /** The server answers the last `enter`: entered as Alice, with session id `id`. */
  async enterAs(id: string, socket: FakeSocket = this.server.current): Promise<void> {
    const enter = socket.last('enter');
    socket.push({ type: 'entered', req: enter.req, you: user(id, 'Alice'), band: 'adult', rooms: [room('paris')] });
    await settle();
  }

  /** The server answers the last `join`: in Paris, with these members (me last) and this scrollback. */
  async joinParis(
    socket: FakeSocket = this.server.current,
    history = [] as ReturnType<typeof roomMessage>[],
    members = [] as Extract<Event, { type: 'joined' }>['members'],
  ): Promise<void> {
    const join = socket.last('join');
    socket.push({ type: 'joined', req: join.req, room: room('paris'), members, history, role: 'member' });
    await settle();
  }

  /** A new link, entered as Alice with session id `id` (the form is sent if the session is not entering by itself). */
  async entered(id: string): Promise<void> {
    await this.welcome();
    if (this.session.phase === 'entry') this.session.enter(PROFILE);
    await this.enterAs(id);
  }

  /** A new link, entered as Alice with session id `id`, in Paris (after a reconnection the session rejoins by itself). */
  async inParis(id: string, members = [] as Extract<Event, { type: 'joined' }>['members']): Promise<void> {
    await this.entered(id);
    if (this.session.chat.rooms.paris === undefined) void this.session.join('paris');
    await this.joinParis(this.server.current, [], members);
  }
}

/** One tab for the tests of a file, opened afresh for each (a new server, a new session), under fake timers. */
export function useTab(): Tab {
  const tab = new Tab();
  beforeEach(() => {
    vi.useFakeTimers();
    tab.server = new FakeServer();
    tab.open();
  });
  afterEach(() => {
    tab.session.stop();
    vi.useRealTimers();
  });
  return tab;
}

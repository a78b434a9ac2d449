// One WebSocket link to the server that keeps itself alive: it numbers
// requests and matches their replies, pings to notice a dead network, and
// reconnects with back-off after any drop until it is stopped. It knows
// nothing of entering or rooms: the session decides what to send again.

import { Backoff } from './backoff';
import type { Command } from './protocol/Command';
import type { Event } from './protocol/Event';

/** The part of the browser's WebSocket this module uses (tests pass a fake). */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Time, injectable so that tests control it. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => globalThis.setTimeout(run, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Where the link stands. */
export type LinkState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; retryAt: number; attempt: number }
  | { kind: 'stopped' };

/** A request could not get its reply because the link dropped (or was never up). */
export class Disconnected extends Error {
  constructor() {
    super('disconnected');
    this.name = 'Disconnected';
  }
}

export interface ConnectionOptions {
  url: string;
  onEvent: (event: Event) => void;
  onState: (state: LinkState) => void;
  createSocket?: (url: string) => SocketLike;
  clock?: Clock;
  backoff?: Backoff;
  /** Send a `ping` this often while open (a silent dead network is noticed this way). */
  pingEveryMs?: number;
  /** Give the link up when a `pong` takes longer than this. */
  pingTimeoutMs?: number;
}

/** Largest `req` the protocol accepts (u32). */
const MAX_REQ = 4_294_967_295;

interface Waiter {
  resolve: (event: Event) => void;
  reject: (error: Error) => void;
}

export class Connection {
  private socket: SocketLike | null = null;
  private lastReq = 0;
  private readonly waiters = new Map<number, Waiter>();
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private current: LinkState = { kind: 'stopped' };
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly createSocket: (url: string) => SocketLike;

  constructor(private readonly options: ConnectionOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.backoff = options.backoff ?? new Backoff();
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
  }

  get state(): LinkState {
    return this.current;
  }

  /** Opens the link (and keeps reopening it until `stop`). */
  start(): void {
    if (this.current.kind !== 'stopped') return;
    this.open();
  }

  /** Closes the link for good: no reconnection, pending requests fail. */
  stop(): void {
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    this.failWaiters();
    this.setState({ kind: 'stopped' });
    socket?.close(1000, 'bye');
  }

  /** Skips the rest of the back-off delay (the browser says it is online again). */
  reconnectNow(): void {
    if (this.current.kind !== 'waiting') return;
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  /** The session is usable again: the next drop starts from the shortest delay. */
  markHealthy(): void {
    this.backoff.reset();
  }

  /** Sends a command that expects no reply; false when the link is down. */
  send(command: Command): boolean {
    if (this.socket === null || this.current.kind !== 'open') return false;
    this.socket.send(JSON.stringify(command));
    return true;
  }

  /**
   * Sends a command with a fresh `req` and resolves with the event that
   * carries it back (a reply or an `error`). Rejects with `Disconnected`
   * when the link is down or drops before the reply.
   */
  request(command: Command): Promise<Event> {
    if (this.socket === null || this.current.kind !== 'open') {
      return Promise.reject(new Disconnected());
    }
    this.lastReq = this.lastReq >= MAX_REQ ? 1 : this.lastReq + 1;
    const req = this.lastReq;
    const reply = new Promise<Event>((resolve, reject) => {
      this.waiters.set(req, { resolve, reject });
    });
    this.socket.send(JSON.stringify({ ...command, req }));
    return reply;
  }

  private open(): void {
    this.clearTimers();
    const attempt = this.backoff.failures + 1;
    this.setState({ kind: 'connecting', attempt });
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch {
      this.dropped();
      return;
    }
    this.socket = socket;
    // Events of a socket that was replaced are ignored.
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.setState({ kind: 'open' });
      this.schedulePing();
    };
    socket.onmessage = (message) => {
      if (this.socket !== socket || typeof message.data !== 'string') return;
      this.receive(message.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.dropped();
    };
    socket.onerror = () => {
      // A close event always follows an error; the drop is handled there.
    };
  }

  private receive(text: string): void {
    let event: Event;
    try {
      event = JSON.parse(text) as Event;
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return;
    this.options.onEvent(event);
    const req = 'req' in event ? event.req : undefined;
    if (typeof req === 'number') {
      const waiter = this.waiters.get(req);
      if (waiter) {
        this.waiters.delete(req);
        waiter.resolve(event);
      }
    }
  }

  private dropped(): void {
    const socket = this.socket;
    this.socket = null;
    this.clearTimers();
    this.failWaiters();
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        // Already closed.
      }
    }
    if (this.current.kind === 'stopped') return;
    const delay = this.backoff.next();
    this.setState({
      kind: 'waiting',
      retryAt: this.clock.now() + delay,
      attempt: this.backoff.failures,
    });
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private schedulePing(): void {
    const every = this.options.pingEveryMs ?? 25_000;
    const timeout = this.options.pingTimeoutMs ?? 10_000;
    this.pingTimer = this.clock.setTimeout(() => {
      this.pingTimer = null;
      this.pongTimer = this.clock.setTimeout(() => {
        this.pongTimer = null;
        this.dropped();
      }, timeout);
      this.request({ type: 'ping' }).then(
        () => {
          this.clock.clearTimeout(this.pongTimer);
          this.pongTimer = null;
          this.schedulePing();
        },
        () => {
          // The drop that rejected the ping has already been handled.
        },
      );
    }, every);
  }

  private failWaiters(): void {
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const waiter of waiters) waiter.reject(new Disconnected());
  }

  private clearTimers(): void {
    for (const timer of [this.retryTimer, this.pingTimer, this.pongTimer]) {
      if (timer !== null) this.clock.clearTimeout(timer);
    }
    this.retryTimer = this.pingTimer = this.pongTimer = null;
  }

  private setState(state: LinkState): void {
    this.current = state;
    this.options.onState(state);
  }
}

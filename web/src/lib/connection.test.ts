// The WebSocket link against a fake socket and a fake clock: replies
// matched by `req`, requests failed by a drop, reconnection with back-off,
// pings that notice a dead network, and staying down once stopped.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backoff } from './backoff';
import { Connection, Disconnected, type LinkState } from './connection';
import type { Event } from './protocol/Event';
import { FakeServer } from './testing/fake-server';

const WELCOME: Event = {
  type: 'welcome',
  protocol: 1,
  server: 'tchatche test',
  limits: { max_body_chars: 2000, max_frame_bytes: 16384, min_age: 15, teen_band: true },
};

function setup(options: { pingEveryMs?: number; pingTimeoutMs?: number } = {}) {
  const server = new FakeServer();
  const events: Event[] = [];
  const states: LinkState[] = [];
  const connection = new Connection({
    url: 'ws://test/ws',
    createSocket: server.createSocket,
    onEvent: (event) => events.push(event),
    onState: (state) => states.push(state),
    backoff: new Backoff({ initialMs: 500, maxMs: 8000, factor: 2, jitter: 0 }),
    pingEveryMs: options.pingEveryMs ?? 60_000,
    pingTimeoutMs: options.pingTimeoutMs ?? 5_000,
  });
  return { server, events, states, connection };
}

describe('Connection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens, passes events on and matches replies by req', async () => {
    const { server, events, connection } = setup();
    connection.start();
    expect(connection.state.kind).toBe('connecting');
    server.current.open();
    expect(connection.state.kind).toBe('open');
    server.current.push(WELCOME);
    expect(events).toEqual([WELCOME]);

    const first = connection.request({ type: 'join', room: 'paris' });
    const second = connection.request({ type: 'list_rooms' });
    const [join, list] = server.current.sent;
    expect(join).toEqual({ type: 'join', room: 'paris', req: 1 });
    expect(list).toEqual({ type: 'list_rooms', req: 2 });

    // Replies may come in any order; each finds its request.
    server.current.push({ type: 'room_list', req: 2, rooms: [] });
    server.current.push({
      type: 'error',
      req: 1,
      code: 'room_not_found',
      message_fr: "Ce salon n'existe pas.",
      message_en: 'No such room.',
    });
    await expect(second).resolves.toMatchObject({ type: 'room_list' });
    await expect(first).resolves.toMatchObject({ type: 'error', code: 'room_not_found' });
  });

  it('ignores frames that are not JSON events', () => {
    const { server, events, connection } = setup();
    connection.start();
    server.current.open();
    server.current.onmessage?.({ data: 'not json' });
    server.current.onmessage?.({ data: '[1,2]' });
    server.current.onmessage?.({ data: new ArrayBuffer(2) });
    expect(events).toEqual([]);
  });

  it('sends nothing and rejects requests while down', async () => {
    const { connection } = setup();
    expect(connection.send({ type: 'ping' })).toBe(false);
    await expect(connection.request({ type: 'ping' })).rejects.toBeInstanceOf(Disconnected);
  });

  it('fails pending requests when the link drops, then reconnects with growing delays', async () => {
    const { server, states, connection } = setup();
    connection.start();
    server.current.open();
    const pending = connection.request({ type: 'list_rooms' });
    server.current.drop();
    await expect(pending).rejects.toBeInstanceOf(Disconnected);
    expect(states.at(-1)).toMatchObject({ kind: 'waiting', attempt: 1 });

    // 500 ms, then a new socket; it fails at once: 1000 ms; then 2000 ms.
    vi.advanceTimersByTime(499);
    expect(server.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(server.sockets).toHaveLength(2);
    server.current.drop();
    vi.advanceTimersByTime(999);
    expect(server.sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(server.sockets).toHaveLength(3);
    server.current.drop();
    expect(states.at(-1)).toMatchObject({ kind: 'waiting', attempt: 3 });
    vi.advanceTimersByTime(2000);
    expect(server.sockets).toHaveLength(4);
  });

  it('starts again from the shortest delay once the session is healthy', () => {
    const { server, connection } = setup();
    connection.start();
    server.current.drop();
    vi.advanceTimersByTime(500);
    server.current.drop();
    vi.advanceTimersByTime(1000);
    server.current.open();
    connection.markHealthy();
    server.current.drop();
    vi.advanceTimersByTime(500);
    expect(server.sockets).toHaveLength(4);
  });

  it('reconnects at once when asked (the browser is back online)', () => {
    const { server, connection } = setup();
    connection.start();
    server.current.open();
    server.current.drop();
    connection.reconnectNow();
    expect(server.sockets).toHaveLength(2);
    expect(connection.state.kind).toBe('connecting');
  });

  it('gives a silent link up when a ping gets no pong', async () => {
    const { server, connection } = setup({ pingEveryMs: 1000, pingTimeoutMs: 500 });
    connection.start();
    server.current.open();
    vi.advanceTimersByTime(1000);
    const ping = server.current.last('ping');
    server.current.push({ type: 'pong', req: ping.req });
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.current.commands('ping')).toHaveLength(2);
    // No answer this time.
    vi.advanceTimersByTime(500);
    expect(connection.state.kind).toBe('waiting');
    expect(server.sockets[0].closed).toBe(true);
  });

  it('ignores a replaced socket', () => {
    const { server, events, connection } = setup();
    connection.start();
    const old = server.current;
    old.drop();
    vi.advanceTimersByTime(500);
    old.push(WELCOME);
    old.onclose?.({ code: 1006, reason: '' });
    expect(events).toEqual([]);
    expect(connection.state.kind).toBe('connecting');
  });

  it('stays down after stop', () => {
    const { server, connection } = setup();
    connection.start();
    server.current.open();
    connection.stop();
    expect(server.current.closed).toBe(true);
    expect(connection.state.kind).toBe('stopped');
    vi.advanceTimersByTime(60_000);
    expect(server.sockets).toHaveLength(1);
  });
});

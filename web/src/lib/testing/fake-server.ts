// A fake WebSocket server for unit tests: every socket the code under test
// opens is recorded, tests read what the client sent and push events back.

import type { SocketLike } from '../connection';
import type { Event } from '../protocol/Event';
import type { Request } from '../protocol/Request';

export class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  /** Every frame the client sent, decoded. */
  readonly sent: Request[] = [];
  closed = false;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.closed) throw new Error('send on a closed socket');
    this.sent.push(JSON.parse(data) as Request);
  }

  close(): void {
    this.closed = true;
  }

  /** The server accepts the connection. */
  open(): void {
    this.onopen?.({});
  }

  /** The server sends an event. */
  push(event: Event): void {
    this.onmessage?.({ data: JSON.stringify(event) });
  }

  /** The connection drops. */
  drop(code = 1006): void {
    this.closed = true;
    this.onclose?.({ code, reason: '' });
  }

  /** Commands of one type the client sent. */
  commands<T extends Request['type']>(type: T): Array<Extract<Request, { type: T }>> {
    return this.sent.filter((request) => request.type === type) as Array<Extract<Request, { type: T }>>;
  }

  /** The last command of this type (fails the test if none). */
  last<T extends Request['type']>(type: T): Extract<Request, { type: T }> {
    const found = this.commands(type);
    const last = found[found.length - 1];
    if (last === undefined) throw new Error(`no ${type} command was sent; sent: ${JSON.stringify(this.sent)}`);
    return last;
  }
}

/** Records the sockets a connection opens. */
export class FakeServer {
  readonly sockets: FakeSocket[] = [];

  readonly createSocket = (url: string): FakeSocket => {
    const socket = new FakeSocket(url);
    this.sockets.push(socket);
    return socket;
  };

  get current(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error('no socket was opened');
    return socket;
  }
}

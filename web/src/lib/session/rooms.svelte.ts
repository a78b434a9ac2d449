// The rooms I am in, as the session handles them: joining (from the
// directory, a notice or a room's address), leaving, creating, saying
// something and typing, and after every entry rejoining the rooms I was in
// (a room that vanished meanwhile is marked gone, with its unsent messages).

import { enqueue, forgetRoom, isMuted, type ServerText } from '../chat';
import { replaceShortcodes } from '../emoji';
import { excerpt, isBlank } from '../format';
import { inBothLanguages, serverText, textOf } from '../i18n/index.svelte';
import type { Command } from '../protocol/Command';
import type { RoomMessage } from '../protocol/RoomMessage';
import type { SessionCore } from './core.svelte';

/** The server relays typing only in rooms this small. */
export const TYPING_ROOM_LIMIT = 50;

export class Rooms {
  /**
   * The room the address named when the page opened (see route.ts), joined
   * once entered; until then the chat shows that room opening rather than
   * the directory.
   */
  linkedRoom: string | null = $state(null);
  private readonly core: SessionCore;

  constructor(core: SessionCore, linkedRoom: string | null) {
    this.core = core;
    this.linkedRoom = linkedRoom;
  }

  /** Joins a room (or just opens it if already in) and shows it; the refusal, if any. */
  async join(slug: string): Promise<ServerText | null> {
    const core = this.core;
    const known = core.chat.rooms[slug];
    if (known !== undefined && known.presence !== 'gone') {
      core.screen.show({ kind: 'room', slug });
      return null;
    }
    if (!core.live) return inBothLanguages('error.offline');
    try {
      const reply = await core.connection.request({ type: 'join', room: slug });
      if (reply.type === 'joined' || (reply.type === 'error' && reply.code === 'already_in_room')) {
        core.screen.show({ kind: 'room', slug });
        return null;
      }
      return reply.type === 'error' ? textOf(reply) : null;
    } catch {
      return inBothLanguages('error.offline');
    }
  }

  /** Joins from a notice or a link, where there is no form to show a refusal in: a notice says it. */
  joinOrSay(slug: string): Promise<void> {
    return this.join(slug).then((refusal) => {
      if (refusal !== null) this.core.notices.toast(`room:${slug}`, serverText(refusal));
    });
  }

  /** Leaves a room; offline, it is simply forgotten (the server dropped us anyway). */
  async leave(slug: string): Promise<void> {
    const core = this.core;
    const room = core.chat.rooms[slug];
    if (room !== undefined && room.presence === 'joined' && core.live) {
      try {
        await core.connection.request({ type: 'leave', room: slug });
      } catch {
        // Dropped meanwhile: the server has forgotten us already.
      }
    }
    // The `left` reply has forgotten it already, unless offline.
    forgetRoom(core.chat, slug);
    core.screen.roomClosed(slug);
  }

  async createRoom(name: string, topic: string): Promise<ServerText | null> {
    const core = this.core;
    if (!core.live) return inBothLanguages('error.offline');
    const command: Command = topic.trim() === '' ? { type: 'create_room', name } : { type: 'create_room', name, topic };
    try {
      const reply = await core.connection.request(command);
      if (reply.type === 'joined') {
        core.screen.show({ kind: 'room', slug: reply.room.slug });
        return null;
      }
      return reply.type === 'error' ? textOf(reply) : null;
    } catch {
      return inBothLanguages('error.offline');
    }
  }

  /** Says something in a room (queued while offline). */
  say(slug: string, text: string, reply?: RoomMessage): void {
    const room = this.core.chat.rooms[slug];
    if (room === undefined || isBlank(text)) return;
    const body = replaceShortcodes(text.trim());
    const replyRef = reply ? { id: reply.id, nick: reply.author.nick, excerpt: excerpt(reply.body) } : undefined;
    enqueue(this.core.chat, room.outbox, body, Date.now(), replyRef);
    this.core.outbox.queued(`room:${slug}`);
  }

  /** I am typing in a room: tell the others, at most every few seconds. */
  typingInRoom(slug: string): void {
    const core = this.core;
    const room = core.chat.rooms[slug];
    if (room === undefined || room.presence !== 'joined' || room.summary.members > TYPING_ROOM_LIMIT) return;
    if (isMuted(core.chat, Date.now())) return;
    if (core.outbox.throttled(`room:${slug}`)) return;
    core.connection.send({ type: 'room_typing', room: slug });
  }

  /** Entered (again): back into every room I was in; their queued messages follow. */
  rejoin(): void {
    const core = this.core;
    for (const slug of [...core.chat.roomOrder]) {
      const room = core.chat.rooms[slug];
      if (room === undefined || room.presence === 'joined' || room.presence === 'gone') continue;
      core.connection.request({ type: 'join', room: slug }).then(
        (reply) => {
          if (reply.type === 'joined') core.outbox.flush();
          else if (reply.type === 'error') this.roomLost(slug, textOf(reply));
        },
        () => {},
      );
    }
  }

  /** Entered: open the room the page's address named, if any. */
  openLinkedRoom(): void {
    const linked = this.linkedRoom;
    if (linked === null) return;
    void this.joinOrSay(linked).then(() => {
      this.linkedRoom = null;
    });
  }

  /** A room could not be rejoined (it vanished, or is full): say so in it. */
  private roomLost(slug: string, why: ServerText): void {
    const room = this.core.chat.rooms[slug];
    if (room === undefined) return;
    room.presence = 'gone';
    for (const outgoing of room.outbox) {
      if (outgoing.status !== 'failed') {
        outgoing.status = 'failed';
        outgoing.error = why;
      }
    }
  }
}

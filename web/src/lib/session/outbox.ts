// What the person sends, until the server takes it: the queued messages of
// rooms and conversations alike (sent as soon as the link and the room
// allow, refused ones kept with the server's reason, slow mode waited out,
// a mute's refusal never sent again by itself), and the typing signals, at
// most one every few seconds per room or person.

import { confirmSent, type Outgoing, type ServerText } from '../chat';
import { formatUntil } from '../format';
import { inBothLanguages, textOf } from '../i18n/index.svelte';
import type { Command } from '../protocol/Command';
import type { Event } from '../protocol/Event';
import type { UserId } from '../protocol/UserId';
import type { SessionCore } from './core.svelte';

/** Send a typing signal at most this often per room or person. */
export const TYPING_EVERY_MS = 3000;

/**
 * "Muted until 15:40", in both languages: a refused message's error, and
 * the composer's note; `byAddress`: the mute binds the address I connect
 * from, not me.
 */
export function mutedText(until: number, now: number, byAddress = false): ServerText {
  const key = byAddress ? 'sanction.address_muted_until' : 'sanction.muted_until';
  return inBothLanguages(key, (locale) => ({ time: formatUntil(until, now, locale) }));
}

type ErrorReply = Extract<Event, { type: 'error' }>;

export class Outbox {
  private readonly core: SessionCore;
  private slowModeTimers = new Set<ReturnType<typeof setTimeout>>();
  /** When the last typing signal went out, per room (`room:slug`) or person (`dm:id`). */
  private lastTyping = new Map<string, number>();

  constructor(core: SessionCore) {
    this.core = core;
  }

  /**
   * A message was queued from a room (`room:slug`) or a conversation
   * (`dm:id`): send it if it can go, and let the next keystroke there
   * signal typing again at once.
   */
  queued(place: string): void {
    this.lastTyping.delete(place);
    this.flush();
  }

  /** Sends every queued message whose room or conversation is ready. */
  flush(): void {
    const core = this.core;
    if (!core.live) return;
    for (const [slug, room] of Object.entries(core.chat.rooms)) {
      if (room.presence !== 'joined') continue;
      for (const outgoing of room.outbox) {
        if (outgoing.status !== 'queued') continue;
        const command: Command = outgoing.reply
          ? { type: 'say', room: slug, body: outgoing.body, reply_to: outgoing.reply.id }
          : { type: 'say', room: slug, body: outgoing.body };
        this.transmit(outgoing, command);
      }
    }
    for (const [peer, conversation] of Object.entries(core.chat.conversations)) {
      for (const outgoing of conversation.outbox) {
        if (outgoing.status !== 'queued') continue;
        this.transmit(outgoing, { type: 'dm', to: peer, body: outgoing.body }, peer);
      }
    }
  }

  /** Sends a failed message again. */
  retry(outgoing: Outgoing): void {
    if (outgoing.status !== 'failed') return;
    outgoing.status = 'queued';
    outgoing.error = undefined;
    this.flush();
  }

  /** Gives up a failed or queued message. */
  discard(outbox: Outgoing[], outgoing: Outgoing): void {
    const at = outbox.findIndex((known) => known.localId === outgoing.localId);
    if (at >= 0 && outgoing.status !== 'sending') outbox.splice(at, 1);
  }

  /** True when a typing signal for `place` went out too recently; else notes that one goes now. */
  throttled(place: string): boolean {
    const now = Date.now();
    const last = this.lastTyping.get(place);
    if (last !== undefined && now - last < TYPING_EVERY_MS) return true;
    this.lastTyping.set(place, now);
    return false;
  }

  /** The person left the chat: nothing waits for slow mode any more. */
  cancelTimers(): void {
    for (const timer of this.slowModeTimers) clearTimeout(timer);
    this.slowModeTimers.clear();
  }

  private transmit(outgoing: Outgoing, command: Command, peer?: UserId): void {
    outgoing.status = 'sending';
    outgoing.error = undefined;
    this.core.connection.request(command).then(
      (event) => {
        if (outgoing.status !== 'sending') return;
        if (event.type === 'sent') {
          confirmSent(this.core.chat, outgoing, event.id);
        } else if (event.type === 'error') {
          this.refused(outgoing, event, peer);
        }
      },
      () => {
        // The drop has already marked it (unsure or failed).
      },
    );
  }

  private refused(outgoing: Outgoing, error: ErrorReply, peer?: UserId): void {
    if (error.code === 'muted' || error.code === 'address_muted') {
      // Kept, and not sent again by itself: a mute lasts minutes or days,
      // and the person decides whether the message still makes sense then.
      outgoing.status = 'failed';
      const until = this.core.chat.mutedUntil;
      outgoing.error =
        until === null ? textOf(error) : mutedText(until, Date.now(), error.code === 'address_muted');
      return;
    }
    if (error.code === 'slow_mode' && error.retry_after_ms !== undefined) {
      // Slow mode: the message goes out by itself when allowed.
      outgoing.status = 'queued';
      outgoing.error = textOf(error);
      const timer = setTimeout(() => {
        this.slowModeTimers.delete(timer);
        this.flush();
      }, error.retry_after_ms + 100);
      this.slowModeTimers.add(timer);
      return;
    }
    outgoing.status = 'failed';
    outgoing.error = textOf(error);
    if (peer !== undefined) {
      const conversation = this.core.chat.conversations[peer];
      if (conversation && error.code === 'user_not_found') conversation.online = false;
      if (conversation && error.code === 'dm_refused') conversation.refused = true;
    }
  }
}

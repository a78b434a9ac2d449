// The member account, as the session handles it: reserving my nickname
// (the recovery codes come back once), changing the password, deleting the
// account. Each keeps the secret a reconnection enters with up to date.

import type { ServerText } from '../chat';
import { inBothLanguages, textOf } from '../i18n/index.svelte';
import type { Command } from '../protocol/Command';
import type { Event } from '../protocol/Event';
import type { SessionCore } from './core.svelte';

export class Account {
  private readonly core: SessionCore;

  constructor(core: SessionCore) {
    this.core = core;
  }

  /** Reserves my nickname; the recovery codes on success, else the refusal. */
  async register(password: string, email: string): Promise<{ codes: string[] } | { refusal: ServerText }> {
    const command: Command = email.trim() === '' ? { type: 'register', password } : { type: 'register', password, email };
    const reply = await this.request(command);
    if ('refusal' in reply) return reply;
    if (reply.event.type !== 'registered') return { refusal: inBothLanguages('error.offline') };
    this.core.entry.rememberSecret({ kind: 'password', value: password });
    return { codes: reply.event.recovery_codes };
  }

  /** Changes my password (`current` may be empty right after a recovery). */
  async changePassword(current: string, next: string): Promise<ServerText | null> {
    const command: Command =
      current === '' ? { type: 'change_password', new_password: next } : { type: 'change_password', current, new_password: next };
    const reply = await this.request(command);
    if ('refusal' in reply) return reply.refusal;
    if (reply.event.type === 'ok') this.core.entry.rememberSecret({ kind: 'password', value: next });
    return null;
  }

  /** Deletes my account for good; I stay as a guest. */
  async deleteAccount(password: string): Promise<ServerText | null> {
    const reply = await this.request({ type: 'delete_account', password });
    if ('refusal' in reply) return reply.refusal;
    if (reply.event.type === 'ok') {
      this.core.entry.rememberSecret(null);
      if (this.core.chat.me) this.core.chat.me.member = false;
    }
    return null;
  }

  /** Sends an account command: its answer, or why there is none (offline, or the server's refusal). */
  private async request(command: Command): Promise<{ event: Event } | { refusal: ServerText }> {
    if (!this.core.live) return { refusal: inBothLanguages('error.offline') };
    try {
      const event = await this.core.connection.request(command);
      return event.type === 'error' ? { refusal: textOf(event) } : { event };
    } catch {
      return { refusal: inBothLanguages('error.offline') };
    }
  }
}

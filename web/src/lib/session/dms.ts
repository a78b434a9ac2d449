// Private conversations, as the session handles them: opening one, sending
// and typing, telling the other person what I read, who may write to me
// (re-applied after every entry), and after a reconnection which of my
// conversation partners are still online.

import { enqueue, isMuted, openConversation } from '../chat';
import { replaceShortcodes } from '../emoji';
import { isBlank } from '../format';
import { compareIds } from '../ids';
import type { UserId } from '../protocol/UserId';
import type { UserSummary } from '../protocol/UserSummary';
import { saveSettings } from '../storage';
import type { SessionCore } from './core.svelte';

export class Dms {
  private readonly core: SessionCore;

  constructor(core: SessionCore) {
    this.core = core;
  }

  /** Opens the conversation with someone and shows it. */
  openDm(user: UserSummary): void {
    openConversation(this.core.chat, user, Date.now());
    this.core.screen.profileCard = null;
    this.core.screen.show({ kind: 'dm', peer: user.id });
  }

  sendDm(peer: UserId, text: string): void {
    const conversation = this.core.chat.conversations[peer];
    if (conversation === undefined || isBlank(text)) return;
    enqueue(this.core.chat, conversation.outbox, replaceShortcodes(text.trim()), Date.now());
    this.core.outbox.queued(`dm:${peer}`);
  }

  typingToPeer(peer: UserId): void {
    const core = this.core;
    const conversation = core.chat.conversations[peer];
    if (conversation === undefined || !conversation.online || conversation.refused) return;
    if (isMuted(core.chat, Date.now())) return;
    if (core.outbox.throttled(`dm:${peer}`)) return;
    core.connection.send({ type: 'dm_typing', to: peer });
  }

  /** Tells the other person I read the conversation, when there is something new. */
  markSeen(peer: UserId): void {
    const core = this.core;
    const conversation = core.chat.conversations[peer];
    if (conversation === undefined || !core.live || !conversation.online) return;
    const last = conversation.messages.findLast((message) => message.from.id === peer);
    if (last === undefined) return;
    if (conversation.readUpTo !== undefined && compareIds(last.id, conversation.readUpTo) <= 0) return;
    if (core.connection.send({ type: 'dm_seen', with: peer, up_to: last.id })) {
      conversation.readUpTo = last.id;
    }
  }

  async setDmPrivacy(accept: boolean): Promise<void> {
    const core = this.core;
    core.settings.acceptDms = accept;
    saveSettings(core.settings);
    if (core.live) {
      await core.connection.request({ type: 'set_dm_privacy', accept: accept ? 'everyone' : 'nobody' }).catch(() => {});
    }
  }

  /** Entered (again): the server starts from "everyone may write"; say "nobody" again if that is the setting. */
  reapplyPrivacy(): void {
    if (!this.core.settings.acceptDms) {
      this.core.connection.request({ type: 'set_dm_privacy', accept: 'nobody' }).catch(() => {});
    }
  }

  /** Whom of our conversation partners the drop left online. */
  refreshConversations(): void {
    const core = this.core;
    for (const conversation of Object.values(core.chat.conversations)) {
      core.connection.request({ type: 'users', search: conversation.peer.nick, page_size: 20 }).then(
        (reply) => {
          if (reply.type !== 'user_list') return;
          const found = reply.users.find((user) => user.id === conversation.peer.id);
          const live = core.chat.conversations[conversation.peer.id];
          if (live === undefined) return;
          live.online = found !== undefined;
          if (found) live.profile = found;
        },
        () => {},
      );
    }
  }
}

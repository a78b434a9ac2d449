// Private conversations, against a fake server: opening one, sending, the
// "seen" signal, "no private messages" said again after every entry, and
// someone's away message reaching our conversation.

import { describe, expect, it, vi } from 'vitest';
import { user } from '../testing/fixtures';
import { settle, useTab } from '../testing/tab';

describe('private messages', () => {
  const tab = useTab();

  it('re-applies "no private messages" after re-entering', async () => {
    await tab.entered('1');
    const saved = tab.session.setDmPrivacy(false);
    tab.socket.push({ type: 'ok', req: tab.socket.last('set_dm_privacy').req });
    await saved;
    expect(tab.session.settings.acceptDms).toBe(false);
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await tab.welcome();
    await tab.enterAs('2');
    expect(tab.socket.last('set_dm_privacy')).toMatchObject({ accept: 'nobody' });
  });

  it('opens a conversation, sends, and says it was seen', async () => {
    await tab.entered('1');
    const bob = user('9', 'Bob');
    tab.session.openDm(bob);
    expect(tab.session.view).toEqual({ kind: 'dm', peer: '9' });
    tab.session.sendDm('9', 'Coucou');
    expect(tab.socket.last('dm')).toMatchObject({ to: '9', body: 'Coucou' });
    tab.socket.push({
      type: 'dm',
      id: '50',
      from: { id: '9', nick: 'Bob', member: false },
      to: { id: '1', nick: 'Alice', member: false },
      body: 'Salut !',
      at: 1,
    });
    await settle();
    // The conversation is on screen: its reader tells Bob.
    expect(tab.socket.last('dm_seen')).toMatchObject({ with: '9', up_to: '50' });
    expect(tab.session.chat.conversations['9'].unread).toBe(0);
  });

  it('shows that the other person is away, and back', async () => {
    const bob = user('9', 'Bob');
    await tab.inParis('1', [{ user: { ...bob }, role: 'member' }]);
    tab.session.openDm(bob);
    tab.socket.push({ type: 'away', user: { id: '9', nick: 'Bob', member: false }, message: 'Au cinéma' });
    expect(tab.session.chat.conversations['9'].profile?.away).toBe('Au cinéma');
    tab.socket.push({ type: 'away', user: { id: '9', nick: 'Bob', member: false } });
    expect(tab.session.chat.conversations['9'].profile?.away).toBeUndefined();
  });
});

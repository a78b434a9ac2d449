// What is on screen, against a fake server: the unread marker of a room
// just opened, notices that have served their purpose once their
// conversation is open, and the copies of people the screen holds (the
// profile card, the people list) following away messages.

import { describe, expect, it } from 'vitest';
import { roomMessage, user } from '../testing/fixtures';
import { settle, useTab } from '../testing/tab';

describe('the screen', () => {
  const tab = useTab();

  it('remembers what was unread in a room when opening it, then clears it', async () => {
    await tab.inParis('1');
    tab.session.show({ kind: 'home' });
    for (const id of ['60', '61']) {
      tab.socket.push({ type: 'message', ...roomMessage('paris', id, user('9', 'Bob'), `m${id}`) });
    }
    expect(tab.session.chat.rooms.paris.unread).toBe(2);
    tab.session.show({ kind: 'room', slug: 'paris' });
    expect(tab.session.openedWithUnread).toBe(2);
    expect(tab.session.chat.rooms.paris.unread).toBe(0);
  });

  it('drops the notice of a private message once its conversation or the list is opened', async () => {
    await tab.entered('1');
    const fromBob = (id: string) =>
      tab.socket.push({ type: 'dm', id, from: { id: '9', nick: 'Bob', member: false }, to: { id: '1', nick: 'Alice', member: false }, body: 'Salut', at: 1 });
    fromBob('50');
    await settle();
    expect(tab.session.toasts.map((toast) => toast.key)).toEqual(['dm:9']);
    tab.session.show({ kind: 'dm', peer: '9' });
    expect(tab.session.toasts).toEqual([]);

    tab.session.show({ kind: 'home' });
    fromBob('51');
    await settle();
    expect(tab.session.toasts).toHaveLength(1);
    tab.session.showPanel('messages');
    expect(tab.session.toasts).toEqual([]);
  });

  it("keeps the profile card's copy of someone current with their away message, and refreshes the people list", async () => {
    const bob = user('9', 'Bob');
    await tab.inParis('1', [{ user: { ...bob }, role: 'member' }]);
    const author = { id: '9', nick: 'Bob', member: false };
    // Opened from the people list: the card holds the list's copy.
    tab.session.showProfile(author, { ...bob });
    const version = tab.session.presenceVersion;
    tab.socket.push({ type: 'away', user: author, message: 'Au cinéma' });
    expect(tab.session.profileCard?.user?.away).toBe('Au cinéma');
    expect(tab.session.chat.rooms.paris.members[0].user.away).toBe('Au cinéma');
    expect(tab.session.presenceVersion).toBe(version + 1);

    // Opened from the room: the card holds what the room knows.
    tab.session.showProfile(author);
    tab.socket.push({ type: 'away', user: author });
    expect(tab.session.profileCard?.user).toMatchObject({ nick: 'Bob' });
    expect(tab.session.profileCard?.user?.away).toBeUndefined();
    expect(tab.session.presenceVersion).toBe(version + 2);
  });

  it("leaves someone else's profile card alone", async () => {
    await tab.inParis('1');
    tab.session.showProfile({ id: '5', nick: 'Zoé', member: false }, user('5', 'Zoé'));
    tab.socket.push({ type: 'away', user: { id: '9', nick: 'Bob', member: false }, message: 'Au cinéma' });
    expect(tab.session.profileCard?.user?.away).toBeUndefined();
  });
});

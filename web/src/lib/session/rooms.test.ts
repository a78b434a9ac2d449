// The rooms, against a fake server: a room that vanished during a drop, a
// room link joined once entered, and what a room operator's kick and
// invitation do: put out, the room leaves my screen and a notice that waits
// says who, where and why, with the way back in (which a room ban refuses,
// saying so); someone else put out leaves the member list; an invitation
// offers to join.

import { describe, expect, it, vi } from 'vitest';
import type { Author } from '../protocol/Author';
import type { RoomMember } from '../protocol/RoomMember';
import { errorEvent as error, user } from '../testing/fixtures';
import { settle, useTab } from '../testing/tab';

const ALICE: Author = { id: '1', nick: 'Alice', member: false };
const BOB: Author = { id: '9', nick: 'Bob', member: false };
const KARIM: Author = { id: '7', nick: 'Karim', member: false };
const ZOE: Author = { id: '8', nick: 'Zoé', member: false };
const member = (author: Author): RoomMember => ({ user: user(author.id, author.nick), role: 'member' });

describe('rooms', () => {
  const tab = useTab();

  it('marks a room that vanished during the drop, with its unsent messages', async () => {
    await tab.inParis('1');
    tab.socket.drop();
    tab.session.say('paris', 'personne ?');
    await vi.advanceTimersByTimeAsync(1000);
    await tab.welcome();
    await tab.enterAs('2');
    tab.socket.push(error(tab.socket.last('join').req, 'room_not_found'));
    await settle();
    expect(tab.session.chat.rooms.paris.presence).toBe('gone');
    expect(tab.session.chat.rooms.paris.outbox[0]).toMatchObject({ status: 'failed', error: { en: 'en:room_not_found' } });
  });

  it('joins the room its address names once entered (a shared room link)', async () => {
    tab.open('/salon/paris');
    expect(tab.session.linkedRoom).toBe('paris');
    await tab.entered('1');
    expect(tab.socket.last('join')).toMatchObject({ room: 'paris' });
    expect(tab.session.linkedRoom).toBe('paris');
    await tab.joinParis();
    expect(tab.session.view).toEqual({ kind: 'room', slug: 'paris' });
    expect(tab.session.linkedRoom).toBeNull();
  });


});

describe('rooms and their operators', () => {
  const tab = useTab();

  /** The person acts on the notice: it joins Paris, which opens. */
  async function joinFromTheNotice() {
    tab.session.toasts[0].action?.run();
    expect(tab.socket.last('join')).toMatchObject({ room: 'paris' });
    await tab.joinParis();
    expect(tab.session.view).toEqual({ kind: 'room', slug: 'paris' });
  }

  it('put out of the room on screen: back to the directory, with a notice that waits, then back in by hand', async () => {
    await tab.inParis('1');
    tab.session.peopleRoom = 'paris';
    tab.socket.push({ type: 'kicked', room: 'paris', user: ALICE, by: BOB, reason: 'Pas de pub ici' });
    expect(tab.session.chat.rooms.paris).toBeUndefined();
    expect(tab.session.chat.roomOrder).toEqual([]);
    expect(tab.session.view).toEqual({ kind: 'home' });
    expect(tab.session.peopleRoom).toBe('');
    expect(tab.session.toasts).toEqual([
      expect.objectContaining({
        key: 'room:paris:kicked:1',
        text: 'Bob vous a fait sortir du salon Paris.',
        detail: 'Motif : Pas de pub ici',
        sticky: true,
        action: expect.objectContaining({ label: 'Revenir dans le salon' }),
      }),
    ]);
    // Longer than a passing notice stays (and short of the fake server's missed ping).
    await vi.advanceTimersByTimeAsync(20_000);
    expect(tab.session.toasts).toHaveLength(1);

    await joinFromTheNotice();
  });

  it('put out without a reason: the notice gives none; a reconnection does not rejoin the room', async () => {
    await tab.inParis('1');
    tab.socket.push({ type: 'kicked', room: 'paris', user: ALICE, by: BOB, reason: '' });
    expect(tab.session.toasts[0].detail).toBeUndefined();
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await tab.welcome();
    await tab.enterAs('2');
    expect(tab.socket.commands('join')).toEqual([]);
  });

  it('back in from the directory: the notice of the kick has served its purpose', async () => {
    await tab.inParis('1');
    tab.socket.push({ type: 'kicked', room: 'paris', user: ALICE, by: BOB, reason: '' });
    void tab.session.join('paris');
    await tab.joinParis();
    expect(tab.session.toasts).toEqual([]);
  });

  it('put out of a room not on screen: what is on screen stays', async () => {
    await tab.inParis('1');
    tab.session.show({ kind: 'settings' });
    tab.socket.push({ type: 'kicked', room: 'paris', user: ALICE, by: BOB, reason: '' });
    expect(tab.session.view).toEqual({ kind: 'settings' });
    expect(tab.session.toasts.map((toast) => toast.text)).toEqual(['Bob vous a fait sortir du salon Paris.']);
  });

  it('going back into a room that bans me says why', async () => {
    await tab.inParis('1');
    tab.socket.push({ type: 'kicked', room: 'paris', user: ALICE, by: BOB, reason: '' });
    tab.session.toasts[0].action?.run();
    tab.socket.push(error(tab.socket.last('join').req, 'banned_from_room'));
    await settle();
    expect(tab.session.view).toEqual({ kind: 'home' });
    expect(tab.session.toasts.map((toast) => toast.text)).toContain('fr:banned_from_room');
  });

  it('someone else put out leaves the member list; the room on screen is told, a room elsewhere is not', async () => {
    await tab.inParis('1', [member(KARIM), member(BOB), member(ALICE)]);
    tab.socket.push({ type: 'room_typing', room: 'paris', user: KARIM });
    tab.socket.push({ type: 'kicked', room: 'paris', user: KARIM, by: BOB, reason: 'Pas de pub ici' });
    tab.socket.push({ type: 'member_left', room: 'paris', user: KARIM.id, nick: 'Karim' });
    const paris = tab.session.chat.rooms.paris;
    expect(paris.members.map((known) => known.user.nick)).toEqual(['Bob', 'Alice']);
    expect(paris.summary.members).toBe(2);
    expect(paris.typing).toEqual([]);
    expect(tab.session.toasts).toEqual([
      expect.objectContaining({ text: 'Bob a fait sortir Karim du salon Paris.', detail: 'Motif : Pas de pub ici' }),
    ]);
    expect(tab.session.toasts[0].sticky).toBeUndefined();

    tab.session.show({ kind: 'home' });
    tab.socket.push({ type: 'kicked', room: 'paris', user: BOB, by: KARIM, reason: '' });
    expect(tab.session.toasts).toHaveLength(1);
    // The operator who did it is told wherever they are.
    tab.socket.push({ type: 'kicked', room: 'paris', user: BOB, by: ALICE, reason: '' });
    expect(tab.session.toasts.map((toast) => toast.text)).toEqual([
      'Bob a fait sortir Karim du salon Paris.',
      'Vous avez fait sortir Bob du salon Paris.',
    ]);
  });

  it('an invitation waits, with a way to join', async () => {
    await tab.entered('1');
    tab.socket.push({ type: 'invited', room: 'paris', user: ALICE, by: BOB });
    expect(tab.session.toasts).toEqual([
      expect.objectContaining({
        text: 'Bob vous invite dans le salon Paris.',
        sticky: true,
        action: expect.objectContaining({ label: 'Rejoindre' }),
      }),
    ]);
    await joinFromTheNotice();
  });

  it('someone else invited: the room on screen is told; the one who invited is told anywhere', async () => {
    await tab.inParis('1');
    tab.socket.push({ type: 'invited', room: 'paris', user: KARIM, by: BOB });
    expect(tab.session.toasts.map((toast) => toast.text)).toEqual(['Bob a invité Karim dans le salon Paris.']);
    tab.session.show({ kind: 'home' });
    tab.socket.push({ type: 'invited', room: 'paris', user: KARIM, by: BOB });
    expect(tab.session.toasts).toHaveLength(1);
    tab.socket.push({ type: 'invited', room: 'paris', user: ZOE, by: ALICE });
    expect(tab.session.toasts.map((toast) => toast.text)).toEqual([
      'Bob a invité Karim dans le salon Paris.',
      'Vous avez invité Zoé dans le salon Paris.',
    ]);
  });
});

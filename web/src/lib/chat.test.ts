// The chat reducers, on plain objects: the directory, rooms and their
// members, operators' kicks and invitations, away messages, accounts,
// typing, private messages, the outbox across a drop, and sanctions.

import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  emptyChat,
  enqueue,
  expireMute,
  expireTyping,
  isMuted,
  linkLost,
  markRead,
  MAX_KEPT_MESSAGES,
  TYPING_SHOWN_MS,
  unreadTotals,
  type ChatState,
} from './chat';
import type { Event } from './protocol/Event';
import { directMessage, errorEvent, room, roomMessage, sanctionNotice, user } from './testing/fixtures';

const alice = user('1001', 'Alice');
const bob = user('1002', 'Bob', { gender: 'homme' });
const NOW = 1_800_000_000_000;

function entered(rooms = [room('paris'), room('lyon')]): ChatState {
  const state = emptyChat();
  applyEvent(state, { type: 'entered', you: alice, band: 'adult', rooms }, NOW);
  return state;
}

function joined(state: ChatState, slug: string, history = [] as ReturnType<typeof roomMessage>[]): void {
  applyEvent(
    state,
    { type: 'joined', room: room(slug, { members: 2 }), members: [{ user: alice, role: 'member' }], history, role: 'member' },
    NOW,
  );
}

function apply(state: ChatState, ...events: Event[]) {
  return events.flatMap((event) => applyEvent(state, event, NOW));
}

describe('directory', () => {
  it('comes with entry and follows counts, additions, updates and removals', () => {
    const state = entered();
    expect(state.me?.nick).toBe('Alice');
    expect(state.myIds).toEqual(['1001']);
    expect(state.band).toBe('adult');
    apply(
      state,
      { type: 'room_counts', counts: [{ room: 'paris', members: 13 }] },
      { type: 'room_added', room: room('fans-de-zoe', { name: 'Fans de Zoé', user_created: true, members: 0 }) },
      { type: 'room_updated', room: room('lyon', { topic: 'Entre Rhône et Saône' }) },
      { type: 'room_removed', room: 'fans-de-zoe' },
    );
    expect(state.directory.map((listed) => [listed.slug, listed.members, listed.topic])).toEqual([
      ['paris', 13, ''],
      ['lyon', 1, 'Entre Rhône et Saône'],
    ]);
  });

  it('updates the count and flags of a joined room too', () => {
    const state = entered();
    joined(state, 'paris');
    apply(
      state,
      { type: 'room_counts', counts: [{ room: 'paris', members: 7 }] },
      { type: 'room_updated', room: room('paris', { members: 7, flags: { ...room('paris').flags, moderated: true, slow_mode_secs: 5, capacity: 30 } }) },
    );
    expect(state.rooms.paris.summary.members).toBe(7);
    expect(state.rooms.paris.summary.flags.slow_mode_secs).toBe(5);
  });
});

describe('rooms', () => {
  it('keep scrollback, members and join order', () => {
    const state = entered();
    joined(state, 'lyon');
    joined(state, 'paris', [roomMessage('paris', '10', bob, 'Salut')]);
    expect(state.roomOrder).toEqual(['lyon', 'paris']);
    expect(state.rooms.paris.messages.map((message) => message.body)).toEqual(['Salut']);
    apply(
      state,
      { type: 'member_joined', room: 'paris', member: { user: bob, role: 'member' } },
      { type: 'member_role', room: 'paris', user: '1002', nick: 'Bob', previous: 'member', role: 'voiced' },
    );
    expect(state.rooms.paris.members.map((member) => [member.user.nick, member.role])).toEqual([
      ['Alice', 'member'],
      ['Bob', 'voiced'],
    ]);
    expect(state.rooms.paris.summary.members).toBe(2);
    apply(state, { type: 'member_left', room: 'paris', user: '1002', nick: 'Bob' }, { type: 'left', room: 'lyon' });
    expect(state.rooms.paris.members).toHaveLength(1);
    expect(state.rooms.paris.summary.members).toBe(1);
    expect(state.rooms.lyon).toBeUndefined();
    expect(state.roomOrder).toEqual(['paris']);
  });

  it('forget someone who quit the site in every room at once', () => {
    const state = entered();
    joined(state, 'paris');
    joined(state, 'lyon');
    for (const slug of ['paris', 'lyon']) {
      apply(state, { type: 'member_joined', room: slug, member: { user: bob, role: 'member' } });
    }
    apply(state, { type: 'room_typing', room: 'lyon', user: { id: bob.id, nick: 'Bob', member: false } });
    expect(state.rooms.lyon.typing).toHaveLength(1);
    apply(state, { type: 'member_quit', user: bob.id, nick: 'Bob' });
    for (const slug of ['paris', 'lyon']) {
      expect(state.rooms[slug].members.map((member) => member.user.nick)).toEqual(['Alice']);
      expect(state.rooms[slug].summary.members).toBe(1);
    }
    expect(state.rooms.lyon.typing).toEqual([]);
  });

  it('count unread messages where the person is not looking, and mentions', () => {
    const state = entered();
    joined(state, 'paris');
    joined(state, 'lyon');
    state.focus = { kind: 'room', slug: 'lyon' };
    const notices = apply(
      state,
      { type: 'message', ...roomMessage('paris', '20', bob, 'coucou') },
      { type: 'message', ...roomMessage('paris', '21', bob, '@Alice ça va ?', { mentions: ['1001'] }) },
      { type: 'message', ...roomMessage('lyon', '22', bob, 'ici aussi') },
    );
    expect(state.rooms.paris.unread).toBe(2);
    expect(state.rooms.paris.mentioned).toBe(true);
    expect(state.rooms.lyon.unread).toBe(0);
    expect(notices).toEqual([{ kind: 'mention', message: expect.objectContaining({ id: '21' }), joined: true }]);
    expect(unreadTotals(state)).toEqual({ rooms: 2, dms: 0 });
    markRead(state, { kind: 'room', slug: 'paris' });
    expect(state.rooms.paris.unread).toBe(0);
    expect(state.rooms.paris.mentioned).toBe(false);
  });

  it('count nothing for my own messages, nor while the page is hidden… but do count then', () => {
    const state = entered();
    joined(state, 'paris');
    state.focus = { kind: 'room', slug: 'paris' };
    apply(state, { type: 'message', ...roomMessage('paris', '30', alice, 'moi') });
    expect(state.rooms.paris.unread).toBe(0);
    state.attentive = false;
    apply(state, { type: 'message', ...roomMessage('paris', '31', bob, 'toi') });
    expect(state.rooms.paris.unread).toBe(1);
  });

  it('order messages by id and skip duplicates (scrollback after a rejoin)', () => {
    const state = entered();
    joined(state, 'paris', [roomMessage('paris', '100', bob, 'a'), roomMessage('paris', '300', bob, 'c')]);
    apply(state, { type: 'message', ...roomMessage('paris', '300', bob, 'c') });
    joined(state, 'paris', [roomMessage('paris', '200', bob, 'b'), roomMessage('paris', '300', bob, 'c')]);
    // Ids are compared as numbers, not as text: 1000 comes after 300.
    apply(state, { type: 'message', ...roomMessage('paris', '1000', bob, 'd') });
    expect(state.rooms.paris.messages.map((message) => message.body)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keep a bounded number of messages', () => {
    const state = entered();
    joined(state, 'paris');
    for (let index = 1; index <= MAX_KEPT_MESSAGES + 10; index += 1) {
      apply(state, { type: 'message', ...roomMessage('paris', String(index), bob, `m${index}`) });
    }
    expect(state.rooms.paris.messages).toHaveLength(MAX_KEPT_MESSAGES);
    expect(state.rooms.paris.messages[0].body).toBe('m11');
  });

  it('report a mention from a room I am not in', () => {
    const state = entered();
    const notices = apply(state, {
      type: 'mention',
      message: roomMessage('entraide', '40', bob, '@Alice tu connais un garagiste ?', { mentions: ['1001'] }),
    });
    expect(notices).toEqual([{ kind: 'mention', message: expect.objectContaining({ room: 'entraide' }), joined: false }]);
  });
});

describe('room operators', () => {
  const karim = user('1003', 'Karim', { gender: 'homme' });
  const by = { id: bob.id, nick: 'Bob', member: false };

  it('put me out of a room: it leaves my state, and the notice says who, where and why', () => {
    const state = entered();
    joined(state, 'paris');
    joined(state, 'lyon');
    state.focus = { kind: 'room', slug: 'paris' };
    const notices = apply(state, {
      type: 'kicked',
      room: 'paris',
      user: { id: alice.id, nick: 'Alice', member: false },
      by,
      reason: 'Pas de pub ici',
    });
    expect(state.rooms.paris).toBeUndefined();
    expect(state.roomOrder).toEqual(['lyon']);
    expect(state.focus).toBeNull();
    // The directory still lists it: I may join again.
    expect(state.directory.map((listed) => listed.slug)).toContain('paris');
    expect(notices).toEqual([
      { kind: 'kicked', room: 'paris', name: 'Paris', user: { id: alice.id, nick: 'Alice', member: false }, by, reason: 'Pas de pub ici', mine: true },
    ]);
  });

  it('put someone else out: they leave the member list, its count and who is typing', () => {
    const state = entered();
    joined(state, 'paris');
    apply(
      state,
      { type: 'member_joined', room: 'paris', member: { user: karim, role: 'member' } },
      { type: 'room_typing', room: 'paris', user: { id: karim.id, nick: 'Karim', member: false } },
    );
    const notices = apply(state, { type: 'kicked', room: 'paris', user: { id: karim.id, nick: 'Karim', member: false }, by, reason: '' });
    expect(state.rooms.paris.members.map((member) => member.user.nick)).toEqual(['Alice']);
    expect(state.rooms.paris.summary.members).toBe(1);
    expect(state.rooms.paris.typing).toEqual([]);
    expect(notices).toEqual([expect.objectContaining({ kind: 'kicked', mine: false, reason: '', name: 'Paris' })]);
    // The member_left that follows changes nothing more.
    apply(state, { type: 'member_left', room: 'paris', user: karim.id, nick: 'Karim' });
    expect(state.rooms.paris.summary.members).toBe(1);
  });

  it('say nothing of a kick in a room I am not in', () => {
    const state = entered();
    expect(apply(state, { type: 'kicked', room: 'paris', user: { id: karim.id, nick: 'Karim', member: false }, by, reason: '' })).toEqual([]);
  });

  it('invite me into a room, named as the directory names it', () => {
    const state = entered([room('fans-de-zoe', { name: 'Fans de Zoé', user_created: true })]);
    const notices = apply(state, { type: 'invited', room: 'fans-de-zoe', user: { id: alice.id, nick: 'Alice', member: false }, by });
    expect(notices).toEqual([
      { kind: 'invited', room: 'fans-de-zoe', name: 'Fans de Zoé', user: { id: alice.id, nick: 'Alice', member: false }, by, mine: true },
    ]);
  });

  it('tell the room that someone else was invited', () => {
    const state = entered();
    joined(state, 'paris');
    const notices = apply(state, { type: 'invited', room: 'paris', user: { id: karim.id, nick: 'Karim', member: false }, by });
    expect(notices).toEqual([expect.objectContaining({ kind: 'invited', name: 'Paris', mine: false })]);
  });
});

describe('away', () => {
  const bobAuthor = { id: bob.id, nick: 'Bob', member: false };

  it('is set and cleared on every copy of the person: member lists and our conversation', () => {
    const state = entered();
    joined(state, 'paris');
    joined(state, 'lyon');
    for (const slug of ['paris', 'lyon']) {
      apply(state, { type: 'member_joined', room: slug, member: { user: { ...bob }, role: 'member' } });
    }
    apply(state, { type: 'dm', ...directMessage('70', bob, alice, 'hello') });
    state.conversations['1002'].profile = { ...bob };

    apply(state, { type: 'away', user: bobAuthor, message: 'Au cinéma' });
    const copies = () => [
      ...['paris', 'lyon'].map((slug) => state.rooms[slug].members.find((member) => member.user.id === bob.id)?.user),
      state.conversations['1002'].profile,
    ];
    expect(copies().map((copy) => copy?.away)).toEqual(['Au cinéma', 'Au cinéma', 'Au cinéma']);

    apply(state, { type: 'away', user: bobAuthor });
    expect(copies().map((copy) => copy !== undefined && 'away' in copy)).toEqual([false, false, false]);
  });

  it('gives a conversation opened from a message the profile the room knows', () => {
    const state = entered();
    joined(state, 'paris');
    apply(
      state,
      { type: 'member_joined', room: 'paris', member: { user: { ...bob }, role: 'member' } },
      { type: 'dm', ...directMessage('70', bob, alice, 'hello') },
    );
    expect(state.conversations['1002'].profile).toBeUndefined();
    apply(state, { type: 'away', user: bobAuthor, message: 'Au cinéma' });
    expect(state.conversations['1002'].profile).toMatchObject({ nick: 'Bob', age: 30, away: 'Au cinéma' });
    // A copy: the room's member list is not the conversation's profile.
    expect(state.rooms.paris.members[1].user).not.toBe(state.conversations['1002'].profile);
  });

  it('changes nothing about people the client does not hold', () => {
    const state = entered();
    joined(state, 'paris');
    expect(apply(state, { type: 'away', user: bobAuthor, message: 'Au cinéma' })).toEqual([]);
    expect(state.rooms.paris.members.map((member) => member.user.away)).toEqual([undefined]);
  });
});

describe('accounts', () => {
  it('follow someone who registers, in member lists and our conversation', () => {
    const state = entered();
    joined(state, 'paris');
    apply(state, { type: 'member_joined', room: 'paris', member: { user: { ...bob }, role: 'member' } });
    apply(state, { type: 'dm', ...directMessage('70', bob, alice, 'hello') });
    state.conversations['1002'].profile = { ...bob };
    apply(state, { type: 'account_changed', user: { id: bob.id, nick: 'Bob', member: true }, member: true });
    expect(state.rooms.paris.members[1].user.member).toBe(true);
    expect(state.conversations['1002'].profile?.member).toBe(true);
  });
});

describe('typing', () => {
  it('shows who types in a room until it expires or their message arrives', () => {
    const state = entered();
    joined(state, 'paris');
    apply(state, { type: 'room_typing', room: 'paris', user: { id: '1002', nick: 'Bob', member: false } });
    expect(state.rooms.paris.typing).toEqual([{ id: '1002', nick: 'Bob', until: NOW + TYPING_SHOWN_MS }]);
    apply(state, { type: 'message', ...roomMessage('paris', '50', bob, 'fini') });
    expect(state.rooms.paris.typing).toEqual([]);

    apply(state, { type: 'room_typing', room: 'paris', user: { id: '1002', nick: 'Bob', member: false } });
    expect(expireTyping(state, NOW + TYPING_SHOWN_MS - 1)).toBe(false);
    expect(expireTyping(state, NOW + TYPING_SHOWN_MS)).toBe(true);
    expect(state.rooms.paris.typing).toEqual([]);
  });

  it('shows typing in a conversation, and clears it on their message', () => {
    const state = entered();
    apply(state, { type: 'dm', ...directMessage('60', bob, alice, 'hello') });
    apply(state, { type: 'dm_typing', user: { id: '1002', nick: 'Bob', member: false } });
    expect(state.conversations['1002'].typingUntil).toBe(NOW + TYPING_SHOWN_MS);
    apply(state, { type: 'dm', ...directMessage('61', bob, alice, 'encore') });
    expect(state.conversations['1002'].typingUntil).toBe(0);
  });

  it('ignores typing from someone I have no conversation with', () => {
    const state = entered();
    apply(state, { type: 'dm_typing', user: { id: '1002', nick: 'Bob', member: false } });
    expect(state.conversations).toEqual({});
  });
});

describe('private messages', () => {
  it('group by the other person, both ways, with unread counts and seen marks', () => {
    const state = entered();
    const notices = apply(
      state,
      { type: 'dm', ...directMessage('70', alice, bob, 'Coucou Bob') },
      { type: 'dm', ...directMessage('71', bob, alice, 'Salut Alice') },
      { type: 'dm_seen', by: '1002', up_to: '70' },
    );
    const conversation = state.conversations['1002'];
    expect(conversation.peer).toEqual({ id: '1002', nick: 'Bob', member: false });
    expect(conversation.messages.map((message) => message.body)).toEqual(['Coucou Bob', 'Salut Alice']);
    expect(conversation.unread).toBe(1);
    expect(conversation.seenUpTo).toBe('70');
    expect(notices).toEqual([{ kind: 'dm', message: expect.objectContaining({ id: '71' }) }]);
    // An older "seen" does not move the mark back.
    apply(state, { type: 'dm_seen', by: '1002', up_to: '9' });
    expect(conversation.seenUpTo).toBe('70');
  });

  it('are not counted unread in the open conversation', () => {
    const state = entered();
    state.focus = { kind: 'dm', peer: '1002' };
    apply(state, { type: 'dm', ...directMessage('80', bob, alice, 'vu ?') });
    expect(state.conversations['1002'].unread).toBe(0);
  });

  it('mark the other person offline when they leave', () => {
    const state = entered();
    apply(state, { type: 'dm', ...directMessage('90', bob, alice, 'bye') }, { type: 'user_offline', user: '1002' });
    expect(state.conversations['1002'].online).toBe(false);
  });
});

describe('outgoing messages across a drop', () => {
  it('are kept, and after the rejoin those that arrived are dropped and the others queued again', () => {
    const state = entered();
    joined(state, 'paris', [roomMessage('paris', '100', bob, 'avant')]);
    const outbox = state.rooms.paris.outbox;
    const arrived = enqueue(state, outbox, 'parti avant la coupure', NOW);
    const lost = enqueue(state, outbox, 'perdu', NOW);
    const waiting = enqueue(state, outbox, 'tapé hors ligne', NOW);
    arrived.status = 'sending';
    lost.status = 'sending';
    linkLost(state);
    expect(state.rooms.paris.presence).toBe('rejoining');
    expect(outbox.map((outgoing) => outgoing.status)).toEqual(['unsure', 'unsure', 'queued']);
    expect(waiting.localId).toBe(3);

    // Entered again with a new session id; the scrollback shows the first one.
    applyEvent(state, { type: 'entered', you: user('2001', 'Alice'), band: 'adult', rooms: [room('paris')] }, NOW);
    joined(state, 'paris', [
      roomMessage('paris', '100', bob, 'avant'),
      roomMessage('paris', '101', alice, 'parti avant la coupure'),
    ]);
    expect(state.myIds).toEqual(['1001', '2001']);
    expect(state.rooms.paris.presence).toBe('joined');
    expect(state.rooms.paris.outbox.map((outgoing) => [outgoing.body, outgoing.status])).toEqual([
      ['perdu', 'queued'],
      ['tapé hors ligne', 'queued'],
    ]);
  });

  it('match an older identical message of mine only once, and only after the drop', () => {
    const state = entered();
    joined(state, 'paris', [roomMessage('paris', '100', alice, 'salut')]);
    const outbox = state.rooms.paris.outbox;
    enqueue(state, outbox, 'salut', NOW).status = 'sending';
    linkLost(state);
    joined(state, 'paris', [roomMessage('paris', '100', alice, 'salut')]);
    expect(state.rooms.paris.outbox.map((outgoing) => outgoing.status)).toEqual(['queued']);
  });

  it('are flagged as failed in conversations (no history to check)', () => {
    const state = entered();
    apply(state, { type: 'dm', ...directMessage('70', bob, alice, 'hello') });
    const outbox = state.conversations['1002'].outbox;
    enqueue(state, outbox, 'en route', NOW).status = 'sending';
    enqueue(state, outbox, 'pas encore parti', NOW);
    linkLost(state);
    expect(outbox.map((outgoing) => [outgoing.status, outgoing.error])).toEqual([
      ['failed', 'disconnected'],
      ['queued', undefined],
    ]);
  });

  it('leave the outbox when their own message event arrives', () => {
    const state = entered();
    joined(state, 'paris');
    const outgoing = enqueue(state, state.rooms.paris.outbox, 'hop', NOW);
    outgoing.status = 'sent';
    outgoing.id = '500';
    apply(state, { type: 'message', ...roomMessage('paris', '500', alice, 'hop') });
    expect(state.rooms.paris.outbox).toEqual([]);
  });

  it('keep a room that vanished during the drop, marked gone', () => {
    const state = entered();
    joined(state, 'paris');
    linkLost(state);
    const notices = apply(state, { type: 'room_removed', room: 'paris' });
    expect(state.rooms.paris.presence).toBe('gone');
    expect(notices).toEqual([{ kind: 'room_gone', slug: 'paris' }]);
  });
});

describe('sanctions', () => {
  it('pass the statement of reasons on, and a mute says until when', () => {
    const state = entered();
    const warning = sanctionNotice('7001', 'warning');
    expect(apply(state, { type: 'sanctioned', ...warning })).toEqual([{ kind: 'sanctioned', notice: warning }]);
    expect(state.mutedUntil).toBeNull();
    const mute = sanctionNotice('7002', 'mute', { until: NOW + 3_600_000 });
    expect(apply(state, { type: 'sanctioned', ...mute })).toEqual([{ kind: 'sanctioned', notice: mute }]);
    expect(state.mutedUntil).toBe(NOW + 3_600_000);
    expect(isMuted(state, NOW)).toBe(true);
  });

  it('learn how long a mute still holds from a refusal, and forget it when its time is up', () => {
    const state = entered();
    apply(state, {
      type: 'error',
      req: 4,
      code: 'muted',
      message_fr: 'La modération vous a rendu muet.',
      message_en: 'Moderators muted you.',
      retry_after_ms: 90_000,
    });
    expect(state.mutedUntil).toBe(NOW + 90_000);
    expect(expireMute(state, NOW + 89_999)).toBe(false);
    expect(isMuted(state, NOW + 89_999)).toBe(true);
    expect(expireMute(state, NOW + 90_000)).toBe(true);
    expect(state.mutedUntil).toBeNull();
    expect(isMuted(state, NOW + 90_000)).toBe(false);
  });

  it('tell a mute of the address from a mute of the person', () => {
    const state = entered();
    apply(state, {
      type: 'sanctioned',
      ...sanctionNotice('7003', 'mute', { until: NOW + 60_000, address: true, reason: '' }),
    });
    expect(state.mutedByAddress).toBe(true);
    apply(state, errorEvent(4, 'muted', { retry_after_ms: 90_000 }));
    expect(state.mutedByAddress).toBe(false);
    apply(state, errorEvent(5, 'address_muted', { retry_after_ms: 30_000 }));
    expect(state.mutedUntil).toBe(NOW + 30_000);
    expect(state.mutedByAddress).toBe(true);
  });

  it('forget a mute when a message is accepted (it was lifted)', () => {
    const state = entered();
    apply(state, { type: 'sanctioned', ...sanctionNotice('7002', 'mute', { until: NOW + 3_600_000 }) });
    apply(state, { type: 'sent', req: 5, id: '90' });
    expect(state.mutedUntil).toBeNull();
  });

  it('ignore other refusals', () => {
    const state = entered();
    apply(state, { type: 'error', code: 'slow_mode', message_fr: '', message_en: '', retry_after_ms: 5000 });
    expect(state.mutedUntil).toBeNull();
  });

  it('pass messages between staff on', () => {
    const state = entered();
    const from = { id: '1009', nick: 'Vigie', member: true };
    expect(apply(state, { type: 'wallops', from, text: 'Raid sur #paris' })).toEqual([
      { kind: 'wallops', from, text: 'Raid sur #paris' },
    ]);
  });
});

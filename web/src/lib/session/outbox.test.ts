// What the person sends, against a fake server: a message leaves the outbox
// once its event arrives (whichever of `sent` and the event comes first), a
// refusal is kept with the server's reason and sent again only on request,
// slow mode is waited out, typing signals are throttled, and a message
// refused while muted is never sent again by itself.

import { describe, expect, it, vi } from 'vitest';
import { mutedText } from '../session.svelte';
import { errorEvent as error, roomMessage, sanctionNotice, user } from '../testing/fixtures';
import { settle, useTab } from '../testing/tab';

describe('the outbox', () => {
  const tab = useTab();

  it('sends a message and forgets it once its event arrives', async () => {
    await tab.inParis('1');
    expect(tab.session.view).toEqual({ kind: 'room', slug: 'paris' });

    tab.session.say('paris', '  Salut :coeur:  ');
    const say = tab.socket.last('say');
    expect(say).toMatchObject({ room: 'paris', body: 'Salut ❤️' });
    expect(tab.session.chat.rooms.paris.outbox.map((outgoing) => outgoing.status)).toEqual(['sending']);
    tab.socket.push({ type: 'sent', req: say.req, id: '77' });
    await settle();
    tab.socket.push({ type: 'message', ...roomMessage('paris', '77', user('1', 'Alice'), 'Salut ❤️') });
    expect(tab.session.chat.rooms.paris.outbox).toEqual([]);
    expect(tab.session.chat.rooms.paris.messages.map((message) => message.body)).toEqual(['Salut ❤️']);
  });

  it('forgets a message confirmed after its event (a stored room answers sent once stored)', async () => {
    await tab.inParis('1');
    tab.session.say('paris', 'gardé');
    const say = tab.socket.last('say');
    tab.socket.push({ type: 'message', ...roomMessage('paris', '78', user('1', 'Alice'), 'gardé') });
    expect(tab.session.chat.rooms.paris.outbox.map((outgoing) => outgoing.status)).toEqual(['sending']);
    tab.socket.push({ type: 'sent', req: say.req, id: '78' });
    await settle();
    expect(tab.session.chat.rooms.paris.outbox).toEqual([]);
    expect(tab.session.chat.rooms.paris.messages.map((message) => message.body)).toEqual(['gardé']);
  });

  it('keeps a refused message with the server reason, and sends it again on request', async () => {
    await tab.inParis('1');
    tab.session.say('paris', 'trop tôt');
    tab.socket.push(error(tab.socket.last('say').req, 'room_moderated'));
    await settle();
    const [failed] = tab.session.chat.rooms.paris.outbox;
    expect(failed).toMatchObject({ status: 'failed', error: { fr: 'fr:room_moderated' } });
    tab.session.retry(failed);
    expect(tab.socket.commands('say')).toHaveLength(2);
  });

  it('sends again by itself after slow mode', async () => {
    await tab.inParis('1');
    tab.session.say('paris', 'vite');
    tab.socket.push(error(tab.socket.last('say').req, 'slow_mode', { retry_after_ms: 3000 }));
    await settle();
    expect(tab.session.chat.rooms.paris.outbox[0].status).toBe('queued');
    await vi.advanceTimersByTimeAsync(3100);
    expect(tab.socket.commands('say')).toHaveLength(2);
  });

  it('throttles typing signals', async () => {
    await tab.inParis('1');
    tab.session.typingInRoom('paris');
    tab.session.typingInRoom('paris');
    expect(tab.socket.commands('room_typing')).toHaveLength(1);
    vi.advanceTimersByTime(3000);
    tab.session.typingInRoom('paris');
    expect(tab.socket.commands('room_typing')).toHaveLength(2);
    expect(tab.socket.last('room_typing').req).toBeUndefined();
  });

  it('keeps a message refused while muted, says until when, and never sends it again by itself', async () => {
    await tab.inParis('1');
    const until = Date.now() + 3_600_000;
    tab.socket.push({ type: 'sanctioned', ...sanctionNotice('7002', 'mute', { until }) });
    expect(tab.session.chat.mutedUntil).toBe(until);

    tab.session.say('paris', 'tu es nul');
    tab.socket.push(error(tab.socket.last('say').req, 'muted', { retry_after_ms: 3_600_000 }));
    await settle();
    const [kept] = tab.session.chat.rooms.paris.outbox;
    expect(kept).toMatchObject({ status: 'failed', body: 'tu es nul' });
    expect(kept.error).toEqual(mutedText(until, Date.now()));
    expect(kept.error).toMatchObject({ fr: expect.stringContaining('jusqu'), en: expect.stringContaining('until') });
    // Typing signals would only be refused too.
    tab.session.typingInRoom('paris');
    expect(tab.socket.commands('room_typing')).toHaveLength(0);

    // Neither time nor a reconnection sends it again.
    await vi.advanceTimersByTimeAsync(120_000);
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await tab.inParis('2');
    expect(tab.server.sockets.flatMap((socket) => socket.commands('say'))).toHaveLength(1);
    expect(tab.session.chat.rooms.paris.outbox[0].status).toBe('failed');

    // The person tries again: the mute was lifted, it goes.
    tab.session.retry(tab.session.chat.rooms.paris.outbox[0]);
    const again = tab.socket.last('say');
    expect(again).toMatchObject({ body: 'tu es nul' });
    tab.socket.push({ type: 'sent', req: again.req, id: '90' });
    await settle();
    expect(tab.session.chat.mutedUntil).toBeNull();
  });

  it('keeps a private message refused while muted', async () => {
    await tab.inParis('1');
    tab.session.openDm(user('9', 'Bob'));
    tab.session.sendDm('9', 'coucou');
    tab.socket.push(error(tab.socket.last('dm').req, 'muted', { retry_after_ms: 60_000 }));
    await settle();
    expect(tab.session.chat.conversations['9'].outbox[0]).toMatchObject({ status: 'failed', body: 'coucou' });
    expect(tab.session.chat.conversations['9'].online).toBe(true);
    tab.session.typingToPeer('9');
    expect(tab.socket.commands('dm_typing')).toHaveLength(0);
  });

});

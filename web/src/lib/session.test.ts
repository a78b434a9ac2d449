// The session against a fake server: entering, sending, the whole
// reconnection story (re-entering with the same profile while the old
// session still holds the nickname, rejoining rooms, sending what was typed
// offline), and what moderators' sanctions do to it (statements of reasons,
// a mute, a kick, a ban: none of them makes the client retry in a loop).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Event } from './protocol/Event';
import { entryFieldFor, mutedText, Session } from './session.svelte';
import { FakeServer, type FakeSocket } from './testing/fake-server';
import { errorEvent, room, roomMessage, sanctionNotice, user } from './testing/fixtures';

const WELCOME: Event = {
  type: 'welcome',
  protocol: 1,
  server: 'tchatche test',
  limits: { max_body_chars: 2000, max_frame_bytes: 16384, min_age: 15, teen_band: true },
};
const PROFILE = { nickname: 'Alice', age: 25, gender: 'femme' as const, department: '75' };

const error = errorEvent;

/** Lets promise callbacks (replies) run. */
async function settle() {
  await vi.advanceTimersByTimeAsync(0);
}

describe('Session', () => {
  let server: FakeServer;
  let session: Session;

  beforeEach(() => {
    vi.useFakeTimers();
    server = new FakeServer();
    session = new Session({ url: 'ws://test/ws', createSocket: server.createSocket });
    session.connect();
  });

  afterEach(() => {
    session.stop();
    vi.useRealTimers();
  });

  async function welcome(socket: FakeSocket = server.current) {
    socket.open();
    socket.push(WELCOME);
    await settle();
  }

  async function enterAs(id: string, socket: FakeSocket = server.current) {
    const enter = socket.last('enter');
    socket.push({ type: 'entered', req: enter.req, you: user(id, 'Alice'), band: 'adult', rooms: [room('paris')] });
    await settle();
  }

  async function joinParis(socket: FakeSocket = server.current, history = [] as ReturnType<typeof roomMessage>[]) {
    const join = socket.last('join');
    socket.push({ type: 'joined', req: join.req, room: room('paris'), members: [], history, role: 'member' });
    await settle();
  }

  it('enters with the profile and shows server refusals on the right field', async () => {
    await welcome();
    session.enter({ ...PROFILE, age: 12 });
    expect(server.current.last('enter')).toMatchObject({ nickname: 'Alice', age: 12, protocol: 1, department: '75' });
    server.current.push(error(server.current.last('enter').req, 'age_too_young', { detail: 'minimum 15' }));
    await settle();
    expect(session.phase).toBe('entry');
    expect(session.entryError).toEqual({ field: 'age', text: { fr: 'fr:age_too_young', en: 'en:age_too_young' } });

    session.enter(PROFILE);
    await enterAs('1');
    expect(session.phase).toBe('chat');
    expect(session.entryError).toBeNull();
    expect(session.chat.me?.id).toBe('1');
    expect(server.current.last('watch_presence')).toMatchObject({ on: true });
    expect(server.current.last('watch_directory')).toMatchObject({ on: true });
  });

  it('enters as a member with a password and no profile, and re-enters after a drop', async () => {
    await welcome();
    session.enterWith({ nickname: 'alice', profile: null, secret: { kind: 'password', value: 'le chat dort' } });
    const enter = server.current.last('enter');
    expect(enter).toMatchObject({ nickname: 'alice', password: 'le chat dort' });
    expect(enter.age).toBeUndefined();
    server.current.push({
      type: 'entered',
      req: enter.req,
      you: user('1', 'Alice', { member: true, age: 31 }),
      band: 'adult',
      rooms: [room('paris')],
    });
    await settle();
    expect(session.chat.me?.member).toBe(true);
    expect(session.profile).toMatchObject({ nickname: 'Alice', age: 31 });
    server.current.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await welcome();
    expect(server.current.last('enter')).toMatchObject({ nickname: 'Alice', password: 'le chat dort' });
  });

  it('registers and shows the recovery codes; a wrong password goes to its field', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    const registering = session.register('le chat dort', '');
    const register = server.current.last('register');
    expect(register).toMatchObject({ password: 'le chat dort' });
    expect(register.email).toBeUndefined();
    server.current.push({ type: 'registered', req: register.req, you: user('1', 'Alice', { member: true }), recovery_codes: ['AAAA-BBBB-CCCC'] });
    await settle();
    expect(await registering).toEqual({ codes: ['AAAA-BBBB-CCCC'] });
    expect(session.chat.me?.member).toBe(true);
    expect(entryFieldFor('password_required')).toBe('password');
    expect(entryFieldFor('wrong_password')).toBe('password');
  });

  it('maps refusal codes to fields', () => {
    expect(entryFieldFor('nickname_taken')).toBe('nickname');
    expect(entryFieldFor('nickname_reserved')).toBe('nickname');
    expect(entryFieldFor('age_invalid')).toBe('age');
    expect(entryFieldFor('department_unknown')).toBe('department');
    expect(entryFieldFor('protocol_version')).toBe('form');
  });

  it('waits for the link when the form is sent offline, then enters', async () => {
    session.enter(PROFILE);
    expect(session.entering).toBe(true);
    await welcome();
    expect(server.current.commands('enter')).toHaveLength(1);
  });

  it('sends a message and forgets it once its event arrives', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    expect(session.view).toEqual({ kind: 'room', slug: 'paris' });

    session.say('paris', '  Salut :coeur:  ');
    const say = server.current.last('say');
    expect(say).toMatchObject({ room: 'paris', body: 'Salut ❤️' });
    expect(session.chat.rooms.paris.outbox.map((outgoing) => outgoing.status)).toEqual(['sending']);
    server.current.push({ type: 'sent', req: say.req, id: '77' });
    await settle();
    server.current.push({ type: 'message', ...roomMessage('paris', '77', user('1', 'Alice'), 'Salut ❤️') });
    expect(session.chat.rooms.paris.outbox).toEqual([]);
    expect(session.chat.rooms.paris.messages.map((message) => message.body)).toEqual(['Salut ❤️']);
  });

  it('forgets a message confirmed after its event (a stored room answers sent once stored)', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    session.say('paris', 'gardé');
    const say = server.current.last('say');
    server.current.push({ type: 'message', ...roomMessage('paris', '78', user('1', 'Alice'), 'gardé') });
    expect(session.chat.rooms.paris.outbox.map((outgoing) => outgoing.status)).toEqual(['sending']);
    server.current.push({ type: 'sent', req: say.req, id: '78' });
    await settle();
    expect(session.chat.rooms.paris.outbox).toEqual([]);
    expect(session.chat.rooms.paris.messages.map((message) => message.body)).toEqual(['gardé']);
  });

  it('keeps a refused message with the server reason, and sends it again on request', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    session.say('paris', 'trop tôt');
    server.current.push(error(server.current.last('say').req, 'room_moderated'));
    await settle();
    const [failed] = session.chat.rooms.paris.outbox;
    expect(failed).toMatchObject({ status: 'failed', error: { fr: 'fr:room_moderated' } });
    session.retry(failed);
    expect(server.current.commands('say')).toHaveLength(2);
  });

  it('sends again by itself after slow mode', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    session.say('paris', 'vite');
    server.current.push(error(server.current.last('say').req, 'slow_mode', { retry_after_ms: 3000 }));
    await settle();
    expect(session.chat.rooms.paris.outbox[0].status).toBe('queued');
    await vi.advanceTimersByTimeAsync(3100);
    expect(server.current.commands('say')).toHaveLength(2);
  });

  it('throttles typing signals', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    session.typingInRoom('paris');
    session.typingInRoom('paris');
    expect(server.current.commands('room_typing')).toHaveLength(1);
    vi.advanceTimersByTime(3000);
    session.typingInRoom('paris');
    expect(server.current.commands('room_typing')).toHaveLength(2);
    expect(server.current.last('room_typing').req).toBeUndefined();
  });

  it('survives a drop: re-enters (retrying while the nickname is held), rejoins, sends what was typed', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    const first = server.current;

    first.drop();
    expect(session.link.kind).toBe('waiting');
    expect(session.phase).toBe('chat');
    expect(session.chat.rooms.paris.presence).toBe('rejoining');
    session.say('paris', 'écrit hors ligne');
    expect(session.chat.rooms.paris.outbox[0].status).toBe('queued');

    // The back-off elapses; a new link; the old session still holds "Alice".
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.sockets).toHaveLength(2);
    await welcome();
    const second = server.current;
    expect(second.last('enter')).toMatchObject({ nickname: 'Alice', age: 25 });
    second.push(error(second.last('enter').req, 'nickname_taken'));
    await settle();
    expect(session.waitingForNickname).toBe(true);
    expect(session.phase).toBe('chat');
    await vi.advanceTimersByTimeAsync(2000);
    expect(second.commands('enter')).toHaveLength(2);

    await enterAs('2', second);
    expect(session.chat.myIds).toEqual(['1', '2']);
    expect(second.last('join')).toMatchObject({ room: 'paris' });
    expect(second.commands('say')).toHaveLength(0);
    await joinParis(second);
    expect(session.chat.rooms.paris.presence).toBe('joined');
    expect(second.last('say')).toMatchObject({ room: 'paris', body: 'écrit hors ligne' });
  });

  it('asks for a new nickname when the old one stays taken', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    server.current.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await welcome();
    for (let attempt = 0; attempt < 16; attempt += 1) {
      server.current.push(error(server.current.last('enter').req, 'nickname_taken'));
      await vi.advanceTimersByTimeAsync(2000);
    }
    expect(session.phase).toBe('entry');
    expect(session.entryError?.field).toBe('nickname');
  });

  it('marks a room that vanished during the drop, with its unsent messages', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    server.current.drop();
    session.say('paris', 'personne ?');
    await vi.advanceTimersByTimeAsync(1000);
    await welcome();
    await enterAs('2');
    server.current.push(error(server.current.last('join').req, 'room_not_found'));
    await settle();
    expect(session.chat.rooms.paris.presence).toBe('gone');
    expect(session.chat.rooms.paris.outbox[0]).toMatchObject({ status: 'failed', error: { en: 'en:room_not_found' } });
  });

  it('re-applies "no private messages" after re-entering', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    const saved = session.setDmPrivacy(false);
    server.current.push({ type: 'ok', req: server.current.last('set_dm_privacy').req });
    await saved;
    expect(session.settings.acceptDms).toBe(false);
    server.current.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await welcome();
    await enterAs('2');
    expect(server.current.last('set_dm_privacy')).toMatchObject({ accept: 'nobody' });
  });

  it('opens a conversation, sends, and says it was seen', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    const bob = user('9', 'Bob');
    session.openDm(bob);
    expect(session.view).toEqual({ kind: 'dm', peer: '9' });
    session.sendDm('9', 'Coucou');
    expect(server.current.last('dm')).toMatchObject({ to: '9', body: 'Coucou' });
    server.current.push({
      type: 'dm',
      id: '50',
      from: { id: '9', nick: 'Bob', member: false },
      to: { id: '1', nick: 'Alice', member: false },
      body: 'Salut !',
      at: 1,
    });
    await settle();
    // The conversation is on screen: its reader tells Bob.
    expect(server.current.last('dm_seen')).toMatchObject({ with: '9', up_to: '50' });
    expect(session.chat.conversations['9'].unread).toBe(0);
  });

  it('remembers what was unread in a room when opening it, then clears it', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    session.show({ kind: 'home' });
    for (const id of ['60', '61']) {
      server.current.push({ type: 'message', ...roomMessage('paris', id, user('9', 'Bob'), `m${id}`) });
    }
    expect(session.chat.rooms.paris.unread).toBe(2);
    session.show({ kind: 'room', slug: 'paris' });
    expect(session.openedWithUnread).toBe(2);
    expect(session.chat.rooms.paris.unread).toBe(0);
  });

  it('drops the notice of a private message once its conversation or the list is opened', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    const fromBob = (id: string) =>
      server.current.push({ type: 'dm', id, from: { id: '9', nick: 'Bob', member: false }, to: { id: '1', nick: 'Alice', member: false }, body: 'Salut', at: 1 });
    fromBob('50');
    await settle();
    expect(session.toasts.map((toast) => toast.key)).toEqual(['dm:9']);
    session.show({ kind: 'dm', peer: '9' });
    expect(session.toasts).toEqual([]);

    session.show({ kind: 'home' });
    fromBob('51');
    await settle();
    expect(session.toasts).toHaveLength(1);
    session.showPanel('messages');
    expect(session.toasts).toEqual([]);
  });

  it('closes the link when the page is hidden, and enters again when it comes back from the cache', async () => {
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    void session.join('paris');
    await joinParis();
    const first = server.current;
    session.pageHidden();
    expect(first.closed).toBe(true);
    session.pageShown(true);
    expect(server.current).not.toBe(first);
    await welcome();
    expect(server.current.last('enter')).toMatchObject({ nickname: 'Alice' });
    await enterAs('2');
    expect(server.current.last('join')).toMatchObject({ room: 'paris' });
  });

  it('joins the room its address names once entered (a shared room link)', async () => {
    session.stop();
    session = new Session({ url: 'ws://test/ws', createSocket: server.createSocket, path: '/salon/paris' });
    session.connect();
    expect(session.linkedRoom).toBe('paris');
    await welcome();
    session.enter(PROFILE);
    await enterAs('1');
    expect(server.current.last('join')).toMatchObject({ room: 'paris' });
    expect(session.linkedRoom).toBe('paris');
    await joinParis();
    expect(session.view).toEqual({ kind: 'room', slug: 'paris' });
    expect(session.linkedRoom).toBeNull();
  });

  describe('under moderation', () => {
    /** A new link, entered as Alice with session id `id`, in Paris. */
    async function inParis(id: string) {
      await welcome();
      if (session.phase === 'entry') session.enter(PROFILE);
      await enterAs(id);
      // After a reconnection the session rejoins by itself.
      if (session.chat.rooms.paris === undefined) void session.join('paris');
      await joinParis();
    }

    function closing(reason: 'kicked' | 'banned'): Event {
      return { type: 'closing', reason, message_fr: `fr:${reason}`, message_en: `en:${reason}` };
    }

    it('shows a warning until the person dismisses it, and stays in the chat', async () => {
      await inParis('1');
      const warning = sanctionNotice('7001', 'warning');
      server.current.push({ type: 'sanctioned', ...warning });
      await settle();
      expect(session.statements).toEqual([warning]);
      expect(session.live).toBe(true);
      session.dismissStatement('7001');
      expect(session.statements).toEqual([]);
    });

    it('keeps a message refused while muted, says until when, and never sends it again by itself', async () => {
      await inParis('1');
      const until = Date.now() + 3_600_000;
      server.current.push({ type: 'sanctioned', ...sanctionNotice('7002', 'mute', { until }) });
      expect(session.chat.mutedUntil).toBe(until);

      session.say('paris', 'tu es nul');
      server.current.push(error(server.current.last('say').req, 'muted', { retry_after_ms: 3_600_000 }));
      await settle();
      const [kept] = session.chat.rooms.paris.outbox;
      expect(kept).toMatchObject({ status: 'failed', body: 'tu es nul' });
      expect(kept.error).toEqual(mutedText(until, Date.now()));
      expect(kept.error).toMatchObject({ fr: expect.stringContaining('jusqu'), en: expect.stringContaining('until') });
      // Typing signals would only be refused too.
      session.typingInRoom('paris');
      expect(server.current.commands('room_typing')).toHaveLength(0);

      // Neither time nor a reconnection sends it again.
      await vi.advanceTimersByTimeAsync(120_000);
      server.current.drop();
      await vi.advanceTimersByTimeAsync(1000);
      await inParis('2');
      expect(server.sockets.flatMap((socket) => socket.commands('say'))).toHaveLength(1);
      expect(session.chat.rooms.paris.outbox[0].status).toBe('failed');

      // The person tries again: the mute was lifted, it goes.
      session.retry(session.chat.rooms.paris.outbox[0]);
      const again = server.current.last('say');
      expect(again).toMatchObject({ body: 'tu es nul' });
      server.current.push({ type: 'sent', req: again.req, id: '90' });
      await settle();
      expect(session.chat.mutedUntil).toBeNull();
    });

    it('keeps a private message refused while muted', async () => {
      await inParis('1');
      session.openDm(user('9', 'Bob'));
      session.sendDm('9', 'coucou');
      server.current.push(error(server.current.last('dm').req, 'muted', { retry_after_ms: 60_000 }));
      await settle();
      expect(session.chat.conversations['9'].outbox[0]).toMatchObject({ status: 'failed', body: 'coucou' });
      expect(session.chat.conversations['9'].online).toBe(true);
      session.typingToPeer('9');
      expect(server.current.commands('dm_typing')).toHaveLength(0);
    });

    it('after a kick stays out until the person comes back, then rejoins and sends what waited', async () => {
      await inParis('1');
      const kick = sanctionNotice('7003', 'kick');
      server.current.push({ type: 'sanctioned', ...kick });
      server.current.push(closing('kicked'));
      server.current.drop(1008);
      await settle();
      expect(session.kicked).toBe(true);
      expect(session.statements).toEqual([kick]);
      expect(session.phase).toBe('chat');
      expect(session.closing).toBeNull();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(server.sockets).toHaveLength(1);

      session.say('paris', 'je reviens');
      expect(session.chat.rooms.paris.outbox[0].status).toBe('queued');
      session.comeBack();
      expect(session.kicked).toBe(false);
      expect(server.sockets).toHaveLength(2);
      await inParis('2');
      expect(server.current.last('say')).toMatchObject({ room: 'paris', body: 'je reviens' });
    });

    it('after a ban shows its reason and end on the entry form, and never enters again by itself', async () => {
      await inParis('1');
      server.current.push({ type: 'sanctioned', ...sanctionNotice('7004', 'ban', { reason: 'Menaces' }) });
      server.current.push(closing('banned'));
      server.current.drop(1008);
      await settle();
      expect(session.phase).toBe('entry');
      expect(session.entryError).toEqual({
        field: 'form',
        text: { fr: 'fr:banned', en: 'en:banned' },
        ban: { reason: 'Menaces', until: null },
      });
      expect(session.statements.map((notice) => notice.kind)).toEqual(['ban']);
      // The entry form gets a link of its own, which enters only when asked.
      server.current.open();
      server.current.push(WELCOME);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(server.sockets.flatMap((socket) => socket.commands('enter'))).toHaveLength(1);
    });

    it('shows an entry refused by a ban with its reason and end, and does not try again', async () => {
      await inParis('1');
      server.current.drop();
      await vi.advanceTimersByTimeAsync(1000);
      server.current.open();
      server.current.push(WELCOME);
      await settle();
      server.current.push(error(server.current.last('enter').req, 'banned', { detail: 'Spam', retry_after_ms: 86_400_000 }));
      await settle();
      expect(session.phase).toBe('entry');
      expect(session.entryError).toMatchObject({ field: 'form', ban: { reason: 'Spam', until: Date.now() + 86_400_000 } });
      // (The fake server answers no ping: the link drops and comes back meanwhile, without entering.)
      await vi.advanceTimersByTimeAsync(60_000);
      expect(server.sockets.slice(1).flatMap((socket) => socket.commands('enter'))).toHaveLength(1);
    });

    it('shows each message between staff as a notice of its own', async () => {
      await inParis('1');
      const from = { id: '5', nick: 'Vigie', member: true };
      server.current.push({ type: 'wallops', from, text: 'Raid sur #paris' });
      server.current.push({ type: 'wallops', from, text: 'Je passe le salon en modéré' });
      expect(session.toasts.map((toast) => toast.text)).toEqual([
        'Équipe · Vigie : Raid sur #paris',
        'Équipe · Vigie : Je passe le salon en modéré',
      ]);
    });
  });
});

describe('Session after a reload', () => {
  /** The tab's storage as a reload finds it: a profile, and "entered in this tab". */
  function memoryStorage(entries: Record<string, string>): Storage {
    const items = new Map(Object.entries(entries));
    return {
      get length() {
        return items.size;
      },
      clear: () => items.clear(),
      getItem: (key) => items.get(key) ?? null,
      key: (index) => [...items.keys()][index] ?? null,
      removeItem: (key) => void items.delete(key),
      setItem: (key, value) => void items.set(key, value),
    };
  }

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('localStorage', memoryStorage({ 'tchatche.profile': JSON.stringify(PROFILE) }));
    vi.stubGlobal('sessionStorage', memoryStorage({ 'tchatche.entered': 'true' }));
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('enters again by itself, waiting while the closed page still holds the nickname', async () => {
    const server = new FakeServer();
    const session = new Session({ url: 'ws://test/ws', createSocket: server.createSocket, path: '/salon/paris' });
    session.connect();
    expect(session.entering).toBe(true);
    expect(session.phase).toBe('chat');
    await welcome(server.current);
    const socket = server.current;
    expect(socket.last('enter')).toMatchObject({ nickname: 'Alice', age: 25 });
    socket.push(error(socket.last('enter').req, 'nickname_taken'));
    await settle();
    expect(session.waitingForNickname).toBe(true);
    expect(session.entryError).toBeNull();
    await vi.advanceTimersByTimeAsync(2000);
    expect(socket.commands('enter')).toHaveLength(2);
    socket.push({ type: 'entered', req: socket.last('enter').req, you: user('2', 'Alice'), band: 'adult', rooms: [room('paris')] });
    await settle();
    expect(session.phase).toBe('chat');
    expect(socket.last('join')).toMatchObject({ room: 'paris' });
    session.stop();
  });

  async function welcome(socket: FakeSocket) {
    socket.open();
    socket.push(WELCOME);
    await settle();
  }
});

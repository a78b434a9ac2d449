// Entering and staying in, against a fake server: refusals on the right
// field, a member's secret, the whole reconnection story (re-entering with
// the same profile while the old session still holds the nickname, rejoining
// rooms, sending what was typed offline), a reload, and what a moderator's
// kick or ban does to it: none of them makes the client retry in a loop.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Event } from '../protocol/Event';
import { entryFieldFor } from '../session.svelte';
import { errorEvent as error, room, sanctionNotice, user } from '../testing/fixtures';
import { PROFILE, settle, Tab, useTab, WELCOME } from '../testing/tab';

describe('entering', () => {
  const tab = useTab();

  it('enters with the profile and shows server refusals on the right field', async () => {
    await tab.welcome();
    tab.session.enter({ ...PROFILE, age: 12 });
    expect(tab.socket.last('enter')).toMatchObject({ nickname: 'Alice', age: 12, protocol: 1, department: '75' });
    tab.socket.push(error(tab.socket.last('enter').req, 'age_too_young', { detail: 'minimum 15' }));
    await settle();
    expect(tab.session.phase).toBe('entry');
    expect(tab.session.entryError).toEqual({ field: 'age', text: { fr: 'fr:age_too_young', en: 'en:age_too_young' } });

    tab.session.enter(PROFILE);
    await tab.enterAs('1');
    expect(tab.session.phase).toBe('chat');
    expect(tab.session.entryError).toBeNull();
    expect(tab.session.chat.me?.id).toBe('1');
    expect(tab.socket.last('watch_presence')).toMatchObject({ on: true });
    expect(tab.socket.last('watch_directory')).toMatchObject({ on: true });
  });

  it('enters as a member with a password and no profile, and re-enters after a drop', async () => {
    await tab.welcome();
    tab.session.enterWith({ nickname: 'alice', profile: null, secret: { kind: 'password', value: 'le chat dort' } });
    const enter = tab.socket.last('enter');
    expect(enter).toMatchObject({ nickname: 'alice', password: 'le chat dort' });
    expect(enter.age).toBeUndefined();
    tab.socket.push({
      type: 'entered',
      req: enter.req,
      you: user('1', 'Alice', { member: true, age: 31 }),
      band: 'adult',
      rooms: [room('paris')],
    });
    await settle();
    expect(tab.session.chat.me?.member).toBe(true);
    expect(tab.session.profile).toMatchObject({ nickname: 'Alice', age: 31 });
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await tab.welcome();
    expect(tab.socket.last('enter')).toMatchObject({ nickname: 'Alice', password: 'le chat dort' });
  });

  it('maps refusal codes to fields', () => {
    expect(entryFieldFor('nickname_taken')).toBe('nickname');
    expect(entryFieldFor('nickname_reserved')).toBe('nickname');
    expect(entryFieldFor('age_invalid')).toBe('age');
    expect(entryFieldFor('department_unknown')).toBe('department');
    expect(entryFieldFor('protocol_version')).toBe('form');
  });

  it('waits for the link when the form is sent offline, then enters', async () => {
    tab.session.enter(PROFILE);
    expect(tab.session.entering).toBe(true);
    await tab.welcome();
    expect(tab.socket.commands('enter')).toHaveLength(1);
  });

  it('survives a drop: re-enters (retrying while the nickname is held), rejoins, sends what was typed', async () => {
    await tab.inParis('1');
    const first = tab.socket;

    first.drop();
    expect(tab.session.link.kind).toBe('waiting');
    expect(tab.session.phase).toBe('chat');
    expect(tab.session.chat.rooms.paris.presence).toBe('rejoining');
    tab.session.say('paris', 'écrit hors ligne');
    expect(tab.session.chat.rooms.paris.outbox[0].status).toBe('queued');

    // The back-off elapses; a new link; the old session still holds "Alice".
    await vi.advanceTimersByTimeAsync(1000);
    expect(tab.server.sockets).toHaveLength(2);
    await tab.welcome();
    const second = tab.socket;
    expect(second.last('enter')).toMatchObject({ nickname: 'Alice', age: 25 });
    second.push(error(second.last('enter').req, 'nickname_taken'));
    await settle();
    expect(tab.session.waitingForNickname).toBe(true);
    expect(tab.session.phase).toBe('chat');
    await vi.advanceTimersByTimeAsync(2000);
    expect(second.commands('enter')).toHaveLength(2);

    await tab.enterAs('2', second);
    expect(tab.session.chat.myIds).toEqual(['1', '2']);
    expect(second.last('join')).toMatchObject({ room: 'paris' });
    expect(second.commands('say')).toHaveLength(0);
    await tab.joinParis(second);
    expect(tab.session.chat.rooms.paris.presence).toBe('joined');
    expect(second.last('say')).toMatchObject({ room: 'paris', body: 'écrit hors ligne' });
  });

  it('asks for a new nickname when the old one stays taken', async () => {
    await tab.entered('1');
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await tab.welcome();
    for (let attempt = 0; attempt < 16; attempt += 1) {
      tab.socket.push(error(tab.socket.last('enter').req, 'nickname_taken'));
      await vi.advanceTimersByTimeAsync(2000);
    }
    expect(tab.session.phase).toBe('entry');
    expect(tab.session.entryError?.field).toBe('nickname');
  });

  it('closes the link when the page is hidden, and enters again when it comes back from the cache', async () => {
    await tab.inParis('1');
    const first = tab.socket;
    tab.session.pageHidden();
    expect(first.closed).toBe(true);
    tab.session.pageShown(true);
    expect(tab.socket).not.toBe(first);
    await tab.welcome();
    expect(tab.socket.last('enter')).toMatchObject({ nickname: 'Alice' });
    await tab.enterAs('2');
    expect(tab.socket.last('join')).toMatchObject({ room: 'paris' });
  });

  it('enters with the secret a new password made, after a drop', async () => {
    await tab.welcome();
    tab.session.enterWith({ nickname: 'Alice', profile: null, secret: { kind: 'recovery_code', value: 'AAAA-BBBB-CCCC' } });
    tab.socket.push({ type: 'entered', req: tab.socket.last('enter').req, you: user('1', 'Alice', { member: true }), band: 'adult', rooms: [] });
    await settle();
    expect(tab.session.recovered).toBe(true);
    const changing = tab.session.changePassword('', 'un chat sur le toit');
    expect(tab.socket.last('change_password').current).toBeUndefined();
    tab.socket.push({ type: 'ok', req: tab.socket.last('change_password').req });
    expect(await changing).toBeNull();
    expect(tab.session.recovered).toBe(false);
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await tab.welcome();
    expect(tab.socket.last('enter')).toMatchObject({ nickname: 'Alice', password: 'un chat sur le toit' });
    expect(tab.socket.last('enter').recovery_code).toBeUndefined();
  });
});

describe('entering under moderation', () => {
  const tab = useTab();

  function closing(reason: 'kicked' | 'banned'): Event {
    return { type: 'closing', reason, message_fr: `fr:${reason}`, message_en: `en:${reason}` };
  }

  it('after a kick stays out until the person comes back, then rejoins and sends what waited', async () => {
    await tab.inParis('1');
    const kick = sanctionNotice('7003', 'kick');
    tab.socket.push({ type: 'sanctioned', ...kick });
    tab.socket.push(closing('kicked'));
    tab.socket.drop(1008);
    await settle();
    expect(tab.session.kicked).toBe(true);
    expect(tab.session.statements).toEqual([kick]);
    expect(tab.session.phase).toBe('chat');
    expect(tab.session.closing).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tab.server.sockets).toHaveLength(1);

    tab.session.say('paris', 'je reviens');
    expect(tab.session.chat.rooms.paris.outbox[0].status).toBe('queued');
    tab.session.comeBack();
    expect(tab.session.kicked).toBe(false);
    expect(tab.server.sockets).toHaveLength(2);
    await tab.inParis('2');
    expect(tab.socket.last('say')).toMatchObject({ room: 'paris', body: 'je reviens' });
  });

  it('after a ban shows its reason and end on the entry form, and never enters again by itself', async () => {
    await tab.inParis('1');
    tab.socket.push({ type: 'sanctioned', ...sanctionNotice('7004', 'ban', { reason: 'Menaces' }) });
    tab.socket.push(closing('banned'));
    tab.socket.drop(1008);
    await settle();
    expect(tab.session.phase).toBe('entry');
    expect(tab.session.entryError).toEqual({
      field: 'form',
      text: { fr: 'fr:banned', en: 'en:banned' },
      ban: { reason: 'Menaces', until: null },
    });
    expect(tab.session.statements.map((notice) => notice.kind)).toEqual(['ban']);
    // The entry form gets a link of its own, which enters only when asked.
    tab.socket.open();
    tab.socket.push(WELCOME);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tab.server.sockets.flatMap((socket) => socket.commands('enter'))).toHaveLength(1);
  });

  it('shows an entry refused by a ban with its reason and end, and does not try again', async () => {
    await tab.inParis('1');
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    tab.socket.open();
    tab.socket.push(WELCOME);
    await settle();
    tab.socket.push(error(tab.socket.last('enter').req, 'banned', { detail: 'Spam', retry_after_ms: 86_400_000 }));
    await settle();
    expect(tab.session.phase).toBe('entry');
    expect(tab.session.entryError).toMatchObject({ field: 'form', ban: { reason: 'Spam', until: Date.now() + 86_400_000 } });
    // (The fake server answers no ping: the link drops and comes back meanwhile, without entering.)
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tab.server.sockets.slice(1).flatMap((socket) => socket.commands('enter'))).toHaveLength(1);
  });

});

describe('entering after a reload', () => {
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
    const tab = new Tab();
    tab.open('/salon/paris');
    const session = tab.session;
    expect(session.entering).toBe(true);
    expect(session.phase).toBe('chat');
    await tab.welcome();
    const socket = tab.socket;
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
});

// The member account, against a fake server: reserving the nickname shows
// the recovery codes once; a refusal comes back in the server's words; the
// account deleted, I stay as a guest and a reconnection enters as one.

import { describe, expect, it, vi } from 'vitest';
import { entryFieldFor } from '../session.svelte';
import { errorEvent as error, user } from '../testing/fixtures';
import { settle, useTab } from '../testing/tab';

describe('the account', () => {
  const tab = useTab();

  it('registers and shows the recovery codes; a wrong password goes to its field', async () => {
    await tab.entered('1');
    const registering = tab.session.register('le chat dort', '');
    const register = tab.socket.last('register');
    expect(register).toMatchObject({ password: 'le chat dort' });
    expect(register.email).toBeUndefined();
    tab.socket.push({ type: 'registered', req: register.req, you: user('1', 'Alice', { member: true }), recovery_codes: ['AAAA-BBBB-CCCC'] });
    await settle();
    expect(await registering).toEqual({ codes: ['AAAA-BBBB-CCCC'] });
    expect(tab.session.chat.me?.member).toBe(true);
    expect(entryFieldFor('password_required')).toBe('password');
    expect(entryFieldFor('wrong_password')).toBe('password');
  });

  it('gives a refusal in the server words, and offline says so without asking', async () => {
    await tab.entered('1');
    const registering = tab.session.register('court', 'alice@example.org');
    expect(tab.socket.last('register')).toMatchObject({ password: 'court', email: 'alice@example.org' });
    tab.socket.push(error(tab.socket.last('register').req, 'password_too_short', { detail: 'minimum 10' }));
    expect(await registering).toEqual({ refusal: { fr: 'fr:password_too_short', en: 'en:password_too_short' } });

    tab.socket.drop();
    expect(await tab.session.deleteAccount('le chat dort')).toMatchObject({ fr: expect.stringContaining('hors ligne') });
    expect(tab.socket.commands('delete_account')).toHaveLength(0);
  });

  it('deleted, stays as a guest and enters again as one after a drop', async () => {
    await tab.welcome();
    tab.session.enterWith({ nickname: 'Alice', profile: null, secret: { kind: 'password', value: 'le chat dort' } });
    tab.socket.push({ type: 'entered', req: tab.socket.last('enter').req, you: user('1', 'Alice', { member: true }), band: 'adult', rooms: [] });
    await settle();
    const deleting = tab.session.deleteAccount('le chat dort');
    expect(tab.socket.last('delete_account')).toMatchObject({ password: 'le chat dort' });
    tab.socket.push({ type: 'ok', req: tab.socket.last('delete_account').req });
    expect(await deleting).toBeNull();
    expect(tab.session.chat.me?.member).toBe(false);
    tab.socket.drop();
    await vi.advanceTimersByTimeAsync(1000);
    await tab.welcome();
    const enter = tab.socket.last('enter');
    expect(enter).toMatchObject({ nickname: 'Alice', age: 30, gender: 'femme', department: '75' });
    expect(enter.password).toBeUndefined();
  });
});

// Notices, against a fake server: a statement of reasons stays until the
// person dismisses it, each message between staff is a notice of its own,
// and a notice that waits for the person (an invitation) is not pushed out
// by newer ones.

import { describe, expect, it, vi } from 'vitest';
import { sanctionNotice } from '../testing/fixtures';
import { settle, useTab } from '../testing/tab';

describe('notices', () => {
  const tab = useTab();

  it('shows a warning until the person dismisses it, and stays in the chat', async () => {
    await tab.inParis('1');
    const warning = sanctionNotice('7001', 'warning');
    tab.socket.push({ type: 'sanctioned', ...warning });
    await settle();
    expect(tab.session.statements).toEqual([warning]);
    expect(tab.session.live).toBe(true);
    tab.session.dismissStatement('7001');
    expect(tab.session.statements).toEqual([]);
  });
  
  it('shows each message between staff as a notice of its own', async () => {
    await tab.inParis('1');
    const from = { id: '5', nick: 'Vigie', member: true };
    tab.socket.push({ type: 'wallops', from, text: 'Raid sur #paris' });
    tab.socket.push({ type: 'wallops', from, text: 'Je passe le salon en modéré' });
    expect(tab.session.toasts.map((toast) => toast.text)).toEqual([
      'Équipe · Vigie : Raid sur #paris',
      'Équipe · Vigie : Je passe le salon en modéré',
    ]);
  });
  
  it('keep one that waits for the person when newer ones come, and let passing ones go', async () => {
    await tab.inParis('1');
    tab.session.show({ kind: 'home' });
    tab.socket.push({ type: 'invited', room: 'lyon', user: { id: '1', nick: 'Alice', member: false }, by: { id: '9', nick: 'Bob', member: false } });
    const from = { id: '5', nick: 'Vigie', member: true };
    for (const text of ['un', 'deux', 'trois']) tab.socket.push({ type: 'wallops', from, text });
    expect(tab.session.toasts.map((toast) => toast.text)).toEqual([
      'Bob vous invite dans le salon lyon.',
      'Équipe · Vigie : deux',
      'Équipe · Vigie : trois',
    ]);
    await vi.advanceTimersByTimeAsync(8000);
    expect(tab.session.toasts.map((toast) => toast.text)).toEqual(['Bob vous invite dans le salon lyon.']);
    tab.session.dismiss(tab.session.toasts[0].id);
    expect(tab.session.toasts).toEqual([]);
    await settle();
  });
});

// @ts-check
// A server restart is survived: the page says it is offline, keeps what is
// typed meanwhile, reconnects by itself (with back-off) once the server is
// back on the same address and data folder, enters again with the same
// nickname, rejoins its rooms and sends what was waiting.

import assert from 'node:assert/strict';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

/** What Chromium logs while the server is down: the only problem allowed here. */
const WEBSOCKET_REFUSED = /WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws' failed/;

scene.test('a server restart is survived by reconnection, and nothing typed offline is lost', async () => {
  const alice = await scene.person({ nickname: 'Alice', age: 25 });
  const bob = await scene.person({ nickname: 'Bob', age: 31, gender: 'homme' });
  await alice.enter();
  await bob.enter();
  await alice.joinRoom('paris');
  await bob.joinRoom('paris');
  await alice.say('avant la coupure');
  await bob.waitForMessage('avant la coupure');

  for (const person of [alice, bob]) person.user.allow(WEBSOCKET_REFUSED);
  await scene.server.stop();

  const status = alice.page.getByTestId('connection-status');
  await status.getByText(/Hors ligne|Connexion au serveur/).waitFor();
  await alice.type('écrit pendant la coupure');
  const pending = alice.page.getByTestId('pending').filter({ hasText: 'écrit pendant la coupure' });
  await pending.waitFor();
  await alice.page.getByText('Hors ligne : vos messages partiront dès la reconnexion.').waitFor();

  await scene.server.start();
  // The back-off grows to a few seconds while the server is down: allow for it.
  await alice.waitOnline(30_000);
  await bob.waitOnline(30_000);
  for (const person of [alice, bob]) person.user.disallow(WEBSOCKET_REFUSED);
  await bob.waitForMessage('écrit pendant la coupure', 15_000);
  await pending.waitFor({ state: 'detached' });
  assert.equal(await alice.messages('écrit pendant la coupure').count(), 1, 'sent once');

  // Both are back in the room with the same nicknames, and it works both ways.
  await bob.say('bien reçu');
  await alice.waitForMessage('bien reçu');
  await alice.room('paris').getByText('Membres : 2').waitFor();
  await alice.page.getByRole('button', { name: 'Profil de Bob' }).last().waitFor();
});

// @ts-check
// Two people on desktops: they enter, meet in a room, talk both ways, then
// talk privately, seeing each other type and the "Vu" (seen) mark; one
// leaves the site and the other's room forgets them. Also takes the README's
// desktop screenshots.

import assert from 'node:assert/strict';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

scene.test('two people meet in a room and talk both ways, then privately with typing and seen', async () => {
  const alice = await scene.person({ nickname: 'Alice', age: 25, gender: 'femme', department: '75' });
  const bob = await scene.person({ nickname: 'Bob', age: 31, gender: 'homme', department: '69' });

  await alice.open();
  await scene.screenshot(alice, 'desktop-entry');
  await alice.submitEntry();
  await alice.waitForChat();
  await bob.enter();
  await scene.screenshot(bob, 'desktop-home');

  await alice.joinRoom('paris');
  await bob.joinRoom('paris');
  await alice.say('Bonjour tout le monde !');
  await bob.waitForMessage('Bonjour tout le monde !');
  // Shortcodes become emoji before the message leaves.
  await bob.type('Salut @Alice, ça va ? :rire:');
  await bob.waitForMessage('Salut @Alice, ça va ? 😂');
  await alice.waitForMessage('Salut @Alice, ça va ? 😂');
  // Alice is mentioned: the message is marked for her.
  await alice.messages('Salut @Alice').getByText('Vous êtes mentionné').waitFor();
  await alice.say('Très bien, merci Bob 🙂');
  await bob.waitForMessage('Très bien, merci Bob');
  assert.equal(await alice.messages('').count(), 3, "Alice's room shows the three messages");
  assert.equal(await bob.messages('').count(), 3, "Bob's room shows the three messages");
  await scene.screenshot(alice, 'desktop-room');

  // Bob writes to Alice privately, from the people list.
  await bob.openDmWith('Alice');
  await bob.composer().fill('On se parle en privé ?');
  await bob.composer().press('Enter');
  await bob.dmMessages('On se parle en privé ?').waitFor();
  await alice.page.getByTestId('toast').filter({ hasText: 'Nouveau message privé de Bob' }).waitFor();
  await alice.openConversation('Bob');
  await alice.dmMessages('On se parle en privé ?').waitFor();
  // Alice has read it: Bob sees "Vu" under his message.
  await bob.conversation('Alice').getByTestId('seen').waitFor();

  await alice.composer().pressSequentially('Oui', { delay: 20 });
  await bob.conversation('Alice').getByTestId('typing').getByText('Alice écrit…').waitFor();
  await alice.composer().press('Enter');
  await bob.dmMessages('Oui').waitFor();
  await alice.conversation('Bob').getByTestId('seen').waitFor();
  await bob.composer().pressSequentially('Super', { delay: 20 });
  await alice.conversation('Bob').getByTestId('typing').getByText('Bob écrit…').waitFor();
  await bob.composer().press('Enter');
  await alice.dmMessages('Super').waitFor();
  await bob.conversation('Alice').getByTestId('seen').waitFor();
  await scene.screenshot(alice, 'desktop-dm');

  await alice.showSettings();
  await scene.screenshot(alice, 'desktop-settings');
});

scene.test('a profile card opened from a nickname in a room, and the dark theme', async () => {
  const alice = await scene.person({ nickname: 'Alice', age: 25 }, { colorScheme: 'dark' });
  const bob = await scene.person({ nickname: 'Bob', age: 31, gender: 'homme', department: '69' }, { colorScheme: 'dark' });
  await alice.enter();
  await bob.enter();
  await alice.joinRoom('rock-metal');
  await bob.joinRoom('rock-metal');
  await bob.say("Quelqu'un écoute du jazz ?");
  await alice.waitForMessage('jazz');
  await alice.page.getByRole('button', { name: 'Profil de Bob' }).click();
  const card = alice.page.getByTestId('profile-card');
  await card.getByText('31 ans, Homme').waitFor();
  await card.getByText('69 — Rhône').waitFor();
  await scene.screenshot(alice, 'desktop-profile-dark');
  await card.getByRole('button', { name: 'Fermer' }).click();
  await card.waitFor({ state: 'hidden' });

  // Bob leaves the site: Alice's room forgets him at once (member_quit, which
  // the server sends before the new count), so his card no longer shows what
  // the room knew of him.
  await bob.showSettings();
  await bob.page.getByRole('button', { name: 'Quitter le chat' }).click();
  await alice.room('rock-metal').getByTestId('room-members').getByText('Membres : 1').waitFor();
  await alice.page.getByRole('button', { name: 'Profil de Bob' }).click();
  await card.getByText("Cette personne n'est plus connectée.").waitFor();
  await card.getByRole('button', { name: 'Fermer' }).click();
  await card.waitFor({ state: 'hidden' });
});

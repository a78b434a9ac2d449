// @ts-check
// A room's operator, as the others live it. Zoe creates a room and runs it
// over the protocol (the web client has no operator screen yet); Karim (a
// desktop) and Bob (a phone, dark theme) are in it. Zoe goes away and comes
// back: Karim sees it on her profile card and in the room's member list.
// Zoe puts Karim out with a reason: his room closes, a notice says who,
// where and why, the directory is on screen, and he comes back by his own
// hand; Bob, watching the room, sees Karim go. Made invite-only, the room
// refuses Karim until Zoe invites him, which offers him the way in; banned
// from it, the way back says so. axe checks the profile card and the
// screen with the notice.

import assert from 'node:assert/strict';
import { axeViolations, describeViolations } from './support/axe.mjs';
import { ProtocolClient } from './support/protocol.mjs';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

const ROOM = 'fans-de-zoe';
const AWAY = 'Au concert, de retour vers 23 h';

scene.test('a room operator puts someone out, who sees who, where and why and comes back unless banned; invitations; away', async () => {
  const zoe = await scene.person({ nickname: 'Zoe', age: 29 });
  const karim = await scene.person({ nickname: 'Karim', age: 28, gender: 'homme', department: '13' });
  const bob = await scene.person({ nickname: 'Bob', age: 31, gender: 'homme', department: '69' }, { phone: true, colorScheme: 'dark' });
  const operator = await ProtocolClient.connect(zoe);
  await operator.expect({ type: 'enter', protocol: 1, nickname: 'Zoe', age: 29, gender: 'femme', department: '75' }, 'entered');
  await operator.expect({ type: 'create_room', name: 'Fans de Zoé', topic: 'Tout sur les concerts' }, 'joined');
  await karim.enter();
  await bob.enter();
  await karim.joinRoom(ROOM);
  await bob.joinRoom(ROOM);
  await karim.room(ROOM).getByTestId('room-members').getByText('Membres : 3').waitFor();
  const { user: karimInfo } = await operator.expect({ type: 'whois', nick: 'Karim' }, 'user_info');

  // Away and back: the member list and the profile card follow.
  await karim.room(ROOM).getByTestId('room-members').click();
  await karim.page.getByTestId('people-count').getByText('3 personnes').waitFor();
  const zoeListed = karim.personInList('Zoe');
  await zoeListed.click();
  const card = karim.page.getByTestId('profile-card');
  await card.getByText('29 ans, Femme').waitFor();
  assert.equal(await card.getByTestId('profile-away').count(), 0, 'not away yet');
  await operator.expect({ type: 'set_away', message: AWAY }, 'ok');
  await card.getByTestId('profile-away').getByText(`Message d'absence : « ${AWAY} »`).waitFor();
  let violations = await axeViolations(karim.page);
  assert.equal(violations.length, 0, `the profile card of someone away is accessible:\n${describeViolations(violations)}`);
  await card.getByRole('button', { name: 'Fermer' }).click();
  await card.waitFor({ state: 'hidden' });
  await zoeListed.getByTestId('away').getByText('absent').waitFor();
  await operator.expect({ type: 'set_away' }, 'ok');
  await zoeListed.getByTestId('away').waitFor({ state: 'detached' });

  // Put out with a reason: the room leaves Karim's screen, a notice says who, where and why.
  await operator.expect({ type: 'kick', room: ROOM, user: karimInfo.id, reason: 'Pas de pub ici' }, 'ok');
  await karim.room(ROOM).waitFor({ state: 'detached' });
  await karim.page.getByTestId('directory').first().waitFor();
  const kicked = karim.page.getByTestId('toast').filter({ hasText: 'Zoe vous a fait sortir du salon Fans de Zoé.' });
  await kicked.getByText('Motif : Pas de pub ici').waitFor();
  await karim.page.getByRole('complementary', { name: 'Mes salons et mes conversations' }).getByText("Vous n'êtes dans aucun salon.").waitFor();
  assert.equal(new URL(karim.page.url()).pathname, '/', 'the address no longer names the room');
  violations = await axeViolations(karim.page);
  assert.equal(violations.length, 0, `the directory with the notice is accessible:\n${describeViolations(violations)}`);
  // Bob, in the room, sees Karim go.
  await bob.room(ROOM).getByTestId('room-members').getByText('Membres : 2').waitFor();
  await bob.page.getByTestId('toast').filter({ hasText: 'Zoe a fait sortir Karim du salon Fans de Zoé.' }).getByText('Motif : Pas de pub ici').waitFor();

  // Back in, by Karim's own hand.
  await kicked.getByRole('button', { name: 'Revenir dans le salon' }).click();
  await karim.room(ROOM).waitFor();
  await kicked.waitFor({ state: 'detached' });
  await bob.room(ROOM).getByTestId('room-members').getByText('Membres : 3').waitFor();

  // Invite-only: out again (no reason given), the way back is refused, until an invitation.
  await operator.expect({ type: 'set_room', room: ROOM, invite_only: true }, 'ok');
  await operator.expect({ type: 'kick', room: ROOM, user: karimInfo.id }, 'ok');
  await karim.room(ROOM).waitFor({ state: 'detached' });
  const kickedAgain = karim.page.getByTestId('toast').filter({ hasText: 'Zoe vous a fait sortir du salon Fans de Zoé.' });
  assert.equal(await kickedAgain.getByText('Motif').count(), 0, 'no reason, none shown');
  await kickedAgain.getByRole('button', { name: 'Revenir dans le salon' }).click();
  await karim.page.getByTestId('toast').filter({ hasText: 'Ce salon est sur invitation.' }).waitFor();
  assert.equal(await karim.room(ROOM).count(), 0, 'the room stays closed');
  await operator.expect({ type: 'invite', room: ROOM, user: karimInfo.id }, 'ok');
  const invitation = karim.page.getByTestId('toast').filter({ hasText: 'Zoe vous invite dans le salon Fans de Zoé.' });
  await bob.page.getByTestId('toast').filter({ hasText: 'Zoe a invité Karim dans le salon Fans de Zoé.' }).waitFor();
  await invitation.getByRole('button', { name: 'Rejoindre' }).click();
  await karim.room(ROOM).waitFor();

  // Banned from the room: the way back says so.
  await operator.expect({ type: 'ban', room: ROOM, mask: 'Karim', on: true }, 'ok');
  await operator.expect({ type: 'kick', room: ROOM, user: karimInfo.id, reason: 'Banni du salon' }, 'ok');
  const banned = karim.page.getByTestId('toast').filter({ hasText: 'Zoe vous a fait sortir du salon Fans de Zoé.' });
  await banned.getByText('Motif : Banni du salon').waitFor();
  await banned.getByRole('button', { name: 'Revenir dans le salon' }).click();
  await karim.page.getByTestId('toast').filter({ hasText: 'Vous êtes banni de ce salon.' }).waitFor();
  assert.equal(await karim.room(ROOM).count(), 0, 'the room stays closed');
});

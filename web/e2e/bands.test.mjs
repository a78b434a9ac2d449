// @ts-check
// The safety invariant, seen from the browser: a teen and an adult never see
// each other anywhere — room directory, people list, search, a room's member
// list, messages, mentions, room links.
//
// Proving that something never shows needs a moment when it would have
// shown: the server handles everything in one order, so once a person sees
// an event that was caused *after* the forbidden one, the forbidden one would
// already be on their screen if it had been sent to them.

import assert from 'node:assert/strict';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

scene.test('a teen and an adult never see each other anywhere in the UI', async () => {
  // Teens enter first, so that everything about them exists before the adults look.
  const zouTeen = await scene.person({ nickname: 'ZouTeen', age: 16, gender: 'femme', department: '13' });
  const ines = await scene.person({ nickname: 'Ines', age: 15, gender: 'femme', department: '33' });
  const zouAdulte = await scene.person({ nickname: 'ZouAdulte', age: 30, gender: 'homme', department: '13' });
  const marc = await scene.person({ nickname: 'Marc', age: 40, gender: 'homme', department: '33' });
  for (const person of [zouTeen, ines, zouAdulte, marc]) await person.enter();

  // The directories: each band has its own rooms.
  assert.equal(await marc.page.locator('button[data-room="15-17-ans"]').count(), 0, 'adults have no teen room');
  assert.equal(await marc.page.locator('button[data-room="rencontres"]').count(), 1, 'adults have the dating room');
  assert.equal(await ines.page.locator('button[data-room="rencontres"]').count(), 0, 'teens have no dating room');
  assert.equal(await ines.page.locator('button[data-room="15-17-ans"]').count(), 1, 'teens have their own room');

  // "paris" exists in both bands, as two separate rooms.
  for (const person of [zouTeen, ines, zouAdulte, marc]) await person.joinRoom('paris');
  await zouTeen.say('message des ados');
  await zouAdulte.say('message des adultes');
  await marc.waitForMessage('message des adultes');
  await zouTeen.say('les ados encore');
  await ines.waitForMessage('les ados encore');
  assert.equal(await marc.messages('message des ados').count(), 0, 'an adult sees no teen message');
  assert.equal(await ines.messages('message des adultes').count(), 0, 'a teen sees no adult message');
  await marc.room('paris').getByText('Membres : 2').waitFor();
  await ines.room('paris').getByText('Membres : 2').waitFor();

  // Search: both "Zou" exist, each band finds only its own.
  await marc.searchPeople('Zou', 'ZouAdulte');
  assert.deepEqual(await marc.peopleShown(), ['ZouAdulte'], 'an adult searching finds no teen');
  await ines.searchPeople('Zou', 'ZouTeen');
  assert.deepEqual(await ines.peopleShown(), ['ZouTeen'], 'a teen searching finds no adult');

  // The whole list of the band.
  await marc.page.fill('#people-search', '');
  await marc.page.getByTestId('people-count').getByText('2 personnes').waitFor();
  assert.deepEqual((await marc.peopleShown()).sort(), ['Marc', 'ZouAdulte']);
  await ines.page.fill('#people-search', '');
  await ines.page.getByTestId('people-count').getByText('2 personnes').waitFor();
  assert.deepEqual((await ines.peopleShown()).sort(), ['Ines', 'ZouTeen']);

  // The room's member list (the people list filtered on the room).
  await marc.room('paris').getByTestId('room-members').click();
  await marc.page.locator('#people-room').evaluate((select) => {
    if (!(select instanceof HTMLSelectElement) || select.value !== 'paris') throw new Error('not filtered on paris');
  });
  await marc.page.getByTestId('people-count').getByText('2 personnes').waitFor();
  assert.deepEqual((await marc.peopleShown()).sort(), ['Marc', 'ZouAdulte']);

  // Nothing of the other band anywhere on either screen.
  for (const [person, others] of [
    [marc, ['ZouTeen', 'Ines', 'message des ados', 'les ados encore']],
    [zouAdulte, ['ZouTeen', 'Ines', 'message des ados', 'les ados encore']],
    [ines, ['ZouAdulte', 'Marc', 'message des adultes']],
    [zouTeen, ['ZouAdulte', 'Marc', 'message des adultes']],
  ]) {
    const text = await /** @type {import('./support/person.mjs').Person} */ (person).visibleText();
    for (const other of /** @type {string[]} */ (others)) {
      assert.ok(!text.includes(other), `${/** @type {any} */ (person).nickname}'s screen shows "${other}"`);
    }
  }

  // An adult who knows a teen's nickname cannot reach them by mentioning it.
  await zouAdulte.say('@ZouTeen @Ines tu es là ?');
  await zouTeen.say('toujours entre ados');
  await ines.waitForMessage('toujours entre ados');
  assert.equal(await zouTeen.page.getByTestId('toast').count(), 0, 'no mention notice reaches ZouTeen');
  assert.equal(await ines.page.getByTestId('toast').count(), 0, 'no mention notice reaches Ines');
  assert.equal(await ines.messages('tu es là').count(), 0);
});

scene.test("a room link of the other band opens nothing: it is refused like a room that does not exist", async () => {
  const lina = await scene.person({ nickname: 'Lina', age: 16 });
  const paul = await scene.person({ nickname: 'Paul', age: 35, gender: 'homme' });
  // Entering from a room link lands in that room.
  await paul.enter('/salon/rencontres');
  await paul.room('rencontres').waitFor();
  await lina.enter('/salon/rencontres');
  await lina.page.getByTestId('toast').waitFor();
  assert.equal(await lina.page.locator('[data-testid=room]').count(), 0, 'no room opened for the teen');
  assert.equal(await lina.page.locator('button[data-room="rencontres"]').count(), 0);
  await paul.page.goto(new URL('/salon/15-17-ans', paul.baseUrl).href);
  // A reload enters again by itself (same tab), then tries the room.
  await paul.waitForChat();
  await paul.page.getByTestId('toast').waitFor();
  assert.equal(await paul.page.locator('[data-testid=room]').count(), 0, 'no room opened for the adult');
});

// @ts-check
// The phone layout (≤ 430 px wide): one panel at a time, switched with the
// bottom navigation, and the same chat as on a desktop. Also takes the
// README's phone screenshots.

import assert from 'node:assert/strict';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

/** Which of the panels are on screen now. */
async function panelsShown(/** @type {import('./support/person.mjs').Person} */ person) {
  const page = person.page;
  return {
    directory: await page.getByTestId('directory').first().isVisible(),
    room: await page.getByTestId('room').isVisible(),
    people: await page.locator('#people-search').isVisible(),
    conversations: await page.locator('#phone-dms-title').isVisible(),
    conversation: await page.getByTestId('conversation').isVisible(),
    settings: await page.getByRole('heading', { name: 'Réglages' }).isVisible(),
  };
}

/** Fails when the page scrolls sideways (something wider than the phone). */
async function assertFitsTheWidth(/** @type {import('./support/person.mjs').Person} */ person, /** @type {string} */ where) {
  const { scroll, width } = await person.page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${where}: the page is ${scroll} px wide on a ${width} px screen`);
}

scene.test('on a phone, one panel at a time with the bottom navigation', async () => {
  const chloe = await scene.person({ nickname: 'Chloe', age: 22, gender: 'femme', department: '2A' }, { phone: true });
  const bob = await scene.person({ nickname: 'Bob', age: 31, gender: 'homme', department: '69' });
  await bob.enter();
  await bob.joinRoom('paris');

  await chloe.open();
  await assertFitsTheWidth(chloe, 'entry');
  await scene.screenshot(chloe, 'phone-entry');
  await chloe.submitEntry();
  await chloe.waitForChat();

  const nav = chloe.page.getByTestId('bottom-nav');
  assert.ok(await nav.isVisible(), 'the bottom navigation shows');
  assert.ok(!(await chloe.page.getByRole('button', { name: 'Annuaire des salons' }).isVisible()), 'no sidebar');
  assert.deepEqual(await panelsShown(chloe), {
    directory: true, room: false, people: false, conversations: false, conversation: false, settings: false,
  });
  assert.equal(await chloe.page.getByTestId('tab-rooms').getAttribute('aria-current'), 'page');
  await assertFitsTheWidth(chloe, 'home');
  await scene.screenshot(chloe, 'phone-home');

  await chloe.page.getByTestId('tab-people').click();
  await chloe.personInList('Bob').waitFor();
  assert.deepEqual(await panelsShown(chloe), {
    directory: false, room: false, people: true, conversations: false, conversation: false, settings: false,
  });
  assert.equal(await chloe.page.getByTestId('tab-people').getAttribute('aria-current'), 'page');
  await scene.screenshot(chloe, 'phone-people');

  await chloe.joinRoom('paris');
  assert.deepEqual(await panelsShown(chloe), {
    directory: false, room: true, people: false, conversations: false, conversation: false, settings: false,
  });
  await bob.say('Bienvenue Chloe !');
  await chloe.waitForMessage('Bienvenue Chloe !');
  await chloe.say('Merci Bob 😊');
  await bob.waitForMessage('Merci Bob');
  await assertFitsTheWidth(chloe, 'room');
  await scene.screenshot(chloe, 'phone-room');

  // A private message while Chloe looks at the room: the Messages tab counts it.
  await bob.openDmWith('Chloe');
  await bob.type('Tu es de Corse ?');
  await chloe.page.getByTestId('tab-messages').getByTestId('unread').waitFor();
  await chloe.page.getByTestId('tab-messages').click();
  assert.deepEqual(await panelsShown(chloe), {
    directory: false, room: false, people: false, conversations: true, conversation: false, settings: false,
  });
  await scene.screenshot(chloe, 'phone-messages');
  await chloe.openConversation('Bob');
  await chloe.dmMessages('Tu es de Corse ?').waitFor();
  assert.deepEqual(await panelsShown(chloe), {
    directory: false, room: false, people: false, conversations: false, conversation: true, settings: false,
  });
  await bob.conversation('Chloe').getByTestId('seen').waitFor();
  await chloe.type('Oui, Ajaccio !');
  await bob.dmMessages('Oui, Ajaccio !').waitFor();
  await assertFitsTheWidth(chloe, 'conversation');
  await scene.screenshot(chloe, 'phone-dm');

  await chloe.showSettings();
  assert.deepEqual(await panelsShown(chloe), {
    directory: false, room: false, people: false, conversations: false, conversation: false, settings: true,
  });
  await assertFitsTheWidth(chloe, 'settings');
  await scene.screenshot(chloe, 'phone-settings');

  // The dark theme, chosen in the settings.
  await chloe.page.getByRole('radio', { name: 'Sombre' }).check();
  await chloe.page.getByTestId('tab-rooms').click();
  await chloe.page.getByTestId('my-rooms').locator('visible=true').getByRole('button', { name: 'Paris' }).click();
  await chloe.room('paris').waitFor();
  await scene.screenshot(chloe, 'phone-room-dark');
});

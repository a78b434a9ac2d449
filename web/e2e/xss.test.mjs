// @ts-check
// Markup typed by people is shown as text and never runs: in a nickname
// (which the server refuses, and the refusal is shown as text), in room and
// private messages, in the conversation list, in a room topic. A dialog
// (alert) would be recorded by the page watcher and fail the test, and so
// would the request for `x` that an injected <img src=x> makes, and the
// console error of a Content-Security-Policy refusal.

import assert from 'node:assert/strict';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(1)</script>';

/** Elements that only injected markup could have put in the page. */
async function injectedElements(/** @type {import('./support/person.mjs').Person} */ person) {
  return person.page.evaluate(() => ({
    images: document.querySelectorAll('img').length,
    scripts: [...document.querySelectorAll('script')].filter((script) => !script.src).length,
    bold: document.querySelectorAll('#app b').length,
  }));
}

scene.test('markup in a nickname is refused, and the refusal is shown as text', async () => {
  const mallory = await scene.person({ nickname: '<script>', age: 30 });
  await mallory.open();
  const refused = () => mallory.user.nextFrame((text) => text.includes('"code":"nickname_invalid"'));
  let refusal = refused();
  await mallory.submitEntry();
  await refusal;
  const error = mallory.page.getByTestId('error-nickname');
  await error.filter({ hasText: /\S/ }).waitFor();
  const shown = await error.textContent();
  assert.match(shown ?? '', /caractère|lettre|pseudo/i, `the refusal says why: ${shown}`);

  // The form's length limit (20) is no defence: a page script could set any value.
  await mallory.page.locator('#entry-nickname').evaluate((input, value) => {
    if (!(input instanceof HTMLInputElement)) return;
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, IMG);
  refusal = refused();
  await mallory.page.click('#entry-submit');
  await refusal;
  await error.filter({ hasText: /\S/ }).waitFor();
  assert.equal(await mallory.page.locator('#entry-nickname').inputValue(), IMG);
  assert.deepEqual(await injectedElements(mallory), { images: 0, scripts: 0, bold: 0 });
  assert.deepEqual(mallory.user.dialogs, []);
});

scene.test('markup in messages, private messages and a room topic shows as text and runs nothing', async () => {
  const mallory = await scene.person({ nickname: 'Mallory', age: 30, gender: 'autre' });
  const alice = await scene.person({ nickname: 'Alice', age: 25 });
  await mallory.enter();
  await alice.enter();
  await mallory.joinRoom('paris');
  await alice.joinRoom('paris');

  for (const payload of [IMG, SCRIPT, '<b>gras</b> & <i>co</i>']) {
    await mallory.say(payload);
    await alice.waitForMessage(payload);
    const shown = await alice.messages(payload).first().locator('.body').textContent();
    assert.equal(shown, payload, 'the message is shown exactly as typed');
  }

  await mallory.openDmWith('Alice');
  await mallory.type(IMG);
  await mallory.dmMessages(IMG).waitFor();
  await alice.openConversation('Mallory');
  assert.equal(await alice.dmMessages(IMG).locator('.body').textContent(), IMG);
  await alice.page.getByTestId('conversations').locator('visible=true').getByText(IMG).waitFor();

  // A room of her own: markup in the name is refused (as text), in the topic shown as text.
  await mallory.showDirectory();
  await mallory.page.getByText('Créer un salon').click();
  await mallory.page.fill('#new-room-name', '<b>salon</b>');
  await mallory.page.fill('#new-room-topic', IMG);
  await mallory.page.getByRole('button', { name: 'Créer et entrer' }).click();
  await mallory.page.getByTestId('create-room').getByRole('alert').waitFor();
  await mallory.page.fill('#new-room-name', 'Piège');
  await mallory.page.getByRole('button', { name: 'Créer et entrer' }).click();
  await mallory.room('piege').waitFor();
  assert.equal(await mallory.room('piege').getByTestId('room-topic').textContent(), IMG);
  await alice.showDirectory();
  await alice.page.locator('button[data-room="piege"]').getByText(IMG).waitFor();

  for (const person of [mallory, alice]) {
    assert.deepEqual(await injectedElements(person), { images: 0, scripts: 0, bold: 0 }, person.nickname);
    assert.deepEqual(person.user.dialogs, [], `${person.nickname} saw no dialog`);
  }
});

// @ts-check
// axe-core finds no accessibility violation on any screen — entry (empty
// and with errors), room directory, room, people, profile card, private
// messages, settings — on a desktop and a phone, in the light and the dark
// theme. The person scanned is helped by a second one who talks to them, so
// that rooms and conversations have messages, a mention, a reply and "seen".

import assert from 'node:assert/strict';
import { axeViolations, describeViolations } from './support/axe.mjs';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

/** A room per run: scrollback would otherwise carry the last run's messages. */
const rooms = ['lyon', 'marseille', 'toulouse', 'lille'];

for (const phone of [false, true]) {
  for (const colorScheme of /** @type {const} */ (['light', 'dark'])) {
    const layout = phone ? 'phone' : 'desktop';
    const room = rooms.shift() ?? 'paris';
    scene.test(`no axe violations on any screen: ${layout}, ${colorScheme} theme`, async () => {
      const nina = await scene.person({ nickname: 'Nina', age: 27, gender: 'femme', department: '2B' }, { phone, colorScheme });
      const bob = await scene.person({ nickname: 'Bob', age: 31, gender: 'homme', department: '69' });
      /** @type {string[]} */
      const failures = [];
      const check = async (/** @type {string} */ screen) => {
        const violations = await axeViolations(nina.page);
        if (violations.length > 0) failures.push(`${screen}:\n${describeViolations(violations)}`);
      };

      await nina.open();
      await check('entry');
      await nina.page.click('#entry-submit');
      await nina.page.getByTestId('error-nickname').filter({ hasText: /\S/ }).waitFor();
      await check('entry with errors');
      await nina.submitEntry();
      await nina.waitForChat();
      await check('room directory');

      await bob.enter();
      await bob.joinRoom(room);
      await nina.joinRoom(room);
      await bob.say('Salut @Nina, tu connais un bon bouchon ?');
      await nina.waitForMessage('bon bouchon');
      await nina.messages('bon bouchon').getByRole('button', { name: 'Répondre à Bob' }).click();
      await nina.type('Oui, rue Mercière !');
      await nina.waitForMessage('rue Mercière');
      await check('room');

      await nina.showPeople();
      await nina.page.getByText('Filtres').click();
      await nina.personInList('Bob').waitFor();
      await check('people');
      await nina.personInList('Bob').click();
      await nina.page.getByTestId('send-message').waitFor();
      await check('profile card');
      await nina.page.getByTestId('send-message').click();
      await nina.type('Coucou Bob');
      await bob.openConversation('Nina');
      await bob.type('Coucou Nina');
      await nina.dmMessages('Coucou Nina').waitFor();
      await nina.conversation('Bob').getByTestId('seen').waitFor();
      await check('private conversation');
      if (phone) {
        await nina.page.getByTestId('tab-messages').click();
        await nina.page.getByTestId('conversations').locator('visible=true').waitFor();
        await check('list of conversations');
      }
      await nina.showSettings();
      await check('settings');

      assert.equal(failures.length, 0, `axe found violations (${layout}, ${colorScheme}):\n${failures.join('\n\n')}`);
    });
  }
}

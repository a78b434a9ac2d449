// @ts-check
// Members in the browser: a guest reserves the nickname in the settings and
// sees the recovery codes once; from a new page (another device) the
// nickname needs the password, and the member comes back with the stored
// profile and a member badge; a recovery code works instead of the password.

import assert from 'node:assert/strict';
import { axeViolations } from './support/axe.mjs';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();
const PASSWORD = 'le chat de Zoé dort';

scene.test('a guest registers, then logs in again from a new page with the password', async () => {
  const alice = await scene.person({ nickname: 'Alice', age: 25, department: '69' });
  await alice.enter();
  const codes = await alice.register(PASSWORD);
  assert.equal(codes.length, 8, `codes: ${codes}`);
  assert.match(codes[0], /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.deepEqual(await axeViolations(alice.page), [], 'the recovery codes screen is accessible');
  await alice.page.getByTestId('codes-noted').click();
  await alice.page.getByTestId('recovery-codes').waitFor({ state: 'detached' });
  await alice.page.getByTestId('change-password-form').waitFor();
  // Leaving frees the nickname; the account keeps it.
  await alice.page.getByRole('button', { name: 'Quitter le chat' }).click();
  await alice.page.locator('#entry-submit').waitFor();

  // Someone else, as a guest, cannot take it.
  const impostor = await scene.person({ nickname: 'Alice', age: 40, gender: 'homme' });
  await impostor.open();
  await impostor.submitEntry();
  await impostor.page
    .getByTestId('error-password')
    .getByText('Ce pseudo appartient à un membre inscrit : indiquez son mot de passe.')
    .waitFor();
  assert.deepEqual(await axeViolations(impostor.page), [], 'the refused entry form is accessible');

  // A new page, as on another device: nickname and password only.
  const again = await scene.person({ nickname: 'Alice', age: 0 });
  await again.enterAsMember({ password: PASSWORD });
  await again.showPeople();
  await again.personInList('Alice').getByTestId('member-badge').waitFor();
  await again.showSettings();
  // The profile stored at registration is the one used.
  await again.page.getByText('Vous êtes Alice, 25 ans, Rhône.').waitFor();
  await again.page.getByRole('button', { name: 'Quitter le chat' }).click();
  await again.page.locator('#entry-submit').waitFor();

  // A recovery code instead of the password, then a new password.
  const lost = await scene.person({ nickname: 'Alice', age: 0 });
  await lost.enterAsMember({ recoveryCode: codes[2] });
  await lost.showSettings();
  const form = lost.page.getByTestId('change-password-form');
  await form.getByLabel('Nouveau mot de passe').fill('trois petits chats gris');
  await form.getByLabel('Confirmer le mot de passe').fill('trois petits chats gris');
  await form.getByRole('button', { name: 'Changer de mot de passe' }).click();
  await lost.page.getByText('Mot de passe changé.').waitFor();
});

// @ts-check
// Site-wide sanctions, as the sanctioned person lives them. A moderator
// (a member the configuration names in `[staff]`, so registered on a first
// start of the server, then named on a second start on the same data
// folder) speaks the protocol from a page of their own; a guest on a phone,
// in the dark theme, sees the moderator's badge (in the people list and on
// the profile card), then gets muted, kicked and banned, and each time the
// statement of reasons (what, why, until when, the number, how to appeal;
// axe checks the dialog and the entry form). Muted, a message is kept with until when; kicked, the guest comes
// back by their own hand; banned, the entry form gives the reason and "for
// good", also when entering again. (That nothing re-enters by itself is
// proved in session.test.ts, with a fake clock.)

import assert from 'node:assert/strict';
import { axeViolations, describeViolations } from './support/axe.mjs';
import { ProtocolClient } from './support/protocol.mjs';
import { Scene } from './support/scene.mjs';

const scene = Scene.setUp();

const PASSWORD = 'le phare garde le port la nuit';
const APPEAL = 'Pour contester, écrivez à moderation@example.org en citant le numéro de la sanction.';
const MUTE_REASON = 'Insultes répétées dans #bordeaux (règle 2 : respect)';
const KICK_REASON = 'Flood dans #bordeaux après le mute';
const BAN_REASON = 'Menaces envers un membre (règle 1)';

/** The end of a sanction as the page writes it: French, Paris time (the browser context's). */
function parisDateTime(/** @type {number} */ at) {
  return new Intl.DateTimeFormat('fr', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(at);
}

scene.test('a guest muted, kicked, then banned by a moderator sees why each time, and comes back by their own hand', async () => {
  // The moderator's account exists before the configuration names it.
  const vigie = await scene.person({ nickname: 'Vigie', age: 41, gender: 'homme' });
  let staff = await ProtocolClient.connect(vigie);
  await staff.expect({ type: 'enter', protocol: 1, nickname: 'Vigie', age: 41, gender: 'homme', department: '33' }, 'entered');
  await staff.expect({ type: 'register', password: PASSWORD }, 'registered');
  await staff.close();
  await scene.server.stop();
  scene.server.configure(`[staff]\nmoderators = ["Vigie"]\nappeal = "${APPEAL}"\n`);
  await scene.server.start();

  const relou = await scene.person({ nickname: 'Relou', age: 22, gender: 'homme' }, { phone: true, colorScheme: 'dark' });
  await relou.enter();
  await relou.joinRoom('bordeaux');
  staff = await ProtocolClient.connect(vigie);
  const entered = await staff.expect({ type: 'enter', protocol: 1, nickname: 'Vigie', password: PASSWORD }, 'entered');
  assert.equal(entered.you.staff, 'moderator');

  // The real moderator wears the badge.
  await relou.searchPeople('Vigie', 'Vigie');
  await relou.personInList('Vigie').getByTestId('staff-badge').getByText('Modération').waitFor();
  await relou.personInList('Vigie').click();
  const card = relou.page.getByTestId('profile-card');
  await card.getByTestId('staff-badge').getByText('Modération').waitFor();
  await card.getByText("Fait partie de l'équipe du site.").waitFor();
  await card.getByRole('button', { name: 'Fermer' }).click();
  await card.waitFor({ state: 'hidden' });
  await relou.joinRoom('bordeaux');

  // A mute: the statement of reasons, with its end in local time.
  const statement = relou.page.getByRole('alertdialog');
  let notice = relou.user.nextFrame((text) => JSON.parse(text).type === 'sanctioned');
  const mute = await staff.expect(
    { type: 'sanction', nick: 'Relou', kind: 'mute', duration_secs: 3600, reason: MUTE_REASON },
    'sanction_recorded',
  );
  const { until } = JSON.parse(await notice);
  await statement.getByRole('heading', { name: 'La modération vous a rendu muet' }).waitFor();
  await statement.getByText(MUTE_REASON).waitFor();
  assert.equal((await statement.getByTestId('sanction-end').textContent())?.trim(), parisDateTime(until));
  assert.equal(await statement.getByTestId('sanction-id').textContent(), mute.id);
  await statement.getByText(APPEAL).waitFor();
  const violations = await axeViolations(relou.page);
  assert.equal(violations.length, 0, `the statement of reasons is accessible:\n${describeViolations(violations)}`);
  await statement.getByRole('button', { name: "J'ai compris" }).click();
  await statement.waitFor({ state: 'hidden' });

  // Muted: what is sent is refused, kept, and says until when.
  await relou.type('vous êtes tous nuls');
  const kept = relou.page.getByTestId('pending').filter({ hasText: 'vous êtes tous nuls' });
  await kept.and(relou.page.locator('[data-status=failed]')).getByText(/muet jusqu’à|muet jusqu'à/).waitFor();
  await relou.page.getByTestId('muted-note').locator('visible=true').waitFor();

  // A kick: the statement, then back in by the guest's own hand.
  const closing = relou.user.nextFrame((text) => JSON.parse(text).type === 'closing');
  await staff.expect({ type: 'sanction', nick: 'Relou', kind: 'kick', reason: KICK_REASON }, 'sanction_recorded');
  assert.equal(JSON.parse(await closing).reason, 'kicked');
  await statement.getByText(KICK_REASON).waitFor();
  await relou.page.getByTestId('connection-status').getByText('La modération vous a fait sortir du chat.').waitFor();
  await statement.getByTestId('come-back').click();
  await relou.waitOnline();
  await relou.room('bordeaux').waitFor();
  await kept.waitFor();

  // A ban for good: the statement, then the entry form says why.
  notice = relou.user.nextFrame((text) => JSON.parse(text).type === 'sanctioned');
  await staff.expect({ type: 'sanction', nick: 'Relou', kind: 'ban', reason: BAN_REASON }, 'sanction_recorded');
  assert.equal(JSON.parse(await notice).until, undefined);
  await statement.getByRole('heading', { name: 'La modération vous a banni du chat' }).waitFor();
  await statement.getByText(BAN_REASON).waitFor();
  await statement.getByTestId('sanction-end').getByText('Définitivement').waitFor();
  await statement.getByRole('button', { name: "J'ai compris" }).click();
  const refusal = relou.page.getByTestId('error-form');
  await refusal.getByText(BAN_REASON).waitFor();
  await refusal.getByText('Définitivement').waitFor();

  // Entering again is refused by the server, with the reason.
  const banned = relou.user.nextFrame((text) => JSON.parse(text).code === 'banned');
  await relou.submitEntry();
  assert.equal(JSON.parse(await banned).detail, BAN_REASON);
  await refusal.getByText(BAN_REASON).waitFor();
  await refusal.getByText('Définitivement').waitFor();
  assert.deepEqual(await axeViolations(relou.page), [], 'the entry form with the ban is accessible');
});

// @ts-check
// A person using tchatche in their own browser context, with methods that
// read like what they do ("enter as Alice, 25", "join Paris", "say hello")
// and wait for what the screen should show, with a timeout, never a sleep.
// The hooks are the ids and data-testid values of web/src/components.

import { UI_TIMEOUT_MS } from './browser.mjs';

/**
 * @typedef {object} Profile
 * @property {string} nickname
 * @property {number} age
 * @property {'femme' | 'homme' | 'autre'} [gender]
 * @property {string} [department] a code of the picker ('75', '2A', '99' for abroad)
 */

export class Person {
  /**
   * @param {import('./browser.mjs').UserPage} user
   * @param {string} baseUrl
   * @param {Profile} profile
   */
  constructor(user, baseUrl, profile) {
    this.user = user;
    this.page = user.page;
    this.baseUrl = baseUrl;
    this.profile = profile;
  }

  get nickname() {
    return this.profile.nickname;
  }

  /** Phone layout: one panel at a time and a bottom bar. */
  get isPhone() {
    return (this.page.viewportSize()?.width ?? 1280) <= 760;
  }

  /** Opens the site (at `path`) and shows the entry form. */
  async open(path = '/') {
    await this.page.goto(new URL(path, this.baseUrl).href);
    await this.page.locator('#entry-submit').waitFor();
  }

  /** Fills in the entry form and sends it, without waiting for the answer. */
  async submitEntry(profile = this.profile) {
    const page = this.page;
    await page.fill('#entry-nickname', profile.nickname);
    await page.fill('#entry-age', String(profile.age));
    await page.check(`#entry-gender-${profile.gender ?? 'femme'}`);
    await page.selectOption('#entry-department', profile.department ?? '75');
    await page.click('#entry-submit');
  }

  /**
   * Enters as the member with this nickname: the nickname and the password
   * (or a recovery code) only, as on a new device; resolves once in the chat.
   * @param {{ password?: string, recoveryCode?: string }} secret
   */
  async enterAsMember(secret) {
    await this.open();
    const page = this.page;
    await page.fill('#entry-nickname', this.profile.nickname);
    if (secret.recoveryCode !== undefined) {
      await page.getByTestId('entry-use-code').click();
      await page.fill('#entry-password', secret.recoveryCode);
    } else {
      await page.fill('#entry-password', secret.password ?? '');
    }
    await page.click('#entry-submit');
    await this.waitForChat();
  }

  /**
   * Reserves the nickname in the settings; returns the recovery codes shown.
   * @param {string} password
   */
  async register(password) {
    await this.showSettings();
    const form = this.page.getByTestId('register-form');
    await form.getByLabel('Mot de passe', { exact: true }).fill(password);
    await form.getByLabel('Confirmer le mot de passe').fill(password);
    await form.getByRole('button', { name: 'Réserver mon pseudo' }).click();
    const codes = this.page.getByTestId('recovery-codes');
    await codes.waitFor();
    return codes.locator('code').allTextContents();
  }

  /** Opens the site and enters; resolves once the chat is on screen. */
  async enter(path = '/') {
    await this.open(path);
    await this.submitEntry();
    await this.waitForChat();
  }

  async waitForChat() {
    await this.page.getByTestId('entry-form').waitFor({ state: 'detached' });
    await this.page.getByTestId('bottom-nav').waitFor({ state: 'attached' });
    await this.waitOnline();
  }

  /** Waits until the connection banner has nothing to say (online and entered). */
  async waitOnline(timeout = UI_TIMEOUT_MS) {
    await this.page.waitForFunction(
      () => document.querySelector('[data-testid=connection-status]')?.textContent?.trim() === '',
      null,
      { timeout },
    );
  }

  /** Shows the room directory (sidebar link on a desktop, "Salons" tab on a phone). */
  async showDirectory() {
    if (this.isPhone) await this.page.getByTestId('tab-rooms').click();
    else await this.page.getByRole('button', { name: 'Annuaire des salons' }).click();
    await this.page.getByTestId('directory').first().waitFor();
  }

  /** Joins a room from the directory and waits for it to open. */
  async joinRoom(/** @type {string} */ slug) {
    if (!(await this.page.locator(`button[data-room="${slug}"]`).isVisible())) await this.showDirectory();
    await this.page.locator(`button[data-room="${slug}"]`).click();
    await this.room(slug).waitFor();
  }

  /** The open room's panel. */
  room(/** @type {string} */ slug) {
    return this.page.locator(`[data-testid=room][data-room="${slug}"]`);
  }

  /** The visible composer (of the open room or conversation). */
  composer() {
    return this.page.getByTestId('composer').locator('visible=true');
  }

  /** Types a message and sends it with Enter, as a person would. */
  async type(/** @type {string} */ text) {
    await this.composer().fill(text);
    await this.composer().press('Enter');
  }

  /** Says something in the open room and waits for it to come back from the server. */
  async say(/** @type {string} */ text) {
    await this.type(text);
    await this.waitForMessage(text);
  }

  /** Room messages on screen with this text. */
  messages(/** @type {string} */ text) {
    return this.page.getByTestId('message').filter({ hasText: text });
  }

  async waitForMessage(/** @type {string} */ text, timeout = UI_TIMEOUT_MS) {
    await this.messages(text).first().waitFor({ timeout });
  }

  /** Private messages on screen with this text. */
  dmMessages(/** @type {string} */ text) {
    return this.page.getByTestId('dm-message').filter({ hasText: text });
  }

  /** Shows the people panel (always visible on a desktop). */
  async showPeople() {
    if (this.isPhone) await this.page.getByTestId('tab-people').click();
    await this.page.locator('#people-search').waitFor();
  }

  /** The people list's entry for a nickname. */
  personInList(/** @type {string} */ nickname) {
    return this.page.locator(`[data-testid=people] button[data-nick="${nickname}"]`);
  }

  /** Searches the people list and waits until `expected` shows (proving the answer arrived). */
  async searchPeople(/** @type {string} */ text, /** @type {string} */ expected) {
    await this.showPeople();
    await this.page.fill('#people-search', text);
    await this.personInList(expected).waitFor();
    // The list answers the whole search: every entry shown contains it.
    await this.page.waitForFunction(
      (wanted) =>
        [...document.querySelectorAll('[data-testid=people] button[data-nick]')].every((button) =>
          (button.getAttribute('data-nick') ?? '').toLowerCase().includes(wanted),
        ),
      text.toLowerCase(),
    );
  }

  /** The nicknames the people list shows now. */
  async peopleShown() {
    return this.page.locator('[data-testid=people] button[data-nick]').evaluateAll((buttons) =>
      buttons.map((button) => button.getAttribute('data-nick') ?? ''),
    );
  }

  /** Opens someone's profile card from the people list, then the conversation with them. */
  async openDmWith(/** @type {string} */ nickname) {
    await this.showPeople();
    await this.page.fill('#people-search', nickname);
    await this.personInList(nickname).click();
    await this.page.getByTestId('send-message').click();
    await this.conversation(nickname).waitFor();
  }

  /** The open conversation with `nickname`. */
  conversation(/** @type {string} */ nickname) {
    return this.page.getByTestId('conversation').filter({ has: this.page.locator('#dm-title', { hasText: nickname }) });
  }

  /** Opens an existing conversation from the list (a desktop's sidebar, a phone's Messages tab). */
  async openConversation(/** @type {string} */ nickname) {
    if (this.isPhone) await this.page.getByTestId('tab-messages').click();
    await this.page
      .getByTestId('conversations')
      .locator('visible=true')
      .getByRole('button', { name: new RegExp(nickname) })
      .click();
    await this.conversation(nickname).waitFor();
  }

  /** Shows the settings screen. */
  async showSettings() {
    if (this.isPhone) await this.page.getByTestId('tab-settings').click();
    else await this.page.getByRole('button', { name: 'Réglages' }).click();
    await this.page.getByRole('heading', { name: 'Réglages' }).waitFor();
  }

  /** The visible text of the whole page (for "never shows X anywhere" checks). */
  async visibleText() {
    return this.page.evaluate(() => document.body.innerText);
  }
}

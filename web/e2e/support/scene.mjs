// @ts-check
// A scene: one real server, one Chromium, and the people of a test file.
// `scene.test(name, fn)` wraps node:test's `test` so that a failure says
// everything needed to understand it: the error, every page's problems
// (console errors, failed requests, dialogs), the server's last lines, and
// a screenshot of every page, saved under the system's temporary folder.
// Every test also fails when any page had a problem it did not expect.

import { mkdirSync, mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { launchBrowser, newUser } from './browser.mjs';
import { Person } from './person.mjs';
import { TchatcheServer } from './server.mjs';

/** Where the README's screenshots live. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

/**
 * Screenshots are taken on every run; they replace the committed ones only
 * with `UPDATE_SCREENSHOTS=1` (or when one is missing), because times and
 * ids differ on every run and the work tree should stay clean after tests.
 * Otherwise they go to a temporary folder, printed at the end.
 */
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

export class Scene {
  /** @param {import('./server.mjs').ServerOptions} [serverOptions] */
  constructor(serverOptions = {}) {
    this.server = new TchatcheServer(serverOptions);
    /** @type {import('playwright-core').Browser | null} */
    this.browser = null;
    /** @type {Person[]} */
    this.people = [];
    /** @type {string | null} */
    this.scratchDir = null;
  }

  /** Registers the start and the end of the scene with node:test. */
  static setUp(/** @type {import('./server.mjs').ServerOptions} */ serverOptions = {}) {
    const scene = new Scene(serverOptions);
    before(async () => {
      await scene.server.start();
      scene.browser = await launchBrowser();
    });
    after(async () => {
      await scene.browser?.close();
      await scene.server.dispose();
      if (scene.scratchDir) console.log(`# screenshots of this run: ${scene.scratchDir}`);
    });
    return scene;
  }

  /**
   * A new person, in a browser context of their own.
   * @param {import('./person.mjs').Profile} profile
   * @param {{ phone?: boolean, colorScheme?: 'light' | 'dark' }} [options]
   */
  async person(profile, options = {}) {
    if (!this.browser) throw new Error('the scene has not started');
    const user = await newUser(this.browser, { label: profile.nickname, ...options });
    const person = new Person(user, this.server.url, profile);
    this.people.push(person);
    return person;
  }

  /**
   * A test of this scene; its people's pages must end without problems.
   * @param {string} name
   * @param {() => Promise<void>} body
   * @param {{ timeout?: number }} [options]
   */
  test(name, body, options = {}) {
    test(name, { timeout: options.timeout ?? 90_000 }, async () => {
      try {
        await body();
        for (const person of this.people) person.user.assertClean();
      } catch (error) {
        throw await this.explain(name, error);
      } finally {
        for (const person of this.people) await person.user.close().catch(() => {});
        this.people = [];
      }
    });
  }

  /** Adds the pages' problems, the server's log and screenshots to a failure. */
  async explain(/** @type {string} */ name, /** @type {unknown} */ error) {
    const dir = mkdtempSync(join(tmpdir(), 'tchatche-e2e-failure-'));
    const lines = [`${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, ''];
    for (const person of this.people) {
      const file = join(dir, `${person.nickname.replace(/[^A-Za-z0-9_-]/g, '_')}.png`);
      const shot = await person.page.screenshot({ path: file, fullPage: true, timeout: 5000 }).then(
        () => file,
        () => 'no screenshot',
      );
      lines.push(`${person.nickname} at ${person.page.url()} (${shot})`);
      for (const problem of person.user.problems) lines.push(`  ${problem.kind}: ${problem.text}`);
      for (const dialog of person.user.dialogs) lines.push(`  dialog: ${dialog}`);
    }
    lines.push('', `server log (last lines):`, this.server.tail(25));
    const explained = new Error(`${name}\n${lines.join('\n')}`);
    return explained;
  }

  /**
   * Saves a screenshot of what `person` sees as docs/screenshots/<name>.png
   * (see UPDATE_SCREENSHOTS) and returns its path.
   * @param {Person} person
   * @param {string} name
   */
  async screenshot(person, name) {
    const committed = join(SCREENSHOT_DIR, `${name}.png`);
    let path = committed;
    if (!UPDATE_SCREENSHOTS && existsSync(committed)) {
      this.scratchDir ??= mkdtempSync(join(tmpdir(), 'tchatche-screenshots-'));
      path = join(this.scratchDir, `${name}.png`);
    } else {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
    }
    // Nothing moving, no blinking caret, no focus ring left by the test's clicks.
    await person.page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : 0));
    await person.page.screenshot({ path, animations: 'disabled', caret: 'hide' });
    return path;
  }
}

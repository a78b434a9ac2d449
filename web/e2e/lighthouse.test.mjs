// @ts-check
// Lighthouse (npm `lighthouse`, run against Debian's Chromium) on the two
// screens the issue names: performance ≥ 95, accessibility 100 and best
// practices 100, with Lighthouse's default settings (a mid-range phone on a
// slow 4G network, simulated). The scores are printed.
//
// The entry screen is the site's address, opened fresh.
//
// The room screen needs a person in the chat. Lighthouse measures page
// loads, so the sound way to measure a room is the load a person really
// goes through to see one: the room's own address (`/salon/paris`) opened in
// a tab that is in the chat — a reload, or a room link followed in that tab.
// So one tab enters and joins Paris first (driven with puppeteer, as
// Lighthouse's API wants its page), and Lighthouse then loads
// `/salon/paris` in that same tab, keeping its storage
// (`disableStorageReset`): the app enters again by itself with the tab's
// profile and opens the room. Afterwards the test checks that the page
// Lighthouse measured is the room with its messages, not the entry form.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './support/browser.mjs';
import { TchatcheServer } from './support/server.mjs';

/** The thresholds, in Lighthouse's 0–100 scores. */
const REQUIRED = { performance: 95, accessibility: 100, 'best-practices': 100 };

const server = new TchatcheServer();
const profileDir = mkdtempSync(join(tmpdir(), 'tchatche-lighthouse-'));
/** @type {import('puppeteer-core').Browser} */
let browser;

before(async () => {
  await server.start();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    userDataDir: profileDir,
    defaultViewport: null,
  });
});

after(async () => {
  await browser?.close();
  await server.dispose();
  rmSync(profileDir, { recursive: true, force: true });
});

/**
 * Runs Lighthouse on `url` in `page`, prints the scores and what cost points,
 * and returns the report.
 * @param {string} screen
 * @param {string} url
 * @param {import('puppeteer-core').Page} page
 * @param {{ disableStorageReset?: boolean }} [flags]
 */
async function audit(screen, url, page, flags = {}) {
  const result = await lighthouse(
    url,
    { output: 'json', logLevel: 'error', onlyCategories: Object.keys(REQUIRED), ...flags },
    undefined,
    // Lighthouse bundles its own puppeteer-core types; the page is the same object.
    /** @type {any} */ (page),
  );
  if (!result) throw new Error(`Lighthouse returned no result for ${url}`);
  const lhr = result.lhr;
  if (lhr.runtimeError) throw new Error(`Lighthouse failed on ${url}: ${lhr.runtimeError.message}`);
  const scores = Object.fromEntries(
    Object.keys(REQUIRED).map((id) => [id, Math.round((lhr.categories[id]?.score ?? 0) * 100)]),
  );
  const metrics = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index']
    .map((id) => `${id} ${lhr.audits[id]?.displayValue ?? '?'}`)
    .join(', ');
  console.log(
    `# Lighthouse ${lhr.lighthouseVersion}, ${screen} (${url}): performance ${scores.performance}, accessibility ${scores.accessibility}, best practices ${scores['best-practices']}`,
  );
  console.log(`#   ${metrics}`);
  // What cost points, so that a drop says where to look.
  const losses = Object.values(lhr.categories).flatMap((category) =>
    category.auditRefs
      .filter((ref) => ref.weight > 0)
      .map((ref) => lhr.audits[ref.id])
      .filter((found) => found.score !== null && found.score < 1)
      .map((found) => `${category.id}/${found.id} ${found.score} ${found.displayValue ?? ''}`.trim()),
  );
  for (const loss of losses) console.log(`#   below full marks: ${loss}`);
  return { lhr, scores, losses };
}

/** @param {Record<string, number>} scores */
function assertScores(/** @type {string} */ screen, scores, /** @type {string[]} */ losses) {
  for (const [category, minimum] of Object.entries(REQUIRED)) {
    assert.ok(
      (scores[category] ?? 0) >= minimum,
      `${screen}: ${category} ${scores[category]} < ${minimum}\n${losses.join('\n')}`,
    );
  }
}

test('Lighthouse: the entry screen', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  const { scores, losses } = await audit('entry screen', `${server.url}/`, page);
  await page.close();
  assertScores('entry screen', scores, losses);
});

test('Lighthouse: a room screen, loaded from its address in a tab that is in the chat', { timeout: 120_000 }, async () => {
  // Someone talks in Paris, so that the room has messages to show.
  // Each person in a context of their own (their own storage, as on their own device).
  const setup = await (await browser.createBrowserContext()).newPage();
  await enter(setup, 'Bob', '31');
  await joinParis(setup);
  for (const text of ['Bonjour Paris !', 'Quelqu’un pour un ciné ce soir ?', 'Le Grand Rex passe un classique à 20 h.']) {
    await setup.type('[data-testid=composer]', text);
    await setup.keyboard.press('Enter');
    await setup.waitForFunction(
      (wanted) => [...document.querySelectorAll('[data-testid=message]')].some((message) => message.textContent?.includes(wanted)),
      {},
      text,
    );
  }

  const page = await (await browser.createBrowserContext()).newPage();
  await enter(page, 'Alice', '25');
  await joinParis(page);
  assert.equal(new URL(page.url()).pathname, '/salon/paris', 'the room is in the address');

  const { lhr, scores, losses } = await audit('room screen', `${server.url}/salon/paris`, page, {
    disableStorageReset: true,
  });
  // The page Lighthouse measured ended in the room, re-entered as Alice.
  assert.equal(new URL(lhr.finalDisplayedUrl).pathname, '/salon/paris');
  await page.waitForSelector('[data-testid=room][data-room=paris]', { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=message]').length >= 3, { timeout: 10_000 });
  assert.equal(await page.$('#entry-submit'), null, 'not sent back to the entry form');
  await page.browserContext().close();
  await setup.browserContext().close();
  assertScores('room screen', scores, losses);
});

/** Enters the chat in `page` (a phone-sized page, as Lighthouse's default). */
async function enter(/** @type {import('puppeteer-core').Page} */ page, /** @type {string} */ nickname, /** @type {string} */ age) {
  await page.setViewport({ width: 412, height: 823, isMobile: true, hasTouch: true, deviceScaleFactor: 1.75 });
  await page.goto(`${server.url}/`);
  await page.waitForSelector('#entry-submit');
  await page.type('#entry-nickname', nickname);
  await page.type('#entry-age', age);
  await page.click('#entry-gender-autre');
  await page.select('#entry-department', '75');
  await page.click('#entry-submit');
  await page.waitForSelector('[data-testid=bottom-nav]');
}

async function joinParis(/** @type {import('puppeteer-core').Page} */ page) {
  await page.waitForSelector('button[data-room=paris]', { visible: true });
  await page.click('button[data-room=paris]');
  await page.waitForSelector('[data-testid=room][data-room=paris]');
}

// @ts-check
// Debian's Chromium (/usr/bin/chromium, installed by scripts/setup-browser.sh;
// never a downloaded browser) driven by playwright-core, and the pages of the
// people in a test, each in its own browser context (its own storage, as on
// its own device). Every page is watched: console errors, uncaught
// exceptions, failed requests, HTTP errors and dialogs are recorded, and
// `assertClean` fails the test with all of them listed.

import { chromium } from 'playwright-core';

/** The browser: `CHROMIUM`, or Debian's package. */
export const CHROMIUM_PATH = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags every headless Chromium gets here: no sandbox (CI runs as root),
 * no GPU, and none of the background connections to Google's services,
 * which this machine's closed network refuses.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long to wait for anything the UI should show. */
export const UI_TIMEOUT_MS = 10_000;

/** Desktop and phone (an iPhone 14 Pro Max's CSS size: 430 px, the limit). */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Launches Chromium (headless, with a fresh profile chosen by Playwright). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
}

/**
 * @typedef {object} Problem
 * @property {string} kind `console`, `pageerror`, `requestfailed`, `http`, `dialog`
 * @property {string} text
 */

/**
 * @typedef {object} UserOptions
 * @property {string} label who this is, in failure messages
 * @property {{ width: number, height: number }} [viewport]
 * @property {'light' | 'dark'} [colorScheme]
 * @property {boolean} [phone] a touch device (with `viewport` = PHONE)
 */

/** One person: a browser context and its page, watched for problems. */
export class UserPage {
  /**
   * @param {import('playwright-core').BrowserContext} context
   * @param {import('playwright-core').Page} page
   * @param {string} label
   */
  constructor(context, page, label) {
    this.context = context;
    this.page = page;
    this.label = label;
    /** @type {Problem[]} */
    this.problems = [];
    /** @type {RegExp[]} problems that are expected at this point of the test */
    this.allowed = [];
    /** The dialogs (alert, confirm, prompt) the page tried to open. */
    /** @type {string[]} */
    this.dialogs = [];
    /** Who waits for which WebSocket frame from the server. */
    /** @type {Array<{ matches: (text: string) => boolean, resolve: (text: string) => void }>} */
    this.frameWaiters = [];
  }

  /** A WebSocket frame the page received. */
  received(/** @type {string} */ text) {
    const waiting = this.frameWaiters.filter((waiter) => waiter.matches(text));
    this.frameWaiters = this.frameWaiters.filter((waiter) => !waiting.includes(waiter));
    for (const waiter of waiting) waiter.resolve(text);
  }

  /**
   * The next frame from the server that `matches` (call before the action that causes it).
   * @param {(text: string) => boolean} matches
   * @returns {Promise<string>}
   */
  nextFrame(matches, timeout = UI_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no such frame from the server within ${timeout} ms`)), timeout);
      this.frameWaiters.push({
        matches,
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
      });
    });
  }

  /** @param {Problem} problem */
  record(problem) {
    if (this.allowed.some((pattern) => pattern.test(problem.text))) return;
    this.problems.push(problem);
  }

  /** Expects problems matching `pattern` from now on (a WebSocket that fails while the server is down). */
  allow(/** @type {RegExp} */ pattern) {
    this.allowed.push(pattern);
  }

  /** Expects no more problems matching `pattern`. */
  disallow(/** @type {RegExp} */ pattern) {
    this.allowed = this.allowed.filter((known) => known !== pattern);
  }

  /** Fails with every problem seen on this page. */
  assertClean() {
    if (this.problems.length === 0 && this.dialogs.length === 0) return;
    const lines = [
      ...this.problems.map((problem) => `  ${problem.kind}: ${problem.text}`),
      ...this.dialogs.map((text) => `  dialog: ${text}`),
    ];
    throw new Error(`${this.label}'s page had problems:\n${lines.join('\n')}`);
  }

  async close() {
    await this.context.close();
  }
}

/**
 * Opens a new context and page for one person.
 * @param {import('playwright-core').Browser} browser
 * @param {UserOptions} options
 */
export async function newUser(browser, options) {
  const phone = options.phone ?? false;
  const context = await browser.newContext({
    viewport: options.viewport ?? (phone ? PHONE : DESKTOP),
    deviceScaleFactor: phone ? 2 : 1,
    isMobile: phone,
    hasTouch: phone,
    colorScheme: options.colorScheme ?? 'light',
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  return watch(context, await context.newPage(), options.label);
}

/**
 * Watches a page (and its context's requests) for problems.
 * @param {import('playwright-core').BrowserContext} context
 * @param {import('playwright-core').Page} page
 * @param {string} label
 */
export function watch(context, page, label) {
  const user = new UserPage(context, page, label);
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location();
      user.record({ kind: 'console', text: `${message.text()} (${where.url}:${where.lineNumber})` });
    }
  });
  page.on('pageerror', (error) => user.record({ kind: 'pageerror', text: String(error.stack ?? error) }));
  // Requests of the page and of its service worker alike.
  context.on('requestfailed', (request) =>
    user.record({ kind: 'requestfailed', text: `${request.method()} ${request.url()}: ${request.failure()?.errorText}` }),
  );
  context.on('response', (response) => {
    if (response.status() >= 400) {
      user.record({ kind: 'http', text: `${response.status()} for ${response.request().method()} ${response.url()}` });
    }
  });
  page.on('websocket', (socket) =>
    socket.on('framereceived', (frame) => user.received(typeof frame.payload === 'string' ? frame.payload : frame.payload.toString())),
  );
  page.on('dialog', (dialog) => {
    user.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => {});
  });
  return user;
}

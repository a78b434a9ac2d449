// @ts-check
// The app as an installable app: Chromium itself says it can be installed
// (manifest, icons, service worker), the app shell starts offline from the
// service worker's cache, and the files are served as browsers want them
// (compressed, favicon present, room addresses answered with the app).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, DESKTOP, UI_TIMEOUT_MS, watch } from './support/browser.mjs';
import { TchatcheServer } from './support/server.mjs';

const server = new TchatcheServer();
/** Chromium never offers to install from an incognito context: this one has a real profile. */
const profileDir = mkdtempSync(join(tmpdir(), 'tchatche-e2e-profile-'));
/** @type {import('playwright-core').BrowserContext} */
let context;

before(async () => {
  await server.start();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: DESKTOP,
    locale: 'fr-FR',
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
});

after(async () => {
  await context?.close();
  await server.dispose();
  rmSync(profileDir, { recursive: true, force: true });
});

test('Chromium reports the app installable, and its shell starts offline', { timeout: 60_000 }, async () => {
  const user = watch(context, context.pages()[0] ?? (await context.newPage()), 'visitor');
  const page = user.page;
  await page.goto(server.url);
  await page.locator('#entry-submit').waitFor();
  // The service worker has installed the shell and controls the page.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, [], 'the manifest parses without errors');
  assert.match(manifest.url, /\/manifest\.webmanifest$/);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], 'Chromium reports no reason not to install');

  // Offline: the page comes from the service worker's cache.
  user.allow(/WebSocket connection to .* failed|net::ERR_INTERNET_DISCONNECTED/);
  await context.setOffline(true);
  const offline = await page.reload();
  assert.ok(offline?.fromServiceWorker(), 'the page came from the service worker');
  await page.locator('#entry-submit').waitFor();
  await context.setOffline(false);
  user.assertClean();
});

test('files are served compressed, with a favicon, and room addresses get the app', async () => {
  const index = await fetch(`${server.url}/`);
  assert.equal(index.status, 200);
  const html = await index.text();
  const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
  const style = /<link[^>]+href="([^"]+\.css)"/.exec(html)?.[1];
  assert.ok(script && style, 'index.html names its script and style');
  for (const [asset, encoding] of [
    [script, 'br'],
    [style, 'br'],
  ]) {
    const response = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(response.status, 200, asset);
    assert.equal(response.headers.get('content-encoding'), encoding, `${asset} is sent compressed`);
    assert.equal(response.headers.get('vary'), 'accept-encoding');
  }
  const favicon = await fetch(`${server.url}/favicon.ico`);
  assert.equal(favicon.status, 200);
  assert.equal(favicon.headers.get('content-type'), 'image/x-icon');
  const room = await fetch(`${server.url}/salon/paris`);
  assert.equal(room.status, 200);
  assert.match(await room.text(), /<div id="app">/);
});

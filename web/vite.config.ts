// Vite builds the client into dist/, which the server embeds; Vitest runs the
// unit tests of src/lib. The service worker is generated here, after the
// bundle is known, so that it precaches exactly the files of this build.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const publicDir = new URL('./public', import.meta.url).pathname;

/** Every file under `dir`, as paths relative to it with forward slashes. */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      found.push(...filesUnder(path).map((inner) => `${name}/${inner}`));
    } else {
      found.push(relative(dir, path).split('\\').join('/'));
    }
  }
  return found;
}

/**
 * Emits `sw.js` from `sw/service-worker.js`, filling in the app shell (every
 * file of the bundle and of public/) and a version derived from their
 * content, so that a new build replaces the old cache.
 */
function serviceWorker(): Plugin {
  return {
    name: 'tchatche-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const hash = createHash('sha256');
      const shell = ['/'];
      for (const [fileName, output] of Object.entries(bundle).sort(([a], [b]) =>
        a.localeCompare(b),
      )) {
        hash.update(fileName);
        hash.update(output.type === 'chunk' ? output.code : output.source);
        if (fileName !== 'index.html' && !fileName.endsWith('.map')) shell.push(`/${fileName}`);
      }
      for (const fileName of filesUnder(publicDir).sort()) {
        hash.update(fileName);
        hash.update(readFileSync(join(publicDir, fileName)));
        shell.push(`/${fileName}`);
      }
      const template = readFileSync(new URL('./sw/service-worker.js', import.meta.url), 'utf8');
      const source = template
        .replace("'__VERSION__'", JSON.stringify(hash.digest('hex').slice(0, 16)))
        .replace("['__SHELL__']", JSON.stringify(shell));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), serviceWorker()],
  build: {
    target: 'es2022',
    // Source maps let browsers' tools (and Lighthouse) map errors to the
    // source; they are fetched only by developer tools, never by the app.
    sourcemap: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev` talks to a server started with `cargo run -p tchatche`.
    proxy: { '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});

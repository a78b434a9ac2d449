// Vite builds the client into dist/, which the server embeds; Vitest runs the
// unit tests of src/lib. The service worker is generated here, after the
// bundle is known, so that it precaches exactly the files of this build.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
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

/** Text files worth compressing (source maps are for developer tools only), and the size under which it is not worth it. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|webmanifest|json|ico|txt)$/;
const MIN_COMPRESSED_BYTES = 1024;

/**
 * Writes a Brotli (`.br`) and a gzip (`.gz`) copy of every text file of the
 * build, compressed once at the highest level, which the server sends to
 * browsers that accept them (see crates/server/src/http/web_client.rs): the
 * server then compresses nothing at run time.
 */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'tchatche-precompress',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      for (const name of filesUnder(outDir)) {
        if (!COMPRESSIBLE.test(name)) continue;
        const path = join(outDir, name);
        const bytes = readFileSync(path);
        if (bytes.length < MIN_COMPRESSED_BYTES) continue;
        const brotli = brotliCompressSync(bytes, {
          params: {
            [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
            [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          },
        });
        const gzip = gzipSync(bytes, { level: 9 });
        if (brotli.length < bytes.length) writeFileSync(`${path}.br`, brotli);
        if (gzip.length < bytes.length) writeFileSync(`${path}.gz`, gzip);
      }
    },
  };
}

export default defineConfig({
  plugins: [svelte(), serviceWorker(), precompress()],
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

// Prints the gzipped size of the built JavaScript and CSS (what a browser
// downloads to start the app) and fails when it is over the budget.
// Run by `npm run build` after `vite build`.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

/** JS + CSS, gzipped, in bytes (issue 3: 100 KB). */
const BUDGET_BYTES = 100 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

let all;
try {
  all = files(dist);
} catch {
  console.error(`budget: ${dist} not found: run vite build first`);
  process.exit(1);
}

const counted = all
  .filter((path) => /\.(js|css)$/.test(path) && !path.endsWith('sw.js'))
  .map((path) => {
    const bytes = readFileSync(path);
    return { name: relative(dist, path), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
let total = 0;
for (const file of counted) {
  total += file.gzip;
  console.log(`  ${file.name.padEnd(40)} ${kb(file.raw).padStart(10)} ${kb(file.gzip).padStart(10)} gzip`);
}
const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER';
console.log(`JS+CSS gzipped: ${kb(total)} (${total} bytes), ${verdict} the budget of ${kb(BUDGET_BYTES)}`);
if (total > BUDGET_BYTES) process.exit(1);

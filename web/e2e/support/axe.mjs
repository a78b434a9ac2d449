// @ts-check
// axe-core, the accessibility rules engine, run inside a page. It is
// injected through the DevTools protocol (as a page evaluation, which the
// page's Content-Security-Policy does not apply to), then run on the whole
// document with every rule axe enables by default (WCAG 2.0, 2.1 and 2.2 A
// and AA, and best practices).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * @typedef {object} Violation
 * @property {string} id
 * @property {string | null} impact
 * @property {string} help
 * @property {string[]} nodes the elements concerned, with axe's summary of what is wrong
 */

/**
 * The accessibility violations of what the page shows now.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<Violation[]>}
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // @ts-ignore -- injected just above
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((/** @type {any} */ violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map(
        (/** @type {any} */ node) => `${node.target.join(' ')}: ${String(node.failureSummary).replace(/\s+/g, ' ')}`,
      ),
    }));
  });
}

/** One violation per paragraph, each element on its own line. */
export function describeViolations(/** @type {Violation[]} */ violations) {
  return violations
    .map((violation) => [`${violation.id} (${violation.impact}): ${violation.help}`, ...violation.nodes.map((node) => `    ${node}`)].join('\n'))
    .join('\n');
}

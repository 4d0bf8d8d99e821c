// Shared helpers of the browser tests: Debian's chromium (never a downloaded browser)
// driven by playwright-core, a fresh profile per run, the network blocked, and
// assertions that count failures instead of stopping at the first.
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.BULWARK_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// playwright-core lives in build/browser-node (tests/browser/setup.sh), named by BULWARK_BROWSER_NODE.
export function playwright() {
  const prefix = process.env.BULWARK_BROWSER_NODE;
  if (!prefix) throw new Error('BULWARK_BROWSER_NODE is not set (the folder setup.sh installed into)');
  return require(join(prefix, 'node_modules', 'playwright-core'));
}

// A browser with a fresh --user-data-dir. `allow(url)` says which requests may leave the page;
// every other one is aborted and recorded in `blocked`.
export async function launch({ allow = (u) => u.startsWith('file:') || u.startsWith('data:') } = {}) {
  const { chromium } = playwright();
  const profile = mkdtempSync(join(tmpdir(), 'bulwark-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1360, height: 900 },
    offline: false, timeout: 60000,
  });
  const blocked = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allow(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return {
    context, blocked,
    async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

// A page that records everything that would show a script ran or the CSP failed.
export async function watchedPage(context) {
  const page = await context.newPage();
  const events = { dialogs: [], console: [], errors: [], csp: [] };
  page.on('dialog', async (d) => { events.dialogs.push(d.type() + ': ' + d.message()); await d.dismiss(); });
  page.on('console', (m) => {
    events.console.push(m.type() + ': ' + m.text());
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) events.csp.push(m.text());
  });
  page.on('pageerror', (e) => events.errors.push(String(e)));
  return { page, events };
}

let failed = 0, passed = 0;
export function check(name, ok, detail = '') {
  if (ok) { passed++; return true; }
  failed++;
  console.log(`FAIL: ${name}${detail ? ' -- ' + detail : ''}`);
  return false;
}
export function eq(name, expected, actual) {
  const e = JSON.stringify(expected), a = JSON.stringify(actual);
  return check(name, e === a, `expected ${e}, got ${a}`);
}
export function summary(label) {
  console.log(`${label}: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
export function screenshotDir() {
  const dir = process.env.BULWARK_SCREENSHOTS || 'screenshots';
  mkdirSync(dir, { recursive: true });
  return dir;
}

// First paint of the dashboard with many images (bench/dashboard-first-paint.sh runs it).
//   BASE=http://127.0.0.1:PORT CI_TOKEN=... ADMIN_TOKEN=... TEMPLATE=scan.json N=10000 node first-paint.mjs
// Uploads N copies of a real scan document (TEMPLATE) as N distinct images (config digest and
// name changed, findings kept) unless the server already holds them, then measures in chromium
// the time from navigation to the first drawn rows of the overview and the images page, and the
// API's answer times for the routes those pages call. Prints a Markdown table.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { launch, watchedPage } from '../../tests/browser/lib.mjs';

const BASE = process.env.BASE, N = Number(process.env.N || 10000);
const CI = process.env.CI_TOKEN, ADMIN = process.env.ADMIN_TOKEN;
const template = JSON.parse(readFileSync(process.env.TEMPLATE, 'utf8'));
const get = async (path) => {
  const t0 = performance.now();
  const r = await fetch(BASE + path, { headers: { Authorization: `Bearer ${ADMIN}` } });
  const body = await r.text();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${body.slice(0, 200)}`);
  return { ms: performance.now() - t0, json: JSON.parse(body) };
};

// ---- fill ----
const have = (await get('/api/v1/summary')).json.images || 0;
const t0 = performance.now();
let next = have, failed = 0;
async function worker() {
  for (;;) {
    const i = next++;
    if (i >= N) return;
    const d = structuredClone(template);
    const id = 'sha256:' + createHash('sha256').update('bench-image-' + i).digest('hex');
    const name = `registry.bench.example/team${i % 40}/svc${i}:1.${i % 9}`;
    d.targets[0].id = id;
    d.targets[0].name = name;
    if (d.targets[0].image) { d.targets[0].image.config_digest = id; d.targets[0].image.repo_tags = [name]; }
    for (const f of d.findings || []) if (f.target) { f.target.id = id; f.target.name = name; }
    const r = await fetch(BASE + '/api/v1/reports', { method: 'POST', headers: { Authorization: `Bearer ${CI}`, 'Content-Type': 'application/json' }, body: JSON.stringify(d) });
    await r.text();
    if (r.status !== 201 && r.status !== 200) failed++;
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
const fillS = (performance.now() - t0) / 1000;
const sum = (await get('/api/v1/summary')).json;
const findings = Object.values(sum.vulnerabilities || {}).reduce((a, b) => a + Number(b || 0), 0);
console.error(`filled: ${N - have} uploads in ${fillS.toFixed(1)} s (${failed} refused); the server holds ${sum.images} images, ${findings} open vulnerability findings`);

// ---- API answer times (median of 5) ----
const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
async function timeRoute(path) { const t = []; for (let k = 0; k < 5; k++) t.push((await get(path)).ms); return med(t); }
const routes = ['/api/v1/summary', '/api/v1/images?limit=50', '/api/v1/images?limit=50&severity=critical',
  '/api/v1/images?limit=50&name=svc9999', '/api/v1/images?limit=50&sort=name', '/api/v1/images?limit=50&sort=-critical',
  '/api/v1/images?limit=50&sort=-fixable', '/api/v1/images?limit=50&sort=-last_seen', '/api/v1/events?limit=10'];
const api = [];
for (const r of routes) api.push([r, await timeRoute(r)]);

// ---- the browser ----
const browser = await launch({ allow: (u) => u.startsWith(BASE + '/') });
const { page } = await watchedPage(browser.context);
await page.goto(BASE + '/#/signin');
await page.fill('#token', ADMIN);
await page.click('#signin-submit');
await page.waitForSelector('#overview .cards', { timeout: 30000 });
async function paint(hash, ready) {
  const t = [], fcp = [];
  for (let k = 0; k < 5; k++) {
    await page.goto('about:blank');
    const s = Date.now();
    await page.goto(BASE + '/' + hash);
    await page.waitForSelector(ready, { timeout: 60000 });
    t.push(Date.now() - s);
    fcp.push(await page.evaluate(() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0));
  }
  return { drawn: med(t), fcp: med(fcp), runs: t };
}
const pages = [
  ['overview', await paint('#/overview', '#ov-events tbody tr')],
  ['images', await paint('#/images', '#images-table tbody tr td a')],
  ['images, severity ≥ critical', await paint('#/images?severity=critical', '#images-table tbody tr')],
  ['images, sort name', await paint('#/images?sort=name', '#images-table tbody tr td a')],
  ['images, sort -critical', await paint('#/images?sort=-critical', '#images-table tbody tr td a')],
];
await browser.close();

console.log(`Server: ${sum.images} images, ${findings} open vulnerability findings (${N - have} uploaded now in ${fillS.toFixed(1)} s, 4 parallel clients).\n`);
console.log('| page (chromium, headless) | rows drawn, median of 5 | first-contentful-paint | runs (ms) |\n|---|---|---|---|');
for (const [n, r] of pages) console.log(`| ${n} | ${r.drawn} ms | ${Math.round(r.fcp)} ms | ${r.runs.join(', ')} |`);
console.log('\n| API route | answer time, median of 5 |\n|---|---|');
for (const [r, ms] of api) console.log(`| ${r} | ${ms.toFixed(1)} ms |`);

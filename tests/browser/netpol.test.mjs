// Browser test of the dashboard's network policies page against a running `bulwark server`
// holding real `bulwark config` scans (tests/e2e/test_dashboard_netpol.sh uploads them).
//   BASE=http://127.0.0.1:PORT ADMIN_TOKEN=... REPORT_ID=r_... HOSTILE_ID=r_... node netpol.test.mjs
// Every expected value is read from the API (GET /api/v1/netpol, /api/v1/netpol/{id}) with a bearer
// token in this script, never hard-coded.
import { join } from 'node:path';
import { launch, watchedPage, check, eq, summary, screenshotDir } from './lib.mjs';

const BASE = process.env.BASE.replace(/\/$/, '');
const ADMIN = process.env.ADMIN_TOKEN;
const REPORT_ID = process.env.REPORT_ID;
const HOSTILE_ID = process.env.HOSTILE_ID;
const shots = screenshotDir();

async function apiGet(path) {
  const r = await fetch(BASE + path, { headers: { Authorization: `Bearer ${ADMIN}` } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}
const sorted = (a) => [...a].sort();
const edgeKey = (e) => `${e.src} -> ${e.dst} : ${e.connections}`;
const isOpen = (n) => !n.default_deny_ingress || !n.default_deny_egress;

const browser = await launch({ allow: (u) => u.startsWith(BASE + '/') });
const { page, events } = await watchedPage(browser.context);
const shot = (name) => page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });

async function visit(hash, ready) {
  await page.goto(BASE + '/' + hash);
  await page.waitForSelector(ready, { timeout: 15000 });
  await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 15000 });
}

// What the page drew: nodes, edges, namespace groups, and the three tables.
const drawn = () => page.evaluate(() => {
  const svg = document.querySelector('#netpol-graph');
  const cells = (id, n) => [...document.querySelectorAll(`#${id} tbody tr`)].filter((t) => !t.querySelector('td.empty')).map((tr) => [...tr.cells].slice(0, n).map((td) => td.textContent));
  const ids = (id, col) => [...document.querySelectorAll(`#${id} tbody tr td:nth-child(${col}) [data-id]`)].map((s) => s.getAttribute('data-id'));
  return {
    nodes: [...svg.querySelectorAll('g.node')].map((g) => g.getAttribute('data-id')),
    exposed: [...svg.querySelectorAll('g.node[data-exposed="true"]')].map((g) => g.getAttribute('data-id')),
    exposedMarked: [...svg.querySelectorAll('g.node.exposed')].map((g) => g.getAttribute('data-id')),
    edges: [...svg.querySelectorAll('g.edge')].map((g) => ({ src: g.getAttribute('data-src'), dst: g.getAttribute('data-dst'), connections: g.getAttribute('data-conns'), label: g.querySelector('text.ports') ? g.querySelector('text.ports').textContent : null, arrow: g.querySelector('path.wire').getAttribute('marker-end') })),
    namespaces: [...svg.querySelectorAll('g.nsgroup')].map((g) => g.getAttribute('data-namespace')).filter((n) => n !== ''),
    open: [...svg.querySelectorAll('g.nsgroup.open')].map((g) => g.getAttribute('data-namespace')),
    edgeRows: cells('netpol-edges', 3), edgeSrc: ids('netpol-edges', 1), edgeDst: ids('netpol-edges', 2),
    nodeRows: cells('netpol-nodes', 6), nodeIds: ids('netpol-nodes', 2),
    nsRows: cells('netpol-namespaces', 4),
    cards: ['np-workloads', 'np-edges', 'np-open-ns', 'np-exposed'].map((id) => Number(document.getElementById(id).textContent)),
    viewBox: svg.getAttribute('viewBox'),
  };
});

function compare(label, g, d) {
  const workloads = g.nodes.filter((n) => n.type === 'workload');
  eq(`${label}: one drawn node per API node`, sorted(g.nodes.map((n) => n.id)), sorted(d.nodes));
  eq(`${label}: drawn edges = API edges`, sorted(g.edges.map(edgeKey)), sorted(d.edges.map(edgeKey)));
  // Each arrow's label: its ports, shortened with … past 22 characters; none when every port is allowed.
  const want = (c) => (c === 'All Connections' ? null : c.length > 22 ? c.slice(0, 21) + '…' : c);
  const labelOf = new Map(d.edges.map((e) => [`${e.src} -> ${e.dst}`, e.label]));
  eq(`${label}: edge labels are the ports`, g.edges.map((e) => want(e.connections)), g.edges.map((e) => labelOf.get(`${e.src} -> ${e.dst}`)));
  check(`${label}: every edge has an arrowhead`, d.edges.every((e) => /^url\(#np-arrow(-hot)?\)$/.test(e.arrow)), JSON.stringify(d.edges.slice(0, 3)));
  eq(`${label}: exposed workloads marked`, sorted(workloads.filter((n) => n.exposed).map((n) => n.id)), sorted(d.exposed));
  eq(`${label}: exposed class = exposed attribute`, sorted(d.exposed), sorted(d.exposedMarked));
  eq(`${label}: one group per namespace`, sorted(g.namespaces.map((n) => n.name)), sorted(d.namespaces));
  eq(`${label}: namespaces without default-deny marked`, sorted(g.namespaces.filter(isOpen).map((n) => n.name)), sorted(d.open));
  // The tables hold the same data.
  eq(`${label}: connections table = API edges`, g.edges.map((e) => [e.src, e.dst, e.connections]),
    d.edgeRows.map((r, i) => [d.edgeSrc[i], d.edgeDst[i], r[2]]));
  eq(`${label}: workloads table = API workloads`, workloads.map((n) => [n.namespace, n.id, n.kind, n.ingress_isolated ? 'yes' : 'no', n.egress_isolated ? 'yes' : 'no', n.exposed ? `yes: ${n.exposed_connections}` : 'no']),
    d.nodeRows.map((r, i) => [r[0], d.nodeIds[i], r[2], r[3], r[4], r[5]]));
  eq(`${label}: namespaces table = API namespaces`, g.namespaces.map((n) => [n.name, String(n.workloads), n.default_deny_ingress ? 'yes' : 'no', n.default_deny_egress ? 'yes' : 'no']), d.nsRows);
  eq(`${label}: cards = API counts`, [g.counts.workloads, g.counts.edges, g.counts.namespaces_without_default_deny, g.counts.exposed], d.cards);
  eq(`${label}: counts agree with the graph`, [workloads.length, g.edges.length, g.namespaces.filter(isOpen).length, workloads.filter((n) => n.exposed).length],
    [g.counts.workloads, g.counts.edges, g.counts.namespaces_without_default_deny, g.counts.exposed]);
}

try {
  await page.goto(BASE + '/');
  await page.waitForSelector('#token');
  await page.fill('#token', ADMIN);
  await page.click('#signin-submit');
  await page.waitForSelector('#overview .cards', { timeout: 15000 });

  // ---- the list, newest drawn below it ----
  const list = await apiGet('/api/v1/netpol');
  await visit('#/netpol', '#netpol-graph');
  const listed = await page.$$eval('#netpol-scans tbody tr td:first-child a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  eq('list = GET /api/v1/netpol', list.items.map((x) => [x.target.name, `#/netpol/${x.id}`]), listed);
  eq('the newest scan is drawn', list.items[0].id, await page.$eval('#netpol', (e) => e.getAttribute('data-report')));
  check('the nav marks the page', await page.$eval('#nav a[data-page="netpol"]', (a) => a.classList.contains('active')));

  // ---- the real scan ----
  const g = await apiGet(`/api/v1/netpol/${REPORT_ID}`);
  check('the real scan has edges, namespaces and an exposed workload',
    g.edges.length > 0 && g.namespaces.length > 1 && g.nodes.some((n) => n.exposed) && g.namespaces.some(isOpen), JSON.stringify(g.counts));
  await visit(`#/netpol/${REPORT_ID}`, '#netpol-graph');
  compare('real scan', g, await drawn());
  await shot('netpol');
  await page.locator('#netpol-graph').screenshot({ path: join(shots, 'dashboard-netpol-graph.png') });

  // Choosing a workload lights only its connections; choosing it again shows all.
  const exposed = g.nodes.find((n) => n.exposed);
  await page.click(`#netpol-graph g.node[data-id="${exposed.id}"]`);
  const lit = await page.$$eval('#netpol-graph g.edge.lit', (es) => es.map((e) => `${e.getAttribute('data-src')} -> ${e.getAttribute('data-dst')}`));
  eq('a chosen workload lights its edges', sorted(g.edges.filter((e) => e.src === exposed.id || e.dst === exposed.id).map((e) => `${e.src} -> ${e.dst}`)), sorted(lit));
  await shot('netpol-focus');
  await page.click(`#netpol-graph g.node[data-id="${exposed.id}"]`);
  eq('choosing it again shows all', 0, await page.$$eval('#netpol-graph g.edge.lit', (es) => es.length));

  // ---- names that are markup render as text ----
  const hg = await apiGet(`/api/v1/netpol/${HOSTILE_ID}`);
  await visit(`#/netpol/${HOSTILE_ID}`, '#netpol-graph');
  const hd = await drawn();
  compare('hostile names', hg, hd);
  const names = hg.nodes.filter((n) => n.type === 'workload').map((n) => n.name);
  check('the hostile scan has markup names', names.some((n) => n.includes('<')), JSON.stringify(names));
  const shown = await page.$$eval('#netpol-nodes tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  eq('markup names shown as text', sorted(names), sorted(shown));
  const nsShown = await page.$$eval('#netpol-graph g.nsgroup title', (ts) => ts.map((t) => t.textContent));
  check('markup namespace shown as text', hg.namespaces.every((n) => nsShown.includes(`namespace ${n.name}`)), JSON.stringify(nsShown));
  eq('no script ran', [undefined, []], [await page.evaluate(() => window.__pwned), events.dialogs]);
  eq('no element made from a name', 0, await page.$$eval('#view script, #view img, #netpol-graph foreignObject', (es) => es.length));
  await shot('netpol-hostile');

  eq('no CSP violation', [], events.csp);
  eq('no page error', [], events.errors);
} catch (e) {
  check('test ran to the end', false, e && e.stack ? e.stack : String(e));
  try { await shot('netpol-failure'); } catch { /* best effort */ }
} finally {
  await browser.close();
}
process.exit(summary('netpol browser test'));

// NetworkPolicy reachability (GET /api/v1/netpol, /api/v1/netpol/{id}): the graph of a
// `bulwark config` scan drawn as SVG (createElementNS and text nodes only: nothing from the
// manifests is parsed as markup), with tables of the same edges, workloads and namespaces.
//
// Layout, deterministic and without a layout library: one column per namespace (sorted by name),
// external address ranges and the ingress controller in a first column "outside the cluster",
// workloads stacked by name in their column. An edge leaves the side of its source that faces its
// destination; edges inside one column bend out to the right. A namespace without a default-deny
// policy has a dashed amber outline; a workload every external address can reach is red with
// "reachable from anywhere" and the ports.
import * as api from './api.js';
import { h, str, num, pick, route, link, when, errorBox, table } from './dom.js';
import { pagedList, localPaged } from './pages.js';

const NS = 'http://www.w3.org/2000/svg';
const COL_W = 190, GAP = 100, NODE_H = 46, NODE_GAP = 16, HEAD = 58, PAD = 16, BOTTOM = 14;
// Arrows that pass over other namespaces run below every node, one level each (at most LEVELS).
const LEVEL = 11, LEVELS = 14;
const MAX_DRAWN_EDGES = 1500, MAX_DRAWN_NODES = 300;
const seg = (x) => encodeURIComponent(str(x)).replace(/%3A/gi, ':');

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
function titled(e, text) { e.appendChild(el('title', {}, text)); return e; }
function clip(s, n) { s = str(s); return s.length > n ? s.slice(0, n - 1) + '…' : s; }
const portsLabel = (c) => (c === 'All Connections' ? 'all ports' : str(c));


export function layout(graph) {
  const namespaces = (graph.namespaces || []).map((n) => ({ ...n, name: str(n.name) }));
  const nodes = graph.nodes || [];
  const outside = nodes.filter((n) => n.type !== 'workload');
  const cols = [];
  if (outside.length) cols.push({ key: '', title: 'outside the cluster', ns: null, nodes: outside });
  for (const ns of namespaces) {
    cols.push({ key: ns.name, title: ns.name, ns, nodes: nodes.filter((n) => n.type === 'workload' && str(n.namespace) === ns.name) });
  }
  const rows = Math.max(1, ...cols.map((c) => c.nodes.length));
  const pos = new Map();
  cols.forEach((c, ci) => {
    c.x = PAD + ci * (COL_W + GAP);
    c.nodes.forEach((n, ri) => pos.set(str(n.id), { x: c.x + 12, y: HEAD + ri * (NODE_H + NODE_GAP), w: COL_W - 24, h: NODE_H, col: ci }));
  });
  // Levels below the nodes for the arrows that span more than the gap between two columns,
  // shortest first, so that nested arcs do not cross.
  const floor = HEAD + rows * (NODE_H + NODE_GAP);
  const span = (e) => Math.abs(pos.get(str(e.src)).col - pos.get(str(e.dst)).col);
  const long = (graph.edges || []).filter((e) => pos.has(str(e.src)) && pos.has(str(e.dst)) && span(e) > 1)
    .sort((a, b) => span(a) - span(b) || edgeId(a).localeCompare(edgeId(b)));
  const level = new Map(long.map((e, i) => [edgeId(e), floor + 6 + LEVEL * (i % LEVELS)]));
  const height = floor + (long.length ? 6 + LEVEL * Math.min(long.length, LEVELS) : 0) + BOTTOM;
  const width = PAD * 2 + cols.length * COL_W + Math.max(0, cols.length - 1) * GAP + GAP / 2;
  return { cols, pos, level, width, height: height + PAD };
}

const edgeId = (e) => `${str(e.src)}\u0000${str(e.dst)}`;

function edgePath(a, b, lane, low) {
  const ay = a.y + a.h / 2 + lane, by = b.y + b.h / 2 + lane;
  if (low !== undefined) {  // over other namespaces: leave downwards, run below every node at `low`
    const right = b.col > a.col;
    const x1 = right ? a.x + a.w : a.x, x2 = right ? b.x - 2 : b.x + b.w + 2;
    const o = right ? 40 : -40;
    return { d: `M${x1},${ay} C${x1 + o},${ay} ${x1 + o},${low} ${x1 + 2 * o},${low} L${x2 - 2 * o},${low} C${x2 - o},${low} ${x2 - o},${by} ${x2},${by}`, lx: (x1 + x2) / 2, ly: low + 4 };
  }
  if (a.col === b.col) {  // bend out to the right of the column
    const x = a.x + a.w, bend = 46 + Math.min(60, Math.abs(by - ay) / 4);
    return { d: `M${x},${ay} C${x + bend},${ay} ${x + bend},${by} ${x + 2},${by}`, lx: x + bend * 0.75, ly: (ay + by) / 2 };
  }
  const right = b.col > a.col;
  const x1 = right ? a.x + a.w : a.x, x2 = right ? b.x - 2 : b.x + b.w + 2;
  const dx = (x2 - x1) / 2;
  return { d: `M${x1},${ay} C${x1 + dx},${ay} ${x2 - dx},${by} ${x2},${by}`, lx: (x1 + x2) / 2, ly: (ay + by) / 2 };
}

export function graphSvg(graph) {
  const { cols, pos, level, width, height } = layout(graph);
  // Scaled to the page up to a point; wider graphs keep their size and scroll.
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: width > 2000 ? 'netgraph wide' : 'netgraph', role: 'img', id: 'netpol-graph', width, height });
  const edges = (graph.edges || []).filter((e) => pos.has(str(e.src)) && pos.has(str(e.dst)));
  const exposedN = (graph.nodes || []).filter((n) => n.exposed).length;
  svg.setAttribute('aria-label', `reachability: ${pos.size} nodes, ${edges.length} allowed connections, ${exposedN} reachable from anywhere`);
  const defs = el('defs');
  for (const [id, cls] of [['np-arrow', 'arrowhead'], ['np-arrow-hot', 'arrowhead hot']]) {
    const m = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    m.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
    defs.appendChild(m);
  }
  svg.appendChild(defs);

  // Namespace groups.
  for (const c of cols) {
    const g = el('g', { class: 'nsgroup' + (c.ns ? '' : ' outside'), 'data-namespace': c.key });
    const open = c.ns && (!c.ns.default_deny_ingress || !c.ns.default_deny_egress);
    if (open) g.classList.add('open');
    g.appendChild(el('rect', { x: c.x, y: PAD / 2, width: COL_W, height: height - PAD, rx: 10, class: 'nsbox' }));
    g.appendChild(titled(el('text', { x: c.x + 12, y: PAD / 2 + 20, class: 'nsname' }, clip(c.title, 21)), c.ns ? `namespace ${c.title}` : c.title));
    if (c.ns) {
      const deny = [c.ns.default_deny_ingress ? 'ingress' : '', c.ns.default_deny_egress ? 'egress' : ''].filter(Boolean);
      const txt = deny.length === 2 ? 'default-deny in + out' : deny.length ? `default-deny ${deny[0]} only` : 'no default-deny';
      g.appendChild(el('text', { x: c.x + 12, y: PAD / 2 + 37, class: 'nsdeny' + (open ? ' warn' : '') }, (open ? '⚠ ' : '✓ ') + txt));
    } else {
      g.appendChild(el('text', { x: c.x + 12, y: PAD / 2 + 37, class: 'nsdeny' }, 'external addresses'));
    }
    svg.appendChild(g);
  }

  // Edges under the nodes; a pair with edges both ways gets two lanes.
  const both = new Set(edges.map((e) => `${str(e.src)}\u0000${str(e.dst)}`));
  const edgeLayer = el('g', { class: 'edges' });
  for (const e of edges) {
    const a = pos.get(str(e.src)), b = pos.get(str(e.dst));
    const twoWay = both.has(`${str(e.dst)}\u0000${str(e.src)}`);
    const lane = twoWay ? (str(e.src) < str(e.dst) ? -7 : 7) : 0;
    const p = edgePath(a, b, lane, level.get(edgeId(e)));
    const hot = str(e.src).endsWith('[External]');
    const g = el('g', { class: 'edge' + (hot ? ' hot' : '') + (e.all ? ' all' : ''), 'data-src': str(e.src), 'data-dst': str(e.dst), 'data-conns': str(e.connections) });
    g.appendChild(el('path', { d: p.d, class: 'wire', 'marker-end': `url(#${hot ? 'np-arrow-hot' : 'np-arrow'})` }));
    // Only restricted connections carry a label; an unlabelled arrow allows every port.
    // Above the line for arrows to the right, below for arrows to the left (two arrows between one
    // pair of columns keep their labels apart).
    const below = lane > 0 || (lane === 0 && b.col < a.col);
    if (!e.all) g.appendChild(el('text', { x: p.lx, y: p.ly + (below ? 12 : -4), 'text-anchor': 'middle', class: 'ports' }, clip(str(e.connections), 22)));
    titled(g, `${str(e.src)} → ${str(e.dst)}: ${str(e.connections)}`);
    edgeLayer.appendChild(g);
  }
  svg.appendChild(edgeLayer);

  // Nodes.
  for (const n of graph.nodes || []) {
    const p = pos.get(str(n.id));
    if (!p) continue;
    const cls = ['node', n.type === 'workload' ? 'workload' : 'ext'];
    if (n.exposed) cls.push('exposed');
    if (n.type === 'workload' && !n.ingress_isolated) cls.push('unisolated');
    const g = el('g', { class: cls.join(' '), 'data-id': str(n.id), 'data-exposed': n.exposed ? 'true' : 'false', tabindex: 0 });
    g.appendChild(el('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 7, class: 'box' }));
    g.appendChild(el('text', { x: p.x + 10, y: p.y + 19, class: n.type === 'workload' ? 'label' : 'label range' }, clip(n.name, n.type === 'workload' ? 21 : 24)));
    const sub = n.type === 'workload'
      ? (n.exposed ? `⚠ anywhere: ${portsLabel(n.exposed_connections)}` : `${str(n.kind)}${n.ingress_isolated ? '' : ' · ingress open'}`)
      : n.type === 'external' ? 'external range' : 'ingress controller';
    g.appendChild(el('text', { x: p.x + 10, y: p.y + 36, class: 'sub' + (n.exposed ? ' warn' : '') }, clip(sub, 26)));
    const tip = [str(n.id)];
    if (n.type === 'workload') {
      tip.push(`ingress ${n.ingress_isolated ? 'isolated' : 'not isolated'}, egress ${n.egress_isolated ? 'isolated' : 'not isolated'}`);
      if (n.exposed) tip.push(`reachable from any address: ${str(n.exposed_connections)}`);
    }
    titled(g, tip.join('\n'));
    // Choosing a node shows only its connections; choosing it again shows all.
    const focus = () => {
      const on = svg.getAttribute('data-focus') !== str(n.id);
      if (on) svg.setAttribute('data-focus', str(n.id)); else svg.removeAttribute('data-focus');
      svg.classList.toggle('focused', on);
      for (const x of svg.querySelectorAll('.edge')) x.classList.toggle('lit', on && (x.getAttribute('data-src') === str(n.id) || x.getAttribute('data-dst') === str(n.id)));
      for (const x of svg.querySelectorAll('.node')) x.classList.toggle('lit', on && x.getAttribute('data-id') === str(n.id));
    };
    g.addEventListener('click', focus);
    g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); focus(); } });
    svg.appendChild(g);
  }
  if (!pos.size) svg.appendChild(el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'sub' }, 'no workloads in this scan'));
  return svg;
}

const yes = (b, good) => h('span', { class: b === good ? 'good' : 'bad', text: b ? 'yes' : 'no' });

function graphView(g) {
  const wrap = h('div', { id: 'netpol', 'data-report': str(g.id) });
  const c = g.counts || {};
  wrap.appendChild(h('div', { class: 'cards' },
    h('div', { class: 'stat' }, h('div', { class: 'n', id: 'np-workloads', text: String(num(c.workloads)) }), h('div', { class: 'l', text: 'workloads' })),
    h('div', { class: 'stat' }, h('div', { class: 'n', id: 'np-edges', text: String(num(c.edges)) }), h('div', { class: 'l', text: 'allowed connections' })),
    h('div', { class: 'stat ' + (num(c.namespaces_without_default_deny) ? 'medium' : 'pass') }, h('div', { class: 'n', id: 'np-open-ns', text: String(num(c.namespaces_without_default_deny)) }), h('div', { class: 'l', text: 'namespaces without default-deny' })),
    h('div', { class: 'stat ' + (num(c.exposed) ? 'critical' : 'pass') }, h('div', { class: 'n', id: 'np-exposed', text: String(num(c.exposed)) }), h('div', { class: 'l', text: 'reachable from any address' }))));
  const nodes = g.nodes || [];
  const edges = g.edges || [];
  const graphCard = h('div', { class: 'card netcard' },
    h('h2', { text: 'Allowed connections' }),
    h('p', { class: 'muted small', text: 'Columns are namespaces; arrows are the connections the policies allow, labelled with their protocols and ports (an arrow without a label allows every port). Arrows that pass other namespaces run below them. Red: reachable from any address. Dashed amber: a namespace without a default-deny policy. Choose a workload to see only its connections.' }),
    // Past a size a drawing helps nobody (and costs the browser): the tables still hold everything.
    edges.length <= MAX_DRAWN_EDGES && nodes.length <= MAX_DRAWN_NODES
      ? h('div', { class: 'netscroll' }, graphSvg(g))
      : h('p', { class: 'muted', id: 'netpol-too-big', text: `${nodes.length} nodes and ${edges.length} connections are too many to draw (at most ${MAX_DRAWN_NODES} and ${MAX_DRAWN_EDGES}); the tables below list them all.` }),
    h('div', { class: 'legend' }, h('span', { class: 'lg-exposed', text: 'reachable from anywhere' }), h('span', { class: 'lg-open', text: 'no default-deny' }), h('span', { class: 'lg-edge', text: 'allowed connection (labelled with its ports; no label: every port)' })));
  const nameOf = new Map(nodes.map((n) => [str(n.id), n]));
  const short = (id) => { const n = nameOf.get(str(id)); return n && n.type === 'workload' ? `${str(n.namespace)}/${str(n.name)}` : str(id).replace(/\[External\]$/, ''); };
  wrap.appendChild(graphCard);
  const edgeTable = h('div', {}, h('h2', { text: `Connections (${edges.length})` }),
    localPaged('netpol-edges', edges, [
      { label: 'From', cell: (e) => h('span', { 'data-id': str(e.src), text: short(e.src) }) },
      { label: 'To', cell: (e) => h('span', { 'data-id': str(e.dst), text: short(e.dst) }) },
      { label: 'Ports', cls: 'mono', cell: (e) => str(e.connections) },
    ], 'No connection is allowed.'));
  const namespaces = g.namespaces || [];
  const nsTable = h('div', {}, h('h2', { text: `Namespaces (${namespaces.length})` }),
    table('netpol-namespaces', [
      { label: 'Namespace', cell: (n) => str(n.name) },
      { label: 'Workloads', cls: 'num', cell: (n) => String(num(n.workloads)) },
      { label: 'Default-deny ingress', cell: (n) => yes(!!n.default_deny_ingress, true) },
      { label: 'Default-deny egress', cell: (n) => yes(!!n.default_deny_egress, true) },
    ], namespaces, 'No namespaces.'));
  wrap.appendChild(h('div', { class: 'netlayout' }, edgeTable, nsTable));
  const workloads = nodes.filter((n) => n.type === 'workload');
  wrap.appendChild(h('h2', { text: `Workloads (${workloads.length})` }));
  wrap.appendChild(table('netpol-nodes', [
    { label: 'Namespace', cell: (n) => str(n.namespace) },
    { label: 'Workload', cell: (n) => h('span', { 'data-id': str(n.id), text: str(n.name) }) },
    { label: 'Kind', cell: (n) => str(n.kind) },
    { label: 'Ingress isolated', cell: (n) => yes(!!n.ingress_isolated, true) },
    { label: 'Egress isolated', cell: (n) => yes(!!n.egress_isolated, true) },
    { label: 'Reachable from any address', cell: (n) => (n.exposed ? h('span', { class: 'bad', text: `yes: ${str(n.exposed_connections)}` }) : h('span', { class: 'good', text: 'no' })) },
    { label: 'Defined in', cls: 'mono', cell: (n) => (n.location ? `${str(n.location.path)}${n.location.line ? ':' + n.location.line : ''}` : '') },
  ], workloads, 'No workloads.'));
  return wrap;
}

async function showGraph(body, id) {
  body.textContent = '';
  body.appendChild(h('p', { class: 'muted loading', text: 'Loading…' }));
  try {
    const g = await api.get(`/api/v1/netpol/${seg(id)}`);
    body.textContent = '';
    body.appendChild(h('p', { class: 'muted', id: 'netpol-source' }, 'Scan of ', h('span', { class: 'mono', text: str(pick(g, 'target.name')) }), ` received ${when(g.received_at)} (report `, h('span', { class: 'mono', text: str(g.id) }), ').'));
    body.appendChild(graphView(g));
  } catch (e) {
    body.textContent = '';
    body.appendChild(errorBox(e));
  }
}

// #/netpol: the stored graphs, newest first, and the newest drawn; #/netpol/{id}: that one.
export async function netpol(view, params, ctx, id) {
  view.textContent = '';
  document.title = 'bulwark: network policies';
  view.classList.add('wide');  // a graph needs the width of the window
  ctx.onLeave(() => view.classList.remove('wide'));
  view.appendChild(h('div', { class: 'pagehead' }, h('h1', { text: 'Network policies' })));
  const body = h('div', { id: 'netpol-body' });
  if (id) {
    view.appendChild(h('p', {}, link('← all scans', route('netpol'))));
    view.appendChild(body);
    await showGraph(body, id);
    return;
  }
  let drawn = false;
  view.appendChild(pagedList({
    id: 'netpol-scans', path: '/api/v1/netpol', params: params.name ? { name: params.name } : {},
    empty: 'No scan with Kubernetes manifests yet: upload `bulwark config k8s/ --format json` (bulwark push).',
    columns: [
      { label: 'Scan', cell: (x) => link(str(pick(x, 'target.name')) || str(x.id), route('netpol', x.id)) },
      { label: 'Received', cls: 'nowrap', cell: (x) => when(x.received_at) },
      { label: 'Workloads', cls: 'num', cell: (x) => String(num(pick(x, 'counts.workloads'))) },
      { label: 'Connections', cls: 'num', cell: (x) => String(num(pick(x, 'counts.edges'))) },
      { label: 'Without default-deny', cls: 'num', cell: (x) => String(num(pick(x, 'counts.namespaces_without_default_deny'))) },
      { label: 'From anywhere', cls: 'num', cell: (x) => String(num(pick(x, 'counts.exposed'))) },
    ],
    onItems: (items) => {  // the newest graph, drawn once below the list
      if (drawn || !items.length) return;
      drawn = true;
      body.appendChild(h('h2', { text: 'Newest scan' }));
      const inner = h('div');
      body.appendChild(inner);
      showGraph(inner, items[0].id);
    },
  }));
  view.appendChild(body);
}

// The dashboard's pages. Each takes (view, params, ctx) and fills `view`; every list
// is paged by the server (limit + cursor), so 10,000 images cost one page of rows.
import * as api from './api.js';
import { lineChart } from './chart.js';
import {
  SEVERITIES, h, append, str, num, pick, route, link, httpLink, sevBadge, when, shortId, severityBar, stat, errorBox, table,
} from './dom.js';

const PAGE = 50;
// A path segment: ':' of digests stays literal (allowed in a segment; servers need not decode it).
const seg = (x) => encodeURIComponent(str(x)).replace(/%3A/gi, ':');

// Counts by severity from an object {critical: n, ...} or an array of findings.
export function countsOf(x) {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  if (Array.isArray(x)) {
    for (const f of x) {
      if (f && (f.status === 'pass' || f.suppression)) continue;
      const s = SEVERITIES.includes(f && f.severity) ? f.severity : 'unknown';
      out[s]++;
    }
  } else if (x && typeof x === 'object') {
    for (const s of SEVERITIES) out[s] = num(x[s]);
  }
  return out;
}
const total = (c) => SEVERITIES.reduce((a, s) => a + num(c[s]), 0);
function imageCounts(it) {
  return countsOf(pick(it, 'severity_counts', 'counts', 'findings_by_severity', 'severities', 'findings'));
}
// A name people know: the first of `names` that is a registry reference (not a scan transport
// like docker-archive:/path), else the name it was scanned under, else the id.
const TRANSPORT = /^(docker-archive|oci-archive|oci|docker|dir|rootfs|containerd|podman|registry):|^\//;
export function imageName(it) {
  const names = Array.isArray(it && it.names) ? it.names.map(str) : [];
  return names.find((n) => n && !TRANSPORT.test(n)) || str(pick(it, 'name', 'repo_tags.0', 'reference', 'repo_digests.0', 'id'));
}

function title(view, text, ...extra) {
  view.textContent = '';
  document.title = `bulwark: ${text}`;
  view.appendChild(h('div', { class: 'pagehead' }, h('h1', { text }), extra));
}

function loading() { return h('p', { class: 'muted loading', text: 'Loading…' }); }

// A server-paged list: fetches `path` with params + limit + cursor; Previous/Next walk a cursor stack.
export function pagedList({ id, path, params = {}, columns, empty, onItems, missing, serverSort = null }) {
  const wrap = h('div', { class: 'paged', id: id + '-wrap' });
  const body = h('div');
  const info = h('span', { class: 'muted', id: id + '-info' });
  const prev = h('button', { type: 'button', id: id + '-prev', text: '← Previous' });
  const next = h('button', { type: 'button', id: id + '-next', text: 'Next →' });
  const stack = [];
  let cursor = '';
  let nextCursor = '';
  async function load() {
    body.textContent = '';
    body.appendChild(loading());
    prev.disabled = next.disabled = true;
    try {
      const r = await api.get(path, { limit: PAGE, ...params, cursor });
      const items = Array.isArray(r) ? r : (r && (r.items || r.data)) || [];
      nextCursor = (r && r.next_cursor) || '';
      body.textContent = '';
      body.appendChild(table(id, columns, items, empty, serverSort));
      const start = stack.length * num(params.limit || PAGE);
      const totalText = r && typeof r.total === 'number' ? ` of ${r.total}` : '';
      info.textContent = items.length ? `${start + 1}–${start + items.length}${totalText}` : (stack.length ? 'no more' : '');
      info.setAttribute('data-count', String(items.length));
      prev.disabled = !stack.length;
      next.disabled = !nextCursor;
      if (onItems) onItems(items, r);
    } catch (e) {
      body.textContent = '';
      // A route this server does not have (404 on the list itself): say so plainly.
      body.appendChild(missing && e.status === 404 ? h('p', { class: 'muted', id: id + '-missing', text: missing }) : errorBox(e));
    }
  }
  prev.addEventListener('click', () => { cursor = stack.pop() || ''; load(); });
  next.addEventListener('click', () => { stack.push(cursor); cursor = nextCursor; load(); });
  append(wrap, [body, h('div', { class: 'pager' }, info, prev, next)]);
  load();
  return wrap;
}

// Filters kept in the address (#/page?k=v), so a filtered view is a link.
function filterBar(page, params, fields) {
  const form = h('form', { class: 'filters', id: page + '-filters' });
  const inputs = {};
  for (const f of fields) {
    let input;
    if (f.options) {
      input = h('select', { name: f.name, id: `${page}-${f.name}`, 'aria-label': f.label },
        f.options.map(([v, t]) => h('option', { value: v, text: t })));
      input.value = str(params[f.name]);
    } else if (f.checkbox) {
      input = h('input', { type: 'checkbox', name: f.name, id: `${page}-${f.name}` });
      input.checked = params[f.name] === 'true';
    } else {
      input = h('input', { type: 'search', name: f.name, id: `${page}-${f.name}`, placeholder: f.label, 'aria-label': f.label });
      input.value = str(params[f.name]);
    }
    inputs[f.name] = input;
    form.appendChild(f.checkbox ? h('label', {}, input, f.label) : input);
  }
  form.appendChild(h('button', { type: 'submit', text: 'Apply' }));
  const go = (ev) => {
    if (ev) ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, el] of Object.entries(inputs)) {
      const v = el.type === 'checkbox' ? (el.checked ? 'true' : '') : el.value.trim();
      if (v) q.set(k, v);
    }
    if (params.sort) q.set('sort', params.sort);  // a filtered list keeps its server sort
    const s = q.toString();
    location.hash = `#/${page}${s ? '?' + s : ''}`;
  };
  form.addEventListener('submit', go);
  for (const el of Object.values(inputs)) if (el.tagName === 'SELECT' || el.type === 'checkbox') el.addEventListener('change', go);
  return form;
}

const SEV_OPTIONS = [['', 'any severity'], ...SEVERITIES.slice(0, 5).map((s) => [s, `${s} or worse`])];

// ---- sign-in ----
export function signin(view, params, ctx) {
  view.textContent = '';
  document.title = 'bulwark: sign in';
  const token = h('input', { type: 'password', id: 'token', autocomplete: 'off', required: 'required', 'aria-label': 'API token', placeholder: 'API token' });
  const err = h('div', { id: 'signin-error', role: 'alert' });
  const form = h('form', { class: 'signin card', id: 'signin' },
    h('h1', { text: 'Sign in to bulwark' }),
    h('p', { class: 'muted', text: 'Paste an API token (bulwark server token create --data DIR --role reader). It is exchanged for a session cookie and not kept by this page.' }),
    token, h('button', { type: 'submit', id: 'signin-submit', text: 'Sign in' }), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      await api.signIn(token.value.trim());
      token.value = '';
      ctx.signedIn();
    } catch (e) {
      err.appendChild(errorBox(e.status === 401 || e.status === 403 ? new Error('That token was not accepted.') : e));
    }
  });
  view.appendChild(h('div', { class: 'center' }, form));
  token.focus();
}

// ---- overview ----
export async function overview(view) {
  title(view, 'Fleet overview');
  const body = h('div', { id: 'overview' }, loading());
  view.appendChild(body);
  // The events list loads while the summary is computed (the summary is the slow one).
  const eventsList = pagedList({ id: 'ov-events', path: '/api/v1/events', params: { limit: 10 }, columns: EVENT_COLUMNS, empty: 'No events yet.' });
  let s;
  try { s = await api.get('/api/v1/summary'); } catch (e) { body.textContent = ''; body.appendChild(errorBox(e)); return; }
  body.textContent = '';
  const counts = countsOf(pick(s, 'vulnerabilities', 'findings_by_severity', 'findings.by_severity', 'severity_counts', 'findings'));
  const cards = h('div', { class: 'cards' },
    stat('ov-images', num(pick(s, 'images', 'counts.images', 'image_count')), 'images'),
    stat('ov-hosts', num(pick(s, 'hosts', 'counts.hosts', 'host_count')), 'hosts'),
    stat('ov-containers', num(pick(s, 'containers_running', 'containers', 'running_containers', 'counts.containers')), 'running containers'),
    SEVERITIES.slice(0, 4).map((sv) => stat('ov-' + sv, counts[sv], sv + ' findings', sv)),
    counts.unknown ? stat('ov-unknown', counts.unknown, 'unrated findings', 'unknown') : null,
    pick(s, 'alerts_24h') !== undefined ? stat('ov-alerts', num(pick(s, 'alerts_24h')), 'alerts in 24 h') : null);
  body.appendChild(cards);
  const trendRaw = pick(s, 'trend', 'series', 'history') || [];
  const trendList = Array.isArray(trendRaw) ? trendRaw : [];
  // Open critical/high per day when the server keeps them; else what it does keep per day
  // (new findings and alerts), said so in the title.
  const hasOpen = trendList.some((p) => pick(p, 'critical', 'open.critical', 'counts.critical') !== undefined);
  const series = hasOpen
    ? [{ name: 'critical', cls: 'critical', keys: ['critical', 'open.critical', 'counts.critical'] }, { name: 'high', cls: 'high', keys: ['high', 'open.high', 'counts.high'] }]
    : [{ name: 'new findings', cls: 'high', keys: ['new_findings'] }, { name: 'alerts', cls: 'critical', keys: ['alerts'] }];
  const points = trendList.map((p) => ({
    t: pick(p, 'time', 't', 'date', 'at'),
    values: Object.fromEntries(series.map((x) => [x.name, num(pick(p, ...x.keys))])),
  }));
  const sevCard = h('div', { class: 'card' }, h('h2', { text: 'Open findings by severity' }));
  const bars = h('div', { class: 'bars', id: 'ov-severity' });
  const max = Math.max(1, ...SEVERITIES.map((sv) => counts[sv]));
  for (const sv of SEVERITIES) {
    if (sv === 'unknown' && !counts[sv]) continue;
    append(bars, [h('div', { class: 'label', text: sv }), severityBar({ [sv]: counts[sv] }, max), h('div', { class: 'count', 'data-severity': sv, text: String(counts[sv]) })]);
  }
  sevCard.appendChild(bars);
  const trendCard = h('div', { class: 'card' }, h('h2', { text: hasOpen ? 'Open critical and high findings over time' : 'New findings and runtime alerts per day' }),
    hasOpen ? h('p', { class: 'muted', id: 'ov-trend-note', text: 'Per day (UTC): the findings open now, counted from the day each was first seen; findings fixed since are not in earlier days.' }) : null,
    lineChart(points, series, { id: 'ov-trend' }),
    h('div', { class: 'legend' }, series.map((x) => h('span', { class: x.cls, text: x.name }))));
  body.appendChild(h('div', { class: 'grid2' }, sevCard, trendCard));
  body.appendChild(h('h2', { text: 'Newest events' }));
  body.appendChild(eventsList);
}

const EVENT_COLUMNS = [
  { label: 'Time', cls: 'nowrap', cell: (e) => when(pick(e, 'time', 'created_at', 'at')) },
  { label: 'Kind', cell: (e) => str(pick(e, 'kind', 'type', 'event')) },
  { label: 'Subject', cell: (e) => {
    const img = pick(e, 'image_id', 'image.id', 'target.id');
    const tname = pick(e, 'target.name');
    const cve = pick(e, 'vulnerability', 'vulnerability_id', 'cve');
    const hostName = pick(e, 'host', 'host.name');
    // A scan reference like docker-archive:/long/path/app.tar shows as "app.tar sha256:abc…".
    const label = tname && TRANSPORT.test(str(tname)) ? `${str(tname).split('/').pop()} ${shortId(img || '')}`.trim() : str(tname || '');
    return [img ? link(label || shortId(img), route('image', img)) : (tname ? str(tname) : null), cve ? [' ', link(str(cve), route('cve', cve))] : null,
      typeof hostName === 'string' ? [' ', link(hostName, route('host', hostName))] : null];
  } },
  { label: 'Package', cell: (e) => str(pick(e, 'package')) },
  { label: 'Severity', cell: (e) => (e.severity ? sevBadge(e.severity) : '') },
  { label: 'Message', cell: (e) => str(pick(e, 'message', 'summary', 'text', 'detail')) },
];

// ---- images ----
export function images(view, params) {
  title(view, 'Images');
  view.appendChild(filterBar('images', params, [
    { name: 'name', label: 'name contains' },
    { name: 'registry', label: 'registry' },
    { name: 'severity', label: 'severity', options: SEV_OPTIONS },
    { name: 'fixable', label: 'fixable only', checkbox: true },
  ]));
  // Sorted by the server (GET /api/v1/images?sort=key or -key), kept in the address like the filters.
  // A first click sorts names A to Z and counts and dates largest first; the next click reverses.
  const sortGo = (key) => {
    const cur = str(params.sort);
    const first = key === 'name' ? key : '-' + key;
    const nextSort = cur === first ? (first.startsWith('-') ? key : '-' + key) : first;
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (k !== 'sort' && v) q.set(k, v);
    q.set('sort', nextSort);
    location.hash = `#/images?${q.toString()}`;
  };
  view.appendChild(pagedList({
    id: 'images-table', path: '/api/v1/images', params: { name: params.name, registry: params.registry, severity: params.severity, fixable: params.fixable, sort: params.sort },
    empty: 'No image matches.',
    serverSort: { current: params.sort, go: sortGo },
    columns: [
      { label: 'Image', sort: 'name', cell: (it) => link(imageName(it), route('image', pick(it, 'id', 'config_digest'))) },
      { label: 'Registry', cell: (it) => registryOf(it) },
      ...SEVERITIES.slice(0, 4).map((s) => ({ label: s, key: s, sort: s === 'critical' || s === 'high' ? s : undefined, cls: 'num', cell: (it) => String(imageCounts(it)[s]) })),
      { label: 'other', cls: 'num', cell: (it) => { const c = pick(it, 'counts') || {}; return String(num(c.info) + num(c.unknown)); } },
      { label: 'Fixable', sort: 'fixable', cls: 'num', cell: (it) => str(pick(it, 'fixable', 'fixable_count', 'counts.fixable')) },
      { label: 'Findings', cell: (it) => { const c = imageCounts(it); return severityBar(c, Math.max(1, total(c))); } },
      { label: 'Runs on', cls: 'num', cell: (it) => { const r = pick(it, 'running'); return Array.isArray(r) ? String(r.length) : ''; } },
      { label: 'Last seen', sort: 'last_seen', cls: 'nowrap', cell: (it) => when(pick(it, 'last_seen', 'updated_at', 'scanned_at', 'created_at')) },
    ],
  }));
}

// The registry part of an image name ("registry.example:5000/team/app:1"), Docker's rule: the first
// path component when it has a '.' or ':' or is "localhost"; else Docker Hub.
export function registryOf(it) {
  const n = str(pick(it, 'registry')) || imageName(it);
  if (str(pick(it, 'registry'))) return n;
  const slash = n.indexOf('/');
  if (slash < 0 || /^(sha256:|docker-archive:|oci-archive:|oci:|docker:)/.test(n)) return '';
  const first = n.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' ? first : 'docker.io';
}

// ---- one image ----
export async function image(view, params, ctx, id) {
  title(view, 'Image');
  const body = h('div', { id: 'image' }, loading());
  view.appendChild(body);
  let im;
  // The layer view comes from its own route, asked for at the same time (an older server has none).
  const layersReq = api.get(`/api/v1/images/${seg(id)}/layers`).catch((e) => e);
  try { im = await api.get(`/api/v1/images/${seg(id)}`); } catch (e) { body.textContent = ''; body.appendChild(errorBox(e)); return; }
  body.textContent = '';
  const name = imageName(im) || id;
  view.querySelector('.pagehead h1').textContent = name;
  document.title = `bulwark: ${name}`;
  const findings = pick(im, 'findings') || [];
  const packagesRaw = pick(im, 'package_list', 'packages', 'target.packages');
  const packages = Array.isArray(packagesRaw) ? packagesRaw : [];
  const layers = pick(im, 'layers', 'image.layers', 'target.image.layers') || [];
  // The server's counts are of vulnerabilities; without them, every open finding counts.
  const serverCounts = pick(im, 'counts');
  const counts = serverCounts && typeof serverCounts === 'object' ? countsOf(serverCounts) : countsOf(Array.isArray(findings) ? findings : []);
  const dl = h('dl', { class: 'kv' });
  const row = (k, v) => { if (v !== '' && v !== undefined && v !== null) append(dl, [h('dt', { text: k }), h('dd', {}, v)]); };
  row('ID', h('span', { class: 'mono', text: str(pick(im, 'id')) }));
  row('Names', (pick(im, 'names', 'repo_tags') || []).map(str).join(', '));
  row('Digests', h('span', { class: 'mono', text: (pick(im, 'repo_digests') || []).map(str).join(', ') }));
  row('OS', str(pick(im, 'os.pretty_name', 'os_name', 'target.os.pretty_name')));
  row('Last scanned', when(pick(im, 'scanned_at', 'last_seen', 'updated_at')));
  const base = pick(im, 'base_image', 'base');
  if (base) row('Base image', typeof base === 'object' ? str(pick(base, 'name', 'reference', 'id')) : str(base));
  const trust = pick(im, 'trust', 'signatures', 'verification');
  if (trust) row('Trust', typeof trust === 'object' ? str(pick(trust, 'summary', 'status', 'verified')) || JSON.stringify(trust) : str(trust));
  body.appendChild(h('div', { class: 'card' }, dl));
  body.appendChild(h('div', { class: 'cards' }, SEVERITIES.filter((s) => s !== 'unknown' || counts[s]).map((s) => stat('img-' + s, counts[s], serverCounts && typeof serverCounts === 'object' ? `${s} vulnerabilities` : s, s)),
    stat('img-packages', packages.length, 'packages')));

  // Findings, with fix versions: paged in the page (the detail document is one response).
  body.appendChild(h('h2', { text: `Findings (${Array.isArray(findings) ? findings.length : 0})` }));
  const open = (Array.isArray(findings) ? findings : []).slice().sort((a, b) =>
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || str(a.id).localeCompare(str(b.id)));
  body.appendChild(localPaged('image-findings', open, [
    { label: 'Severity', cell: (f) => sevBadge(f.severity) },
    { label: 'ID', cls: 'mono nowrap', cell: (f) => (f.vulnerability || f.package ? link(str(f.id), route('cve', f.id)) : str(f.id)) },
    { label: 'Title', cell: (f) => str(f.title) },
    { label: 'Package', cell: (f) => str(pick(f, 'package.name')) },
    { label: 'Installed', cls: 'mono', cell: (f) => str(pick(f, 'package.version')) },
    { label: 'Fixed in', cls: 'mono', cell: (f) => { const v = pick(f, 'fixed_version', 'vulnerability.fixed_version'); return v ? h('span', { class: 'fixed', text: str(v) }) : h('span', { class: 'muted', text: f.vulnerability || f.package ? str(pick(f, 'state', 'vulnerability.state')) || 'no fix' : '' }); } },
    ...(open.some((f) => pick(f, 'location.layer', 'package.layer')) ? [{ label: 'Layer', cls: 'mono', cell: (f) => shortId(pick(f, 'location.layer', 'package.layer')) }] : []),
  ], 'No findings.'));

  const runs = pick(im, 'containers', 'running', 'where_running', 'runs_on') || [];
  body.appendChild(h('h2', { text: `Where it runs (${runs.length})` }));
  body.appendChild(table('image-runs', [
    { label: 'Host', cell: (c) => { const n = str(pick(c, 'host', 'host.name', 'host_name')); return n ? link(n, route('host', n)) : ''; } },
    { label: 'Container', cell: (c) => (typeof c.containers === 'number' ? `${c.containers} running` : str(pick(c, 'name', 'container.name', 'id'))) },
    { label: 'Pod', cell: (c) => { const p = pick(c, 'pod'); return p && p.name ? `${str(p.namespace)}/${str(p.name)}` : ''; } },
    { label: 'State', cell: (c) => str(pick(c, 'state')) || (typeof c.containers === 'number' ? 'running' : '') },
    { label: 'Started', cls: 'nowrap', cell: (c) => when(pick(c, 'started_at')) },
  ], runs, 'Not seen running on any host.'));

  const lv = await layersReq;
  if (lv && Array.isArray(lv.layers)) body.appendChild(layerView(lv));
  else if (layers.length) body.appendChild(h('p', { class: 'muted', id: 'image-layers-missing', text: `${layers.length} layers (this server gives no layer view).` }));
  body.appendChild(h('h2', { text: `Packages (${packages.length})` }));
  const layerNo = (d) => { const i = layers.findIndex((l) => l.diff_id === d || l.digest === d); return i >= 0 ? `#${i + 1} ` : ''; };
  body.appendChild(localPaged('image-packages', packages.slice().sort((a, b) => str(a.name).localeCompare(str(b.name))), [
    { label: 'Name', cell: (p) => str(p.name) },
    { label: 'Version', cls: 'mono', cell: (p) => str(p.version) },
    { label: 'Type', cell: (p) => str(p.ecosystem) },
    { label: 'Source', cell: (p) => str(p.source) },
    ...(packages.some((p) => p.layer) ? [{ label: 'Layer', cls: 'mono nowrap', cell: (p) => (p.layer ? layerNo(p.layer) + shortId(p.layer) : '') }] : []),
  ], 'No packages recorded.'));
}

// Bytes as people read them (powers of 1024).
export function bytes(n) {
  n = num(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i ? `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}` : `${n} B`;
}

// The image's layers, bottom first, like Docker Scout's layer view: what made each layer, its
// size, the packages it added and their vulnerabilities; choosing a layer lists them below.
function layerView(lv) {
  const rows = lv.layers.map((l, i) => ({ ...l, n: i + 1 }));
  const un = lv.unattributed || {};
  if ((un.packages || []).length || (un.findings || []).length) rows.push({ ...un, n: 0, created_by: 'not attributed to a layer' });
  const detail = h('div', { id: 'image-layer-detail' });
  const show = (l) => {
    detail.textContent = '';
    const findings = (l.findings || []).slice().sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || str(a.id).localeCompare(str(b.id)));
    append(detail, [
      h('h3', { id: 'image-layer-detail-title', text: l.n ? `Layer ${l.n}: ${str(l.created_by) || '(no history entry)'}` : 'Not attributed to a layer' }),
      h('p', { class: 'muted mono', text: [l.diff_id ? `diff_id ${str(l.diff_id)}` : '', l.digest ? `blob ${str(l.digest)}` : ''].filter(Boolean).join(' · ') }),
      h('h4', { text: `Findings (${findings.length})` }),
      localPaged('image-layer-findings', findings, [
        { label: 'Severity', cell: (f) => sevBadge(f.severity) },
        { label: 'ID', cls: 'mono nowrap', cell: (f) => (f.package ? link(str(f.id), route('cve', f.id)) : str(f.id)) },
        { label: 'Package', cell: (f) => str(pick(f, 'package.name')) },
        { label: 'Installed', cls: 'mono', cell: (f) => str(pick(f, 'package.version')) },
        { label: 'Fixed in', cls: 'mono', cell: (f) => (f.fixed_version ? h('span', { class: 'fixed', text: str(f.fixed_version) }) : (f.package ? h('span', { class: 'muted', text: 'no fix' }) : str(f.title))) },
      ], 'No findings in this layer.'),
      h('h4', { text: `Packages (${(l.packages || []).length})` }),
      localPaged('image-layer-packages', l.packages || [], [
        { label: 'Name', cell: (p) => str(p.name) },
        { label: 'Version', cls: 'mono', cell: (p) => str(p.version) },
        { label: 'Type', cell: (p) => str(p.ecosystem) },
      ], 'This layer added no package.'),
    ]);
  };
  const wrap = h('div', { id: 'image-layers-view' }, h('h2', { text: `Layers (${lv.layers.length})` }));
  if (!lv.layers.length) wrap.appendChild(h('p', { class: 'muted', id: 'image-layers-none', text: 'The last upload listed no layers (an SBOM, a root filesystem, or a scan before the server kept them).' }));
  const most = Math.max(1, ...rows.map((l) => num(l.vulnerabilities)));
  wrap.appendChild(table('image-layers', [
    { label: '#', cls: 'num', cell: (l) => { const b = h('button', { type: 'button', class: 'linkish', 'data-layer': String(l.n), text: l.n ? String(l.n) : '–' }); b.addEventListener('click', () => show(l)); return b; } },
    { label: 'Created by', cls: 'mono createdby', cell: (l) => h('span', { title: str(l.created_by), text: str(l.created_by) }) },
    { label: 'Size', cls: 'num nowrap', cell: (l) => (l.n ? h('span', { 'data-bytes': String(num(l.size)), text: bytes(l.size) }) : '') },
    { label: 'Packages', cls: 'num', cell: (l) => String((l.packages || []).length) },
    { label: 'Vulnerabilities', cls: 'num', cell: (l) => String(num(l.vulnerabilities)) },
    { label: 'Fixable', cls: 'num', cell: (l) => String(num(l.fixable)) },
    { label: 'By severity', cell: (l) => severityBar(l.counts || {}, most) },
  ], rows, 'No layers.'));
  wrap.appendChild(detail);
  // The layer with the most vulnerabilities is shown first (the one to rebuild).
  const worst = rows.reduce((a, l) => (num(l.vulnerabilities) > num(a ? a.vulnerabilities : -1) ? l : a), null);
  if (worst) show(worst);
  return wrap;
}

// Client-side paging of an array already in hand.
export function localPaged(id, rows, columns, empty) {
  const wrap = h('div', { id: id + '-wrap' });
  let page = 0;
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const info = h('span', { class: 'muted', id: id + '-info' });
  const prev = h('button', { type: 'button', text: '← Previous' });
  const next = h('button', { type: 'button', text: 'Next →' });
  const slot = h('div');
  const draw = () => {
    slot.textContent = '';
    slot.appendChild(table(id, columns, rows.slice(page * PAGE, (page + 1) * PAGE), empty));
    info.textContent = rows.length ? `${page * PAGE + 1}–${Math.min(rows.length, (page + 1) * PAGE)} of ${rows.length}` : '';
    info.setAttribute('data-total', String(rows.length));
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  };
  prev.addEventListener('click', () => { page--; draw(); });
  next.addEventListener('click', () => { page++; draw(); });
  append(wrap, [slot, rows.length > PAGE ? h('div', { class: 'pager' }, info, prev, next) : h('div', { class: 'pager' }, info)]);
  draw();
  return wrap;
}

// ---- CVE search ----
export async function cve(view, params, ctx, id) {
  title(view, 'Am I affected?');
  const input = h('input', { type: 'search', id: 'cve-id', placeholder: 'CVE-2024-3094, GHSA-…, DSA-…', 'aria-label': 'Vulnerability id', value: id || '' });
  const form = h('form', { class: 'filters', id: 'cve-form' }, input, h('button', { type: 'submit', text: 'Search' }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); const v = input.value.trim(); if (v) location.hash = route('cve', v); });
  view.appendChild(form);
  if (!id) { view.appendChild(h('p', { class: 'muted', text: 'Type a vulnerability id to see the images, hosts and pods it affects.' })); return; }
  const body = h('div', { id: 'cve-result' }, loading());
  view.appendChild(body);
  let r;
  try { r = await api.get(`/api/v1/vulnerabilities/${seg(id)}/affected`); } catch (e) {
    body.textContent = '';
    body.appendChild(e.status === 404 ? h('p', { id: 'cve-none', text: `${id}: not known to this server, or nothing is affected.` }) : errorBox(e));
    return;
  }
  body.textContent = '';
  const imgs = pick(r, 'images') || [];
  const hosts = pick(r, 'hosts') || [];
  const pods = pick(r, 'containers', 'pods') || [];
  body.appendChild(h('p', { id: 'cve-summary', class: imgs.length ? 'bad' : 'good',
    text: imgs.length ? `${id} affects ${imgs.length} image(s), ${hosts.length} host(s), ${pods.length} running container(s).` : `No stored image is affected by ${id}.` }));
  body.appendChild(h('h2', { text: `Images (${imgs.length})` }));
  body.appendChild(table('cve-images', [
    { label: 'Image', cell: (i) => link(imageName(i), route('image', pick(i, 'id', 'image_id'))) },
    { label: 'Package', cell: (i) => (Array.isArray(i.packages) ? i.packages.map((p) => str(p.name)).join(', ') : str(pick(i, 'package.name', 'package'))) },
    { label: 'Installed', cls: 'mono', cell: (i) => (Array.isArray(i.packages) ? i.packages.map((p) => str(p.version)).join(', ') : str(pick(i, 'version', 'package.version', 'installed'))) },
    { label: 'Fixed in', cls: 'mono', cell: (i) => (Array.isArray(i.packages) ? i.packages.map((p) => str(p.fixed_version) || 'no fix').join(', ') : str(pick(i, 'fixed_version', 'vulnerability.fixed_version'))) },
    { label: 'Severity', cell: (i) => sevBadge(pick(i, 'severity') || pick(r, 'severity')) },
  ], imgs));
  body.appendChild(h('h2', { text: `Hosts (${hosts.length})` }));
  body.appendChild(table('cve-hosts', [{ label: 'Host', cell: (x) => { const n = typeof x === 'string' ? x : str(pick(x, 'name', 'host')); return link(n, route('host', n)); } }], hosts));
  body.appendChild(h('h2', { text: `Containers and pods (${pods.length})` }));
  body.appendChild(table('cve-pods', [
    { label: 'Host', cell: (c) => str(pick(c, 'host', 'host.name')) },
    { label: 'Container', cell: (c) => str(pick(c, 'name', 'id')) },
    { label: 'Pod', cell: (c) => { const p = pick(c, 'pod'); return p && p.name ? `${str(p.namespace)}/${str(p.name)}` : ''; } },
    { label: 'Image', cell: (c) => str(pick(c, 'image', 'image_id')) },
  ], pods));
}

// ---- hosts ----
export function hosts(view) {
  title(view, 'Hosts');
  view.appendChild(pagedList({
    id: 'hosts-table', path: '/api/v1/hosts', empty: 'No host has reported yet.',
    columns: [
      { label: 'Host', cell: (x) => link(str(pick(x, 'name')), route('host', pick(x, 'name'))) },
      { label: 'Audit score', cls: 'num', cell: (x) => { const p = pick(x, 'audit.score_percent', 'score.percent', 'audit.percent', 'score'); return p === undefined ? '' : `${typeof p === 'number' ? p.toFixed(1) : str(p)}%`; } },
      { label: 'Failing checks', cls: 'num', cell: (x) => str(pick(x, 'audit.failed', 'failing', 'failing_checks', 'score.failed')) },
      { label: 'Containers', cls: 'num', cell: (x) => str(pick(x, 'containers_running', 'containers', 'running_containers')) },
      { label: 'Alerts', cls: 'num', cell: (x) => str(pick(x, 'alerts')) },
      { label: 'Engine', cell: (x) => str(pick(x, 'engine')) },
      { label: 'Last seen', cls: 'nowrap', cell: (x) => when(pick(x, 'last_seen', 'updated_at')) },
    ],
  }));
}

export async function host(view, params, ctx, name) {
  title(view, `Host ${name}`);
  const body = h('div', { id: 'host' }, loading());
  view.appendChild(body);
  let x;
  try { x = await api.get(`/api/v1/hosts/${seg(name)}`); } catch (e) { body.textContent = ''; body.appendChild(errorBox(e)); return; }
  body.textContent = '';
  const score = pick(x, 'score', 'audit.score') || {};
  const pct = pick(x, 'audit.score_percent', 'score.percent');
  const failedN = pick(x, 'audit.failed', 'score.failed');
  body.appendChild(h('div', { class: 'cards' },
    stat('host-score', pct !== undefined ? `${typeof pct === 'number' ? pct.toFixed(1) : str(pct)}%` : '–', 'audit score'),
    stat('host-failed', num(failedN), 'failing checks', 'high'),
    score.passed !== undefined ? stat('host-passed', num(score.passed), 'passed checks', 'pass') : null,
    stat('host-running', num(pick(x, 'containers_running', 'running_containers', 'containers.length')), 'containers')));
  const findings = (pick(x, 'failing_checks', 'findings', 'audit.findings', 'failing') || []).filter((f) => f.status !== 'pass')
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || str(a.id).localeCompare(str(b.id), 'en', { numeric: true }));
  body.appendChild(h('h2', { text: `Failing checks (${findings.length})` }));
  body.appendChild(localPaged('host-findings', findings, [
    { label: 'Severity', cell: (f) => sevBadge(f.severity) },
    { label: 'Check', cls: 'mono nowrap', cell: (f) => str(f.id) },
    { label: 'Title', cell: (f) => str(f.title) },
    ...(findings.some((f) => f.status) ? [{ label: 'Status', cell: (f) => str(f.status) }] : []),
    { label: 'Evidence', cell: (f) => str(f.evidence) },
  ], 'No failing checks.'));
  const cs = pick(x, 'containers') || [];
  if (Array.isArray(cs)) {
    body.appendChild(h('h2', { text: `Containers (${cs.length})` }));
    body.appendChild(table('host-containers', [
      { label: 'Name', cell: (c) => str(pick(c, 'name', 'id')) },
      { label: 'Image', cell: (c) => { const i = pick(c, 'image_id'); return i ? link(str(pick(c, 'image')) || shortId(i), route('image', i)) : str(pick(c, 'image')); } },
      { label: 'State', cell: (c) => str(c.state) },
      { label: 'Pod', cell: (c) => (c.pod && c.pod.name ? `${str(c.pod.namespace)}/${str(c.pod.name)}` : '') },
    ], cs));
  }
}

// ---- runtime alerts, with the live stream ----
export function alerts(view, params, ctx) {
  title(view, 'Runtime alerts');
  view.appendChild(filterBar('alerts', params, [
    { name: 'host', label: 'host' }, { name: 'container', label: 'container' }, { name: 'rule', label: 'rule' },
    { name: 'priority', label: 'priority', options: [['', 'any priority'], ...['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'].map((p) => [p, p])] },
    { name: 'since', label: 'since (RFC 3339)' },
  ]));
  const filters = { host: params.host, container: params.container, rule: params.rule, priority: params.priority, since: params.since };
  const columns = [
    { label: 'Time', cls: 'nowrap', cell: (a) => when(a.time) },
    { label: 'Priority', cell: (a) => h('span', { class: 'prio ' + str(a.priority).toLowerCase(), text: str(a.priority) }) },
    { label: 'Rule', cell: (a) => str(a.rule) },
    { label: 'Host', cell: (a) => { const n = str(pick(a, 'host.name', 'host')); return n ? link(n, route('host', n)) : ''; } },
    { label: 'Container', cell: (a) => str(pick(a, 'container.name', 'container.id')) },
    { label: 'Output', cell: (a) => str(a.output) },
  ];
  const status = h('span', { class: 'live', id: 'alerts-live-status', text: 'connecting…' });
  const liveRows = [];
  const liveSlot = h('div', { id: 'alerts-live' }, table('alerts-live-table', columns, [], 'No new alert since this page opened.'));
  view.appendChild(h('h2', {}, 'Live ', status));
  view.appendChild(liveSlot);
  const es = new EventSource(api.withQuery('/api/v1/alerts/stream', filters), { withCredentials: true });
  let opened = false;
  es.onopen = () => { opened = true; status.textContent = 'live'; status.className = 'live on'; };
  // Closed before it ever opened: the server has no stream (EventSource gives up on a 404).
  es.onerror = () => { status.textContent = es.readyState === 2 ? (opened ? 'closed' : 'not offered by this server') : 'reconnecting…'; status.className = 'live off'; };
  const seen = new Set();
  const onAlert = (ev) => {
    let a;
    try { a = JSON.parse(ev.data); } catch { return; }
    // A reconnect replays from Last-Event-ID; an alert already shown is not shown twice.
    const list = (Array.isArray(a.alerts) ? a.alerts : [a]).filter((x) => x.seq === undefined || !seen.has(x.seq));
    for (const x of list) if (x.seq !== undefined) seen.add(x.seq);
    if (!list.length) return;
    liveRows.unshift(...list.reverse());
    liveRows.length = Math.min(liveRows.length, 200);
    liveSlot.textContent = '';
    liveSlot.appendChild(table('alerts-live-table', columns, liveRows, ''));
    liveSlot.setAttribute('data-count', String(liveRows.length));
  };
  es.onmessage = onAlert;
  es.addEventListener('alert', onAlert);
  // The server ends a stream whose credentials expired, or whose reader fell behind (then reconnect).
  es.addEventListener('end', () => { es.close(); status.textContent = 'ended (signed out or token revoked)'; status.className = 'live off'; });
  es.addEventListener('overflow', () => { status.textContent = 'catching up…'; });
  ctx.onLeave(() => es.close());
  view.appendChild(h('h2', { text: 'Stored alerts' }));
  view.appendChild(pagedList({ id: 'alerts-table', path: '/api/v1/alerts', params: filters, columns, empty: 'No alert matches.' }));
}

// ---- events and webhook deliveries ----
export function events(view) {
  title(view, 'Events and webhook deliveries');
  view.appendChild(h('h2', { text: 'Events' }));
  view.appendChild(pagedList({ id: 'events-table', path: '/api/v1/events', columns: EVENT_COLUMNS, empty: 'No events yet.' }));
  view.appendChild(h('h2', { text: 'Webhook deliveries' }));
  const configured = h('p', { class: 'muted', id: 'deliveries-configured' });
  view.appendChild(configured);
  view.appendChild(pagedList({
    id: 'deliveries-table', path: '/api/v1/webhooks/deliveries', empty: 'No webhook deliveries.',
    missing: 'This server keeps no webhook delivery log (GET /api/v1/webhooks/deliveries is not offered).',
    onItems: (list, r) => {
      const c = r && r.configured;
      configured.textContent = c && Array.isArray(c.webhooks)
        ? (c.webhooks.length ? `Webhooks: ${c.webhooks.map(str).join(', ')}; runtime alerts from ${str(c.min_priority)} up; at most ${str(c.max_attempts)} attempts.` : 'No webhook is configured (bulwark server --webhook URL).')
        : '';
    },
    columns: [
      { label: 'Time', cls: 'nowrap', cell: (d) => when(pick(d, 'time', 'created_at', 'delivered_at')) },
      { label: 'Webhook', cell: (d) => str(pick(d, 'webhook', 'url', 'target')) },
      { label: 'Event', cell: (d) => str(pick(d, 'event.type', 'event_type', 'kind')) },
      { label: 'State', cell: (d) => h('span', { class: 'state ' + str(d.state), text: str(d.state) }) },
      { label: 'Status', cls: 'num', cell: (d) => str(pick(d, 'status', 'http_status', 'response_status')) },
      { label: 'Attempts', cls: 'num', cell: (d) => str(pick(d, 'attempts', 'attempt')) },
      { label: 'History', cls: 'mono', cell: (d) => (Array.isArray(d.history) ? d.history.map((a) => str(a.status || 'error')).join(' → ') : '') },
      { label: 'Error', cell: (d) => str(pick(d, 'error', 'message')) },
    ],
  }));
}

// ---- tokens (admin) ----
export function tokens(view, params, ctx) {
  title(view, 'API tokens');
  if (ctx.role !== 'admin') {
    view.appendChild(h('p', { id: 'tokens-denied', class: 'error', text: 'Only administrators manage tokens. Your role: ' + ctx.role + '.' }));
    return;
  }
  const name = h('input', { type: 'text', id: 'token-name', placeholder: 'note (optional)', 'aria-label': 'Token note' });
  const role = h('select', { id: 'token-role', 'aria-label': 'Role' }, ['reader', 'ci', 'agent', 'admin'].map((r) => h('option', { value: r, text: r })));
  const hostIn = h('input', { type: 'text', id: 'token-host', placeholder: 'host (agent tokens)', 'aria-label': 'Host' });
  const out = h('div', { id: 'token-created' });
  const form = h('form', { class: 'filters', id: 'token-form' }, name, role, hostIn, h('button', { type: 'submit', id: 'token-create', text: 'Create token' }));
  const list = h('div');
  const reload = () => {
    list.textContent = '';
    list.appendChild(pagedList({
      id: 'tokens-table', path: '/api/v1/tokens', empty: 'No tokens.',
      columns: [
        { label: 'ID', cls: 'mono', cell: (t) => str(t.name || t.id) },
        { label: 'Role', cell: (t) => str(t.role) },
        { label: 'Host', cell: (t) => str(t.host) },
        { label: 'Created', cls: 'nowrap', cell: (t) => when(t.created_at) },
        { label: 'Expires', cls: 'nowrap', cell: (t) => (t.expires_at ? when(t.expires_at) : 'never') },
        { label: 'Last used', cls: 'nowrap', cell: (t) => when(t.last_used_at || t.last_used) },
        { label: '', cell: (t) => {
          if (t.revoked || t.revoked_at) return h('span', { class: 'muted', text: 'revoked' });
          const b = h('button', { type: 'button', class: 'danger', 'data-token-id': str(t.id), text: 'Revoke' });
          b.addEventListener('click', async () => {
            if (b.dataset.armed !== 'yes') { b.dataset.armed = 'yes'; b.textContent = 'Click again to revoke'; return; }
            try { await api.del(`/api/v1/tokens/${seg(t.id)}`); reload(); } catch (e) { b.replaceWith(errorBox(e)); }
          });
          return b;
        } },
      ],
    }));
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.textContent = '';
    try {
      const body = { name: name.value.trim(), role: role.value };
      if (hostIn.value.trim()) body.host = hostIn.value.trim();
      const r = await api.post('/api/v1/tokens', body);
      out.appendChild(h('div', { class: 'card' }, h('p', { text: 'The new token, shown once: copy it now.' }),
        h('code', { id: 'token-secret', class: 'secret', text: str(pick(r, 'token', 'secret')) })));
      name.value = '';
      reload();
    } catch (e) { out.appendChild(errorBox(e)); }
  });
  append(view, [form, out, list]);
  reload();
}

export { httpLink };

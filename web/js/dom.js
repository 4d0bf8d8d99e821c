// DOM helpers. Every string from the server reaches the page as a text node or
// through setAttribute on non-URL attributes; links are built only from paths this
// code constructs (with encodeURIComponent) or from http(s) URLs.
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info', 'unknown'];

export function h(tag, props, ...kids) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
  }
  append(e, kids);
  return e;
}

export function append(parent, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { for (const c of child) append(parent, c); return; }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

export const str = (v) => (v === null || v === undefined ? '' : String(v));
export const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);

// The first present value among several possible field names (the API is young).
export function pick(obj, ...keys) {
  if (!obj || typeof obj !== 'object') return undefined;
  for (const k of keys) {
    const v = k.split('.').reduce((o, p) => (o && typeof o === 'object' ? o[p] : undefined), obj);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

export function route(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(str(p)).replace(/%3A/gi, ':')).join('/');
}
export function link(text, href) { return h('a', { href, text }); }
export function httpLink(url) {
  url = str(url);
  if (/^https?:\/\/\S+$/i.test(url)) return h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: url });
  return h('span', { text: url });
}

export function sevBadge(s) {
  s = SEVERITIES.includes(s) ? s : 'unknown';
  return h('span', { class: 'sev ' + s, text: s });
}

export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return str(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function shortId(id) {
  id = str(id);
  const i = id.indexOf(':');
  return i >= 0 ? id.slice(i + 1, i + 13) : id.slice(0, 12);
}

// Counts by severity -> one stacked bar.
export function severityBar(counts, total) {
  const track = h('div', { class: 'track', role: 'img' });
  const parts = [];
  for (const s of SEVERITIES) {
    const n = num(counts && counts[s]);
    if (!n) continue;
    const seg = h('div', { class: 'seg ' + s, title: `${s}: ${n}` });
    seg.style.width = (total ? (100 * n) / total : 0) + '%';
    track.appendChild(seg);
    parts.push(`${s} ${n}`);
  }
  track.setAttribute('aria-label', parts.join(', ') || 'none');
  return track;
}

export function stat(id, n, label, cls = '') {
  return h('div', { class: 'stat ' + cls }, h('div', { class: 'n', id, text: String(n) }), h('div', { class: 'l', text: label }));
}

export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert', text: err && err.message ? err.message : str(err) });
}

// A table of rows: columns [{label, cell(row) -> node|string, cls}].
// A table. Columns with `sort` (a server sort key) get headers that call serverSort.go(key) and
// show serverSort.current ("key" ascending, "-key" descending) in aria-sort; the other headers
// sort the rows in hand.
export function table(id, columns, rows, empty = 'Nothing here yet.', serverSort = null) {
  const t = h('table', { id },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c.label, 'data-key': c.key || null, 'data-sort': (serverSort && c.sort) || null })))));
  const tb = h('tbody');
  for (const r of rows) tb.appendChild(h('tr', {}, columns.map((c) => h('td', { class: c.cls || null }, c.cell(r)))));
  if (!rows.length) tb.appendChild(h('tr', {}, h('td', { class: 'empty', colspan: String(columns.length), text: empty })));
  t.appendChild(tb);
  if (serverSort) {
    for (const th of t.tHead.rows[0].cells) {
      const key = th.getAttribute('data-sort');
      if (!key) continue;
      th.classList.add('sortable', 'server');
      th.tabIndex = 0;
      const cur = str(serverSort.current);
      if (cur === key) th.setAttribute('aria-sort', 'ascending');
      if (cur === '-' + key) th.setAttribute('aria-sort', 'descending');
      const go = () => serverSort.go(key);
      th.addEventListener('click', go);
      th.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } });
    }
  }
  if (rows.length > 1) sortable(t, tb);
  return h('div', { class: 'tablewrap' }, t);
}

// Clicking a column header sorts the rows in hand (one page of a server-paged list) by that
// column's text, numbers as numbers; clicking again reverses. aria-sort tells which.
function sortable(t, tb) {
  const ths = [...t.tHead.rows[0].cells];
  ths.forEach((th, i) => {
    if (!th.textContent || th.hasAttribute('data-sort')) return;
    th.classList.add('sortable');
    th.tabIndex = 0;
    const go = () => {
      const dir = th.getAttribute('aria-sort') === 'descending' ? 1 : -1;
      for (const o of ths) o.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
      const key = (tr) => tr.cells[i] ? tr.cells[i].textContent.trim() : '';
      const trs = [...tb.rows].sort((a, b) => {
        const x = key(a), y = key(b);
        const nx = Number(x.replace(/%$/, '')), ny = Number(y.replace(/%$/, ''));
        const c = x !== '' && y !== '' && !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y, 'en', { numeric: true });
        return dir * c;
      });
      for (const tr of trs) tb.appendChild(tr);
    };
    th.addEventListener('click', go);
    th.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } });
  });
}

// A small SVG line chart (a few series over time), drawn with createElementNS so no
// markup is parsed. Enough for the trend of open critical/high findings; a chart
// library would be most of the bundle.
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

// points: [{t: Date|string|number, values: {name: number}}]; series: [{name, cls}]
export function lineChart(points, series, { width = 640, height = 200, id } = {}) {
  const pad = { l: 40, r: 12, t: 10, b: 24 };
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  if (id) svg.setAttribute('id', id);
  const pts = points.map((p) => ({ t: new Date(p.t).getTime(), values: p.values })).filter((p) => !Number.isNaN(p.t));
  pts.sort((a, b) => a.t - b.t);
  const max = Math.max(1, ...pts.flatMap((p) => series.map((s) => Number(p.values[s.name]) || 0)));
  const t0 = pts.length ? pts[0].t : 0;
  const t1 = pts.length ? pts[pts.length - 1].t : 1;
  const x = (t) => pad.l + (t1 === t0 ? (width - pad.l - pad.r) / 2 : ((t - t0) / (t1 - t0)) * (width - pad.l - pad.r));
  const y = (v) => height - pad.b - (v / max) * (height - pad.t - pad.b);
  for (let i = 0; i <= 4; i++) {
    const v = Math.round((max * i) / 4);
    svg.appendChild(el('line', { x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v), class: 'grid' }));
    const label = el('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
    label.textContent = String(v);
    svg.appendChild(label);
  }
  if (pts.length) {
    for (const [i, t] of [[0, t0], [1, t1]]) {
      const label = el('text', { x: i ? width - pad.r : pad.l, y: height - 6, 'text-anchor': i ? 'end' : 'start', class: 'axis' });
      label.textContent = new Date(t).toISOString().slice(0, 10);
      svg.appendChild(label);
    }
  }
  const desc = [];
  for (const s of series) {
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(Number(p.values[s.name]) || 0).toFixed(1)}`).join(' ');
    if (d) svg.appendChild(el('path', { d, class: 'line ' + s.cls }));
    for (const p of pts) {
      const v = Number(p.values[s.name]) || 0;
      const c = el('circle', { cx: x(p.t), cy: y(v), r: 2.5, class: 'dot ' + s.cls, 'data-series': s.name, 'data-value': v, 'data-date': new Date(p.t).toISOString().slice(0, 10) });
      const title = el('title');
      title.textContent = `${s.name} ${Number(p.values[s.name]) || 0} at ${new Date(p.t).toISOString()}`;
      c.appendChild(title);
      svg.appendChild(c);
    }
    const last = pts.length ? Number(pts[pts.length - 1].values[s.name]) || 0 : 0;
    desc.push(`${s.name} ${last}`);
  }
  svg.setAttribute('aria-label', `trend: ${desc.join(', ')} (latest)`);
  if (!pts.length) {
    const t = el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'axis' });
    t.textContent = 'no data yet';
    svg.appendChild(t);
  }
  return svg;
}

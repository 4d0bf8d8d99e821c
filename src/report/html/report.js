// bulwark's HTML report: draws the embedded bulwark/v1 document (#bulwark-data).
// Every string from the document reaches the page through text nodes or
// setAttribute on attributes that are never URLs or handlers; links are made only
// for http(s) references. Nothing is parsed as markup, no eval, no network.
(function () {
  'use strict';
  var SEVERITIES = ['critical', 'high', 'medium', 'low', 'info', 'unknown'];
  var STATUSES = ['fail', 'warn', 'pass', 'manual', 'skipped', 'info'];
  var CIS_SECTIONS = {
    '1': '1 Host configuration', '2': '2 Docker daemon configuration', '3': '3 Docker daemon configuration files',
    '4': '4 Container images and build files', '5': '5 Container runtime', '6': '6 Docker security operations',
    '7': '7 Docker swarm configuration', kernel: 'Kernel settings for container hosts',
    processes: 'Containerised processes (/proc)', other: 'Other checks'
  };
  var SECTION_ORDER = ['1', '2', '3', '4', '5', '6', '7', 'kernel', 'processes', 'other'];
  var PAGE = 100;

  var doc;
  try {
    doc = JSON.parse(document.getElementById('bulwark-data').textContent);
  } catch (e) {
    document.getElementById('app').textContent = 'The embedded document is not valid JSON: ' + e.message;
    return;
  }
  var targets = Array.isArray(doc.targets) ? doc.targets : [];
  var findings = Array.isArray(doc.findings) ? doc.findings : [];

  // ---- helpers ----
  function h(tag, props) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }
  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(parent, c); }); return; }
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function str(v) { return v === null || v === undefined ? '' : String(v); }
  function sevOf(f) { return SEVERITIES.indexOf(f.severity) >= 0 ? f.severity : 'unknown'; }
  function isOpen(f) { return !f.suppression && (f.status === 'fail' || f.status === 'warn'); }
  function statusOf(f) { return f.suppression ? 'suppressed' : str(f.status); }
  function pkgName(f) { return f.package ? str(f.package.name) : ''; }
  function pkgVersion(f) { return f.package ? str(f.package.version) : ''; }
  function fixedIn(f) { return f.vulnerability ? str(f.vulnerability.fixed_version) : ''; }
  function where(f) {
    var l = f.location || {};
    var s = str(l.path);
    if (s && l.line) s += ':' + l.line;
    if (!s && f.package && f.package.path) s = str(f.package.path);
    // A host audit's findings name the container or image they are about.
    if (!s && f.target && targets.length && f.target.name !== targets[0].name) {
      s = str(f.target.kind) + ' ' + str(f.target.name);
    }
    return s;
  }
  function layerOf(f) {
    return (f.location && f.location.layer) || (f.package && f.package.layer) || '';
  }
  function shortDigest(d) {
    d = str(d);
    var i = d.indexOf(':');
    return i >= 0 ? d.slice(0, i + 1) + d.slice(i + 1, i + 13) : d.slice(0, 12);
  }
  function humanBytes(n) {
    if (typeof n !== 'number') return '';
    var units = ['B', 'KiB', 'MiB', 'GiB'];
    var u = 0;
    while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
    return (u === 0 ? n : n.toFixed(1)) + ' ' + units[u];
  }
  function httpLink(url) {
    url = str(url);
    if (/^https?:\/\/[^\s]+$/i.test(url)) {
      return h('a', { href: url, rel: 'noopener noreferrer nofollow', target: '_blank', text: url });
    }
    return h('span', { class: 'mono', text: url });
  }
  function sevBadge(s) { return h('span', { class: 'sev ' + s, text: s }); }
  function stackedBar(parts, total) {
    var track = h('div', { class: 'track', role: 'img' });
    var label = [];
    parts.forEach(function (p) {
      if (!p.n) return;
      var seg = h('div', { class: 'seg ' + p.cls, title: p.cls + ': ' + p.n });
      seg.style.width = (total ? (100 * p.n) / total : 0) + '%';
      track.appendChild(seg);
      label.push(p.cls + ' ' + p.n);
    });
    track.setAttribute('aria-label', label.join(', ') || 'none');
    return track;
  }
  function legend(classes) {
    return h('div', { class: 'legend' }, classes.map(function (c) { return h('span', { class: c, text: c }); }));
  }

  // ---- layer index: diff_id or digest -> {index, layer, target} ----
  var layerIndex = {};
  targets.forEach(function (t) {
    var layers = (t.image && Array.isArray(t.image.layers)) ? t.image.layers : [];
    layers.forEach(function (l, i) {
      var entry = { index: i + 1, layer: l };
      if (l.diff_id) layerIndex[l.diff_id] = entry;
      if (l.digest) layerIndex[l.digest] = entry;
    });
  });
  function layerCell(digest) {
    if (!digest) return '';
    var e = layerIndex[digest];
    var hex = str(digest).replace(/^sha256:/, '').slice(0, 12);
    var cell = h('span', { class: 'mono nowrap', title: str(digest) }, e ? '#' + e.index + ' ' : '', hex);
    if (e && e.layer.created_by) cell.setAttribute('title', str(digest) + '\n' + str(e.layer.created_by));
    return cell;
  }

  var app = document.getElementById('app');
  var first = targets[0] || {};
  document.title = 'bulwark report: ' + (targets.length === 1 ? str(first.name) : targets.length + ' targets');

  // ---- header and targets ----
  var tool = doc.tool || {};
  app.appendChild(h('header', { class: 'top' },
    h('h1', { text: 'bulwark report' }),
    h('span', { class: 'tool', text: str(tool.name || 'bulwark') + ' ' + str(tool.version) + ' \u00b7 ' + str(doc.schema) })));

  // ---- bulwark audit: what was checked, scores per practice, the actions first ----
  var audit = doc.audit && typeof doc.audit === 'object' ? doc.audit : null;
  if (audit) {
    app.appendChild(h('h2', { text: 'Audit' }));
    var agrid = h('div', { class: 'grid2', id: 'audit' });
    var stepsCard = h('div', { class: 'card' }, h('h3', { text: 'What was checked' }));
    var stepList = h('ul', { class: 'steps', id: 'audit-steps' });
    (Array.isArray(audit.steps) ? audit.steps : []).forEach(function (st) {
      var li = h('li', { 'data-state': str(st.state) }, h('b', { text: str(st.state) === 'done' ? 'ok ' : str(st.state) + ' ' }),
        h('span', { class: 'mono', text: str(st.name) }), ' \u2014 ', str(st.summary));
      if (st.fix) append(li, [h('br'), 'fix: ', h('code', { text: str(st.fix) })]);
      stepList.appendChild(li);
    });
    stepsCard.appendChild(stepList);
    agrid.appendChild(stepsCard);
    var scoreCard = h('div', { class: 'card' }, h('h3', { text: 'Score per practice' }));
    var scoreBars = h('div', { class: 'bars', id: 'audit-scores' });
    (Array.isArray(audit.practices) ? audit.practices : []).forEach(function (pr) {
      var scored = typeof pr.score === 'number';
      append(scoreBars, [h('div', { class: 'label', text: str(pr.practice) }),
        scored ? stackedBar([{ cls: pr.score >= 80 ? 'pass' : pr.score >= 50 ? 'medium' : 'high', n: pr.score }], 100)
               : h('div', { text: 'not assessed' }),
        h('div', { class: 'count', 'data-practice': str(pr.practice), text: scored ? String(pr.score) : '-' })]);
    });
    scoreCard.appendChild(scoreBars);
    agrid.appendChild(scoreCard);
    app.appendChild(agrid);
    var actions = Array.isArray(audit.actions) ? audit.actions : [];
    if (actions.length) {
      var actCard = h('div', { class: 'card' }, h('h3', { text: 'Do these first' }));
      var ol = h('ol', { id: 'audit-actions' });
      actions.slice(0, 10).forEach(function (a) {
        ol.appendChild(h('li', {}, sevBadge(SEVERITIES.indexOf(a.severity) >= 0 ? a.severity : 'unknown'), ' ', str(a.title),
          h('br'), h('code', { text: str(a.command) })));
      });
      actCard.appendChild(ol);
      if (actions.length > 10) actCard.appendChild(h('p', { class: 'muted', text: (actions.length - 10) + ' more in the findings below' }));
      app.appendChild(actCard);
    }
  }

  app.appendChild(h('h2', { text: targets.length === 1 ? 'Target' : 'Targets (' + targets.length + ')' }));
  var tlist = h('div', { class: 'targets', id: 'targets' });
  targets.forEach(function (t) {
    var dl = h('dl');
    function row(k, v) { if (v !== '' && v !== undefined && v !== null) append(dl, [h('dt', { text: k }), h('dd', {}, v)]); }
    row('ID', t.id ? h('span', { class: 'mono', text: str(t.id) }) : '');
    if (t.os) row('OS', str(t.os.pretty_name || [t.os.id, t.os.version_id].filter(Boolean).join(' ')));
    if (t.image) {
      var img = t.image;
      if (Array.isArray(img.repo_tags) && img.repo_tags.length) row('Tags', img.repo_tags.map(str).join(', '));
      if (Array.isArray(img.repo_digests) && img.repo_digests.length) row('Digests', h('span', { class: 'mono', text: img.repo_digests.map(str).join(', ') }));
      row('Platform', [img.os, img.architecture].filter(Boolean).map(str).join('/'));
      if (img.base_image && (img.base_image.name || img.base_image.digest)) {
        row('Base image', h('span', { class: 'mono', text: str(img.base_image.name || '(unnamed)') +
          (img.base_image.digest ? '@' + str(img.base_image.digest) : '') }));
      }
      if (Array.isArray(img.layers)) row('Layers', String(img.layers.length));
    }
    if (Array.isArray(t.packages) && (t.packages.length || ['image', 'rootfs', 'sbom'].indexOf(t.kind) >= 0)) {
      row('Packages', String(t.packages.length));
    }
    tlist.appendChild(h('div', { class: 'card target' },
      h('span', { class: 'kind', text: str(t.kind) }), h('span', { class: 'name', text: str(t.name) }), dl));
  });
  if (!targets.length) tlist.appendChild(h('div', { class: 'card empty', text: 'The document names no target.' }));
  app.appendChild(tlist);

  // ---- summary ----
  var open = findings.filter(isOpen);
  var bySev = {};
  SEVERITIES.forEach(function (s) { bySev[s] = 0; });
  open.forEach(function (f) { bySev[sevOf(f)]++; });
  var fixable = open.filter(function (f) { return fixedIn(f) !== ''; }).length;
  var suppressed = findings.filter(function (f) { return !!f.suppression; }).length;
  var passed = findings.filter(function (f) { return !f.suppression && f.status === 'pass'; }).length;

  app.appendChild(h('h2', { text: 'Summary' }));
  var cards = h('div', { class: 'cards', id: 'summary' });
  function stat(cls, id, n, label) {
    cards.appendChild(h('div', { class: 'stat ' + cls }, h('div', { class: 'n', id: id, text: String(n) }), h('div', { class: 'l', text: label })));
  }
  stat('total', 'count-open', open.length, 'open findings');
  SEVERITIES.forEach(function (s) { if (s !== 'unknown' || bySev[s]) stat(s, 'count-' + s, bySev[s], s); });
  if (findings.some(function (f) { return !!f.vulnerability; })) stat('pass', 'count-fixable', fixable, 'fixable vulnerabilities');
  if (suppressed) stat('info', 'count-suppressed', suppressed, 'suppressed by policy');
  if (passed) stat('pass', 'count-passed', passed, 'passed checks');
  app.appendChild(cards);

  var grid = h('div', { class: 'grid2' });
  var sevCard = h('div', { class: 'card' }, h('h3', { text: 'Open findings by severity' }));
  var sevBars = h('div', { class: 'bars', id: 'severity-bars' });
  var maxSev = Math.max.apply(null, SEVERITIES.map(function (s) { return bySev[s]; }).concat([1]));
  SEVERITIES.forEach(function (s) {
    if (s === 'unknown' && !bySev[s]) return;
    append(sevBars, [h('div', { class: 'label', text: s }), stackedBar([{ cls: s, n: bySev[s] }], maxSev),
      h('div', { class: 'count', 'data-severity': s, text: String(bySev[s]) })]);
  });
  sevCard.appendChild(sevBars);
  grid.appendChild(sevCard);

  var byPractice = {};
  open.forEach(function (f) {
    var p = str(f.practice) || 'unspecified';
    if (!byPractice[p]) { byPractice[p] = { total: 0 }; SEVERITIES.forEach(function (s) { byPractice[p][s] = 0; }); }
    byPractice[p].total++;
    byPractice[p][sevOf(f)]++;
  });
  var practices = Object.keys(byPractice).sort(function (a, b) { return byPractice[b].total - byPractice[a].total || (a < b ? -1 : 1); });
  var prCard = h('div', { class: 'card' }, h('h3', { text: 'Open findings by practice' }));
  var prBars = h('div', { class: 'bars', id: 'practice-bars' });
  var maxPr = practices.length ? byPractice[practices[0]].total : 1;
  practices.forEach(function (p) {
    append(prBars, [h('div', { class: 'label', text: p, title: p }),
      stackedBar(SEVERITIES.map(function (s) { return { cls: s, n: byPractice[p][s] }; }), maxPr),
      h('div', { class: 'count', 'data-practice': p, text: String(byPractice[p].total) })]);
  });
  if (!practices.length) prBars.appendChild(h('div', { class: 'muted', text: 'No open findings.' }));
  prCard.appendChild(prBars);
  prCard.appendChild(legend(SEVERITIES.slice(0, 5)));
  grid.appendChild(prCard);
  app.appendChild(grid);

  // ---- host audit: score and CIS sections ----
  function sectionOf(f) {
    var std = Array.isArray(f.standards) ? f.standards : [];
    for (var i = 0; i < std.length; i++) {
      if (std[i] && std[i].name === 'cis-docker' && std[i].id) {
        var n = str(std[i].id).split('.')[0];
        if (CIS_SECTIONS[n]) return n;
      }
    }
    var id = str(f.id);
    if (id.indexOf('BLWK-KERN') === 0) return 'kernel';
    if (id.indexOf('BLWK-PROC') === 0) return 'processes';
    return 'other';
  }
  var isAudit = !!doc.score || targets.some(function (t) {
    return t.kind === 'host' || t.kind === 'daemon' || t.kind === 'container';
  });
  if (isAudit) {
    app.appendChild(h('h2', { text: 'Host audit: CIS Docker Benchmark sections' }));
    var auditCard = h('div', { class: 'card', id: 'audit' });
    if (doc.score) {
      var sc = doc.score;
      auditCard.appendChild(h('div', { class: 'score' },
        h('div', { class: 'pct', id: 'score-percent', text: str(sc.percent) + '%' }),
        h('div', {}, h('div', { text: str(sc.benchmark) }),
          h('div', { class: 'muted', id: 'score-counts', text: 'passed ' + str(sc.passed) + ' \u00b7 failed ' + str(sc.failed) +
            ' \u00b7 warn ' + str(sc.warn) + ' \u00b7 manual ' + str(sc.manual) + ' \u00b7 skipped ' + str(sc.skipped) }))));
    }
    var sections = {};
    findings.forEach(function (f) {
      if (f.status === 'info') return;
      var s = sectionOf(f);
      if (!sections[s]) { sections[s] = { total: 0 }; STATUSES.forEach(function (k) { sections[s][k] = 0; }); }
      var st = STATUSES.indexOf(f.status) >= 0 ? f.status : 'skipped';
      sections[s][st]++;
      sections[s].total++;
    });
    var stable = h('table', { id: 'cis-sections' },
      h('thead', {}, h('tr', {}, ['Section', 'Pass', 'Fail', 'Warn', 'Manual', 'Skipped', ''].map(function (c) { return h('th', { text: c }); }))));
    var sbody = h('tbody');
    SECTION_ORDER.forEach(function (s) {
      var c = sections[s];
      if (!c) return;
      sbody.appendChild(h('tr', { 'data-section': s },
        h('td', { text: CIS_SECTIONS[s] }),
        ['pass', 'fail', 'warn', 'manual', 'skipped'].map(function (k) { return h('td', { class: 'num', 'data-status': k, text: String(c[k]) }); }),
        h('td', { class: 'barcell' }, stackedBar(['pass', 'fail', 'warn', 'manual', 'skipped'].map(function (k) { return { cls: k, n: c[k] }; }), c.total))));
    });
    stable.appendChild(sbody);
    auditCard.appendChild(h('div', { class: 'tablewrap' }, stable));
    auditCard.appendChild(legend(['pass', 'fail', 'warn', 'manual', 'skipped']));
    if (!doc.score && !findings.some(function (f) { return f.status === 'pass'; })) {
      auditCard.appendChild(h('p', { class: 'muted', text: 'Passed checks are not in this document (run with --include-passed to count them).' }));
    }
    app.appendChild(auditCard);
  }

  // ---- a sortable, filterable, paged table ----
  function dataTable(opts) {
    // opts: id, columns [{key, label, sort(f) -> value, cell(f) -> node|string, cls}], rows, filter(row) -> bool,
    // defaultSort, defaultDir, detail(row) -> node (optional)
    opts.columns = opts.columns.filter(function (c) { return !c.hide; });
    var state = { key: opts.defaultSort, dir: opts.defaultDir || 1, page: 0, open: {} };
    var table = h('table', { id: opts.id });
    var headRow = h('tr');
    var ths = {};
    opts.columns.forEach(function (c) {
      var th = h('th', { class: c.sort ? 'sortable' : null, 'data-key': c.key, text: c.label, scope: 'col' });
      if (c.sort) {
        th.tabIndex = 0;
        var go = function () {
          if (state.key === c.key) state.dir = -state.dir; else { state.key = c.key; state.dir = c.firstDir || 1; }
          state.page = 0;
          render();
        };
        th.addEventListener('click', go);
        th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } });
      }
      ths[c.key] = th;
      headRow.appendChild(th);
    });
    table.appendChild(h('thead', {}, headRow));
    var tbody = h('tbody');
    table.appendChild(tbody);
    var shown = h('span', { class: 'shown', id: opts.id + '-shown' });
    var prev = h('button', { type: 'button', id: opts.id + '-prev', text: '\u2190 Previous' });
    var next = h('button', { type: 'button', id: opts.id + '-next', text: 'Next \u2192' });
    var pageLabel = h('span', { id: opts.id + '-page' });
    prev.addEventListener('click', function () { state.page--; render(); });
    next.addEventListener('click', function () { state.page++; render(); });
    var pager = h('div', { class: 'pager' }, pageLabel, prev, next);
    var wrap = h('div', {}, h('div', { class: 'tablewrap' }, table), pager);

    function compare(a, b) {
      var col = opts.columns.filter(function (c) { return c.key === state.key; })[0];
      if (!col) return 0;
      var x = col.sort(a), y = col.sort(b);
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * state.dir;
      x = str(x); y = str(y);
      return x.localeCompare(y, undefined, { numeric: true, sensitivity: 'base' }) * state.dir;
    }
    function render() {
      var rows = opts.rows.filter(opts.filter);
      rows.sort(function (a, b) { return compare(a, b) || (a.__i - b.__i); });
      var pages = Math.max(1, Math.ceil(rows.length / PAGE));
      if (state.page >= pages) state.page = pages - 1;
      if (state.page < 0) state.page = 0;
      Object.keys(ths).forEach(function (k) {
        if (k === state.key) ths[k].setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
        else ths[k].removeAttribute('aria-sort');
      });
      var frag = document.createDocumentFragment();
      rows.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (r) {
        var tr = h('tr', { class: opts.detail ? 'row' : null });
        opts.columns.forEach(function (c) { tr.appendChild(h('td', { class: c.cls || null }, c.cell(r))); });
        frag.appendChild(tr);
        if (opts.detail) {
          var dtr = h('tr', { class: 'detail' }, h('td', { colspan: String(opts.columns.length) }, opts.detail(r)));
          dtr.hidden = !state.open[r.__i];
          tr.setAttribute('aria-expanded', state.open[r.__i] ? 'true' : 'false');
          tr.addEventListener('click', function (ev) {
            if (ev.target && ev.target.closest && ev.target.closest('a')) return;
            state.open[r.__i] = !state.open[r.__i];
            dtr.hidden = !state.open[r.__i];
            tr.setAttribute('aria-expanded', state.open[r.__i] ? 'true' : 'false');
          });
          frag.appendChild(dtr);
        }
      });
      tbody.textContent = '';
      tbody.appendChild(frag);
      if (!rows.length) tbody.appendChild(h('tr', {}, h('td', { class: 'empty', colspan: String(opts.columns.length), text: opts.empty })));
      shown.textContent = rows.length + ' of ' + opts.rows.length + ' ' + opts.noun + ' shown';
      shown.setAttribute('data-shown', String(rows.length));
      shown.setAttribute('data-total', String(opts.rows.length));
      pageLabel.textContent = 'page ' + (state.page + 1) + ' of ' + pages;
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      pager.hidden = pages <= 1;
    }
    return { node: wrap, shown: shown, render: render, reset: function () { state.page = 0; render(); } };
  }

  // ---- findings ----
  findings.forEach(function (f, i) { f.__i = i; });
  app.appendChild(h('h2', { text: 'Findings (' + findings.length + ')' }));
  var search = h('input', { type: 'search', id: 'filter-text', placeholder: 'Filter: id, title, package, path', 'aria-label': 'Filter findings' });
  var sevSel = h('select', { id: 'filter-severity', 'aria-label': 'Severity' }, h('option', { value: '', text: 'any severity' }),
    SEVERITIES.map(function (s) { return h('option', { value: s, text: s }); }));
  var practiceNames = [];
  findings.forEach(function (f) { var p = str(f.practice); if (p && practiceNames.indexOf(p) < 0) practiceNames.push(p); });
  practiceNames.sort();
  var prSel = h('select', { id: 'filter-practice', 'aria-label': 'Practice' }, h('option', { value: '', text: 'any practice' }),
    practiceNames.map(function (p) { return h('option', { value: p, text: p }); }));
  var stSel = h('select', { id: 'filter-status', 'aria-label': 'Status' },
    h('option', { value: 'open', text: 'open (fail, warn)' }), h('option', { value: '', text: 'any status' }),
    STATUSES.concat(['suppressed']).map(function (s) { return h('option', { value: s, text: s }); }));
  var fixBox = h('input', { type: 'checkbox', id: 'filter-fixable' });
  function findingText(f) {
    return [f.id, f.title, pkgName(f), pkgVersion(f), where(f), f.vulnerability && (f.vulnerability.aliases || []).join(' ')]
      .map(str).join('\n').toLowerCase();
  }
  var anyPackage = findings.some(function (f) { return !!f.package; });
  var ftable = dataTable({
    id: 'findings-table', noun: 'findings', rows: findings, defaultSort: 'severity', defaultDir: 1,
    empty: 'No finding matches the filters.',
    filter: function (f) {
      var q = search.value.trim().toLowerCase();
      if (q && findingText(f).indexOf(q) < 0) return false;
      if (sevSel.value && sevOf(f) !== sevSel.value) return false;
      if (prSel.value && str(f.practice) !== prSel.value) return false;
      var st = stSel.value;
      if (st === 'open' && !isOpen(f)) return false;
      if (st && st !== 'open' && statusOf(f) !== st) return false;
      if (fixBox.checked && fixedIn(f) === '') return false;
      return true;
    },
    columns: [
      { key: 'severity', label: 'Severity', sort: function (f) { return SEVERITIES.indexOf(sevOf(f)); }, cell: function (f) { return sevBadge(sevOf(f)); } },
      { key: 'id', label: 'ID', cls: 'mono nowrap', sort: function (f) { return str(f.id); }, cell: function (f) { return str(f.id); } },
      { key: 'title', label: 'Title', cls: 'wide', sort: function (f) { return str(f.title); }, cell: function (f) { return str(f.title); } },
      { key: 'package', label: 'Package', sort: pkgName, cell: pkgName, hide: !anyPackage },
      { key: 'installed', label: 'Installed', cls: 'mono', sort: pkgVersion, cell: pkgVersion, hide: !anyPackage },
      { key: 'fixed', label: 'Fixed in', cls: 'mono', hide: !anyPackage, sort: fixedIn, cell: function (f) {
        var v = fixedIn(f);
        if (v) return h('span', { class: 'fixed', text: v });
        return f.vulnerability ? h('span', { class: 'nofix', text: str(f.vulnerability.state) || 'no fix' }) : '';
      } },
      { key: 'practice', label: 'Practice', sort: function (f) { return str(f.practice); }, cell: function (f) { return str(f.practice); } },
      { key: 'where', label: 'Where', sort: function (f) { return where(f) || layerOf(f); }, cell: function (f) {
        var w = where(f), l = layerOf(f);
        // Paths below the scanned folder are shown relative to it (the full path is the tooltip).
        var base = targets.length === 1 ? str(targets[0].name).replace(/\/+$/, '') + '/' : '';
        var shortW = base.length > 1 && w.indexOf(base) === 0 ? w.slice(base.length) : w;
        return [w ? h('div', { class: 'mono', title: w, text: shortW }) : null, l ? h('div', {}, layerCell(l)) : null];
      } },
      { key: 'status', label: 'Status', sort: statusOf, cell: function (f) { var s = statusOf(f); return h('span', { class: 'st ' + s, text: s }); } }
    ],
    detail: function (f) {
      var dl = h('dl');
      function row(k, v) { if (v !== '' && v !== null && v !== undefined && !(Array.isArray(v) && !v.length)) append(dl, [h('dt', { text: k }), h('dd', {}, v)]); }
      var v = f.vulnerability || {};
      row('Aliases', (v.aliases || []).map(str).join(', '));
      row('CVSS', (v.cvss || []).map(function (c) { return 'v' + str(c.version) + ' ' + str(c.score) + ' ' + str(c.vector); }).join('\n'));
      row('Severity from', str(v.severity_source));
      if (f.package) row('Package', [f.package.name, f.package.version, f.package.ecosystem, f.package.purl].filter(Boolean).map(str).join(' \u00b7 '));
      row('Target', f.target ? str(f.target.kind) + ' ' + str(f.target.name) : '');
      row('Standards', (f.standards || []).map(function (s) {
        return [s.name, s.version, s.id, s.level, s.control].filter(Boolean).map(str).join(' ');
      }).join('\n'));
      row('Evidence', str(f.evidence));
      row('Remediation', str(f.remediation));
      if (f.suppression) row('Suppressed', [f.suppression.kind, f.suppression.reason, f.suppression.justification, f.suppression.source].filter(Boolean).map(str).join(' \u00b7 '));
      if (Array.isArray(f.references) && f.references.length) {
        row('References', f.references.slice(0, 20).map(function (r) { return h('div', {}, httpLink(r)); }));
      }
      return dl;
    }
  });
  [search, sevSel, prSel, stSel, fixBox].forEach(function (el) {
    el.addEventListener(el === search ? 'input' : 'change', ftable.reset);
  });
  app.appendChild(h('div', { class: 'controls' }, search, sevSel, prSel, stSel,
    h('label', {}, fixBox, 'fixable only'), ftable.shown));
  app.appendChild(ftable.node);
  ftable.render();

  // ---- packages and layers, per target ----
  targets.forEach(function (t, ti) {
    var pkgs = Array.isArray(t.packages) ? t.packages : [];
    var layers = (t.image && Array.isArray(t.image.layers)) ? t.image.layers : [];
    if (!pkgs.length && !layers.length) return;
    var suffix = targets.length > 1 ? ': ' + str(t.name) : '';
    var vulnCount = {};
    var layerFindings = {};
    findings.forEach(function (f) {
      if (!isOpen(f)) return;
      if (f.package) {
        var k = str(f.package.name) + '\u0000' + str(f.package.version);
        vulnCount[k] = (vulnCount[k] || 0) + 1;
      }
      var l = layerOf(f);
      if (l) layerFindings[l] = (layerFindings[l] || 0) + 1;
    });
    if (layers.length) {
      var layerPkgs = {};
      pkgs.forEach(function (p) { if (p.layer) layerPkgs[p.layer] = (layerPkgs[p.layer] || 0) + 1; });
      app.appendChild(h('h2', { text: 'Layers (' + layers.length + ')' + suffix }));
      var lt = h('table', { id: 'layers-table-' + ti },
        h('thead', {}, h('tr', {}, ['#', 'Digest', 'Size', 'Packages', 'Open findings', 'Created by'].map(function (c) { return h('th', { text: c }); }))));
      var lb = h('tbody');
      layers.forEach(function (l, i) {
        var np = (layerPkgs[l.diff_id] || 0) + (l.digest !== l.diff_id ? (layerPkgs[l.digest] || 0) : 0);
        var nf = (layerFindings[l.diff_id] || 0) + (l.digest !== l.diff_id ? (layerFindings[l.digest] || 0) : 0);
        lb.appendChild(h('tr', {},
          h('td', { class: 'num', text: String(i + 1) }),
          h('td', { class: 'mono', title: str(l.digest || l.diff_id), text: shortDigest(l.digest || l.diff_id) }),
          h('td', { class: 'num', text: humanBytes(l.size) }),
          h('td', { class: 'num', text: String(np) }),
          h('td', { class: 'num', text: String(nf) }),
          h('td', { class: 'mono', text: str(l.created_by) })));
      });
      lt.appendChild(lb);
      app.appendChild(h('div', { class: 'tablewrap' }, lt));
    }
    if (!pkgs.length) return;
    pkgs.forEach(function (p, i) { p.__i = i; });
    app.appendChild(h('h2', { text: 'Packages (' + pkgs.length + ')' + suffix }));
    var psearch = h('input', { type: 'search', id: 'filter-packages-' + ti, placeholder: 'Filter: name, version, source, path', 'aria-label': 'Filter packages' });
    var vulnOnly = h('input', { type: 'checkbox', id: 'filter-vulnerable-' + ti });
    function vulns(p) { return vulnCount[str(p.name) + '\u0000' + str(p.version)] || 0; }
    var ptable = dataTable({
      id: 'packages-table-' + ti, noun: 'packages', rows: pkgs, defaultSort: 'name', defaultDir: 1,
      empty: 'No package matches the filter.',
      filter: function (p) {
        var q = psearch.value.trim().toLowerCase();
        if (q && [p.name, p.version, p.source, p.ecosystem, p.path, p.purl].map(str).join('\n').toLowerCase().indexOf(q) < 0) return false;
        if (vulnOnly.checked && !vulns(p)) return false;
        return true;
      },
      columns: [
        { key: 'name', label: 'Name', sort: function (p) { return str(p.name); }, cell: function (p) { return str(p.name); } },
        { key: 'version', label: 'Version', cls: 'mono', sort: function (p) { return str(p.version); }, cell: function (p) { return str(p.version); } },
        { key: 'ecosystem', label: 'Type', sort: function (p) { return str(p.ecosystem); }, cell: function (p) { return str(p.ecosystem); } },
        { key: 'source', label: 'Source', sort: function (p) { return str(p.source); }, cell: function (p) {
          return str(p.source) + (p.source_version && p.source_version !== p.version ? ' ' + str(p.source_version) : '');
        } },
        { key: 'layer', label: 'Layer', sort: function (p) { var e = layerIndex[p.layer]; return e ? e.index : 1e9; }, cell: function (p) { return layerCell(p.layer); } },
        { key: 'path', label: 'Path', cls: 'mono clip', sort: function (p) { return str(p.path); }, cell: function (p) { return h('span', { title: str(p.path), text: str(p.path) }); } },
        { key: 'license', label: 'Licence', cls: 'clip', sort: function (p) { return str(p.license); }, cell: function (p) { return h('span', { title: str(p.license), text: str(p.license) }); } },
        { key: 'vulns', label: 'Open findings', cls: 'num', firstDir: -1, sort: vulns, cell: function (p) { var n = vulns(p); return n ? String(n) : ''; } }
      ]
    });
    psearch.addEventListener('input', ptable.reset);
    vulnOnly.addEventListener('change', ptable.reset);
    app.appendChild(h('div', { class: 'controls' }, psearch, h('label', {}, vulnOnly, 'with open findings'), ptable.shown));
    app.appendChild(ptable.node);
    ptable.render();
  });

  app.appendChild(h('footer', { text: 'Written by ' + str(tool.name || 'bulwark') + ' ' + str(tool.version) +
    '. This file is self-contained: it loads nothing from the network.' }));
  document.documentElement.setAttribute('data-ready', 'true');
})();

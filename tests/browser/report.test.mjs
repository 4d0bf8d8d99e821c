// Browser test of bulwark's self-contained HTML report.
//   node report.test.mjs CASES.json
// CASES.json: [{"name": "app-image", "html": "/path/app.html", "json": "/path/app.json" (optional:
//   the same scan's --format json output), "hostile": ["payload", ...] (optional)}]
// Each page is opened from file:// with every non-file request blocked. The expected numbers
// come from the JSON document embedded in the file (parsed here, independently of the page) and,
// where given, the command's own --format json output; nothing is hard-coded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, watchedPage, check, eq, summary, screenshotDir } from './lib.mjs';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info', 'unknown'];
const PAGE = 100;
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const shots = screenshotDir();

const isOpen = (f) => !f.suppression && (f.status === 'fail' || f.status === 'warn');
const sevOf = (f) => (SEVERITIES.includes(f.severity) ? f.severity : 'unknown');
const withoutPackages = (t) => { const c = { ...t }; delete c.packages; return c; };
const cmp = (a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });

function embedded(htmlText, name) {
  // Exactly two script elements: the inert data block and the report's code. A payload that
  // closed the data block early would add text or elements here.
  const opens = htmlText.match(/<script\b/gi) || [];
  eq(`${name}: <script> tags in the file`, 2, opens.length);
  const closes = htmlText.match(/<\/script/gi) || [];
  eq(`${name}: </script> in the file`, 2, closes.length);
  eq(`${name}: <!-- in the file`, 0, (htmlText.match(/<!--/g) || []).length);
  check(`${name}: no raw U+2028/9 in the file`, !/[\u2028\u2029]/.test(htmlText));
  const csp = htmlText.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/);
  check(`${name}: CSP meta tag`, !!csp);
  if (csp) {
    check(`${name}: CSP has default-src 'none'`, csp[1].includes("default-src 'none'"), csp[1]);
    check(`${name}: CSP script-src is a hash`, /script-src 'sha256-[A-Za-z0-9+/]+=*';/.test(csp[1]), csp[1]);
    check(`${name}: CSP has no unsafe-`, !csp[1].includes('unsafe-'), csp[1]);
  }
  const m = htmlText.match(/<script type="application\/json" id="bulwark-data">([\s\S]*?)<\/script>/);
  if (!check(`${name}: data block present`, !!m)) return null;
  return JSON.parse(m[1]);
}

async function text(page, sel) {
  return page.$eval(sel, (e) => e.textContent).catch(() => null);
}
async function shown(page, id) {
  return page.$eval(`#${id}-shown`, (e) => Number(e.getAttribute('data-shown'))).catch(() => null);
}
async function columnTexts(page, tableId, col) {
  return page.$$eval(`#${tableId} tbody tr.row td:nth-child(${col})`, (tds) => tds.map((t) => t.textContent));
}

const browser = await launch();
try {
  for (const c of cases) {
    const htmlText = readFileSync(c.html, 'utf8');
    const doc = embedded(htmlText, c.name);
    if (!doc) continue;
    eq(`${c.name}: schema`, 'bulwark/v1', doc.schema);
    if (c.json) {
      // The page carries the same scan as --format json (plus packages and passed checks).
      const plain = JSON.parse(readFileSync(c.json, 'utf8'));
      const hasPassed = plain.findings.some((f) => f.status === 'pass');
      const pageFindings = hasPassed ? doc.findings : doc.findings.filter((f) => f.status !== 'pass');
      eq(`${c.name}: findings equal the --format json output`, plain.findings, pageFindings);
      eq(`${c.name}: targets equal the --format json output`, plain.targets.map(withoutPackages),
        doc.targets.map(withoutPackages));
      if (plain.audit) eq(`${c.name}: the audit summary equals the --format json output`, plain.audit, doc.audit);
    }
    const findings = doc.findings;
    const open = findings.filter(isOpen);

    const { page, events } = await watchedPage(browser.context);
    await page.goto('file://' + c.html);
    const ready = await page.waitForSelector('html[data-ready=true]', { timeout: 15000 }).then(() => true, () => false);
    if (!check(`${c.name}: page rendered`, ready, JSON.stringify(events))) { await page.close(); continue; }
    await page.screenshot({ path: join(shots, `report-${c.name}.png`) });
    await page.screenshot({ path: join(shots, `report-${c.name}-full.png`), fullPage: true });

    // ---- summary numbers ----
    eq(`${c.name}: open findings`, String(open.length), await text(page, '#count-open'));
    for (const s of SEVERITIES) {
      const n = open.filter((f) => sevOf(f) === s).length;
      if (s === 'unknown' && !n) continue;
      eq(`${c.name}: ${s} count`, String(n), await text(page, `#count-${s}`));
      eq(`${c.name}: ${s} bar`, String(n), await text(page, `#severity-bars [data-severity="${s}"]`));
    }
    if (findings.some((f) => f.vulnerability)) {
      eq(`${c.name}: fixable`, String(open.filter((f) => f.vulnerability && f.vulnerability.fixed_version).length),
        await text(page, '#count-fixable'));
    }
    const practices = {};
    for (const f of open) practices[f.practice || 'unspecified'] = (practices[f.practice || 'unspecified'] || 0) + 1;
    const domPractices = await page.$$eval('#practice-bars [data-practice]',
      (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-practice'), Number(e.textContent)])));
    eq(`${c.name}: findings by practice`, Object.fromEntries(Object.entries(practices).sort()),
      Object.fromEntries(Object.entries(domPractices).sort()));

    // ---- bulwark audit: the scores and actions of the document ----
    if (doc.audit) {
      const scores = await page.$$eval('#audit-scores [data-practice]',
        (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-practice'), e.textContent])));
      eq(`${c.name}: audit scores`, Object.fromEntries(doc.audit.practices.map(
        (p) => [p.practice, typeof p.score === 'number' ? String(p.score) : '-'])), scores);
      eq(`${c.name}: audit steps`, doc.audit.steps.map((st) => st.name).join(','),
        (await page.$$eval('#audit-steps li .mono', (els) => els.map((e) => e.textContent))).join(','));
      eq(`${c.name}: the first actions with their commands`, doc.audit.actions.slice(0, 10).map((a) => a.command),
        await page.$$eval('#audit-actions li code', (els) => els.map((e) => e.textContent)));
    }

    // ---- host audit ----
    if (doc.score) {
      eq(`${c.name}: score`, `${doc.score.percent}%`, await text(page, '#score-percent'));
      const sections = {};
      for (const f of findings) {
        if (f.status === 'info') continue;
        const cis = (f.standards || []).find((s) => s.name === 'cis-docker' && s.id);
        let sec = cis ? cis.id.split('.')[0] : 'other';
        if (!cis && f.id.startsWith('BLWK-KERN')) sec = 'kernel';
        if (!cis && f.id.startsWith('BLWK-PROC')) sec = 'processes';
        sections[sec] = sections[sec] || { pass: 0, fail: 0, warn: 0, manual: 0, skipped: 0 };
        if (f.status in sections[sec]) sections[sec][f.status]++;
      }
      const domSections = await page.$$eval('#cis-sections tbody tr', (rows) => Object.fromEntries(rows.map((r) => [
        r.getAttribute('data-section'),
        Object.fromEntries([...r.querySelectorAll('td[data-status]')].map((td) => [td.getAttribute('data-status'), Number(td.textContent)])),
      ])));
      eq(`${c.name}: CIS sections pass/fail`, Object.fromEntries(Object.entries(sections).sort()),
        Object.fromEntries(Object.entries(domSections).sort()));
      const s5 = await page.$('#cis-sections tbody tr[data-section="5"]');
      if (s5) await s5.scrollIntoViewIfNeeded();
      await page.$eval('#audit', (e) => e.scrollIntoView());
      await page.screenshot({ path: join(shots, `report-${c.name}-audit.png`) });
    }

    // ---- findings table: default filter, sort, filters ----
    eq(`${c.name}: findings shown by default (open)`, open.length, await shown(page, 'findings-table'));
    const firstPage = Math.min(open.length, PAGE);
    eq(`${c.name}: rows on the first page`, firstPage, (await columnTexts(page, 'findings-table', 2)).length);
    if (open.length > 1) {
      await page.click('#findings-table th[data-key="id"]');
      const ids = open.map((f) => f.id).sort(cmp);
      eq(`${c.name}: sorted by id ascending`, ids.slice(0, PAGE), await columnTexts(page, 'findings-table', 2));
      eq(`${c.name}: aria-sort`, 'ascending', await page.getAttribute('#findings-table th[data-key="id"]', 'aria-sort'));
      await page.click('#findings-table th[data-key="id"]');
      eq(`${c.name}: sorted by id descending`, ids.slice().reverse().slice(0, PAGE), await columnTexts(page, 'findings-table', 2));
      await page.click('#findings-table th[data-key="severity"]');
      const sevs = (await columnTexts(page, 'findings-table', 1)).map((s) => SEVERITIES.indexOf(s));
      check(`${c.name}: sorted by severity`, sevs.every((v, i) => i === 0 || sevs[i - 1] <= v), JSON.stringify(sevs));
    }
    const commonSev = SEVERITIES.map((s) => [s, open.filter((f) => sevOf(f) === s).length]).sort((a, b) => b[1] - a[1])[0];
    if (commonSev && commonSev[1]) {
      await page.selectOption('#filter-severity', commonSev[0]);
      eq(`${c.name}: severity filter ${commonSev[0]}`, commonSev[1], await shown(page, 'findings-table'));
      const badges = await columnTexts(page, 'findings-table', 1);
      check(`${c.name}: only ${commonSev[0]} rows`, badges.every((b) => b === commonSev[0]), JSON.stringify(badges));
      await page.screenshot({ path: join(shots, `report-${c.name}-filtered.png`) });
      await page.selectOption('#filter-severity', '');
    }
    await page.selectOption('#filter-status', '');
    eq(`${c.name}: any status shows every finding`, findings.length, await shown(page, 'findings-table'));
    await page.selectOption('#filter-status', 'open');
    await page.check('#filter-fixable');
    eq(`${c.name}: fixable filter`, open.filter((f) => f.vulnerability && f.vulnerability.fixed_version).length,
      await shown(page, 'findings-table'));
    await page.uncheck('#filter-fixable');
    if (open.length) {
      const target = open.find((f) => f.package) || open[0];
      const needle = target.package ? target.package.name : target.id;
      await page.fill('#filter-text', needle);
      const n = await shown(page, 'findings-table');
      check(`${c.name}: text filter "${needle}" keeps the finding`, n >= 1 && n <= open.length, String(n));
      const want = open.filter((f) => [f.id, f.title, f.package && f.package.name, f.package && f.package.version,
        f.location && f.location.path].some((v) => v && String(v).toLowerCase().includes(needle.toLowerCase()))).length;
      check(`${c.name}: text filter count`, n >= want, `${n} < ${want}`);
      await page.fill('#filter-text', '');
    }

    // ---- packages with layer attribution ----
    for (const [ti, t] of doc.targets.entries()) {
      if (!Array.isArray(t.packages) || !t.packages.length) continue;
      const id = `packages-table-${ti}`;
      eq(`${c.name}: packages listed`, t.packages.length,
        await page.$eval(`#${id}-shown`, (e) => Number(e.getAttribute('data-total'))));
      const layers = (t.image && t.image.layers) || [];
      const names = await page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => r.children[0].textContent));
      const layerCol = await page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => r.children[4].textContent));
      const expectedNames = t.packages.map((p) => p.name).sort(cmp).slice(0, PAGE);
      eq(`${c.name}: package names (sorted, first page)`, expectedNames, names);
      let attributed = 0, right = 0;
      names.forEach((n, i) => {
        const p = t.packages.find((q) => q.name === n);
        if (!p || !p.layer) return;
        attributed++;
        const idx = layers.findIndex((l) => l.diff_id === p.layer || l.digest === p.layer);
        const hex = p.layer.replace('sha256:', '').slice(0, 12);
        // An SBOM names layers the document does not describe: then the digest alone, unnumbered.
        const want = idx >= 0 ? `#${idx + 1} ${hex}` : hex;
        if (layerCol[i] === want) right++;
      });
      eq(`${c.name}: layer attribution shown`, attributed, right);
      if (layers.length > 1) {
        // Sort by layer: the layer numbers must not decrease.
        await page.click(`#${id} th[data-key="layer"]`);
        const nums = (await page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => r.children[4].textContent)))
          .map((s) => Number((s.match(/^#(\d+)/) || [0, 1e9])[1]));
        check(`${c.name}: packages sorted by layer`, nums.every((v, i) => i === 0 || nums[i - 1] <= v));
      }
      const probe = t.packages[Math.floor(t.packages.length / 2)];
      await page.fill(`#filter-packages-${ti}`, probe.name);
      const kept = await page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => r.children[0].textContent));
      check(`${c.name}: package filter finds ${probe.name}`, kept.includes(probe.name), JSON.stringify(kept.slice(0, 5)));
      await page.$eval(`#filter-packages-${ti}`, (e) => e.scrollIntoView());
      await page.screenshot({ path: join(shots, `report-${c.name}-packages.png`) });
      await page.fill(`#filter-packages-${ti}`, '');
    }

    // ---- hostile content: open every detail row, then prove nothing ran ----
    if (c.hostile) {
      await page.selectOption('#filter-status', '');
      const rows = await page.$$('#findings-table tbody tr.row');
      for (const r of rows.slice(0, 50)) await r.click();
      await page.screenshot({ path: join(shots, `report-${c.name}-details.png`), fullPage: true });
      const bodyText = await page.evaluate(() => document.body.innerText);
      for (const p of c.hostile) check(`${c.name}: payload shown as text: ${p}`, bodyText.includes(p));
      eq(`${c.name}: no element from a payload`, 0,
        await page.evaluate(() => document.querySelectorAll('img, svg, iframe, object, embed, b, form').length));
      eq(`${c.name}: script elements`, 2, await page.evaluate(() => document.querySelectorAll('script').length));
      eq(`${c.name}: window.__pwned`, 'undefined', await page.evaluate(() => typeof window.__pwned));
      // The CSP is live: an inline script added now is refused.
      const injected = await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = 1';
        document.body.appendChild(s);
        return typeof window.__injected;
      });
      eq(`${c.name}: CSP refuses an injected inline script`, 'undefined', injected);
      const links = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')));
      check(`${c.name}: only http(s) links`, links.every((h) => /^https?:/i.test(h)), JSON.stringify(links));
    }
    eq(`${c.name}: no dialog`, [], events.dialogs);
    check(`${c.name}: no console marker`, !events.console.some((m) => m.includes('BULWARK-XSS')), JSON.stringify(events.console));
    eq(`${c.name}: no page errors`, [], events.errors);
    const cspViolations = events.csp.filter((m) => !m.includes('__injected'));
    check(`${c.name}: CSP: only the injected script refused`, cspViolations.length <= (c.hostile ? 1 : 0), JSON.stringify(events.csp));
    await page.close();
  }
  eq('no request left the page', [], browser.blocked);
} finally {
  await browser.close();
}
process.exit(summary('html report browser test'));

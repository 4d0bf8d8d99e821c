// The dashboard's entry point: a hash router (#/page/arg?filters), the navigation
// bar and the session. Pages live in pages.js.
import * as api from './api.js';
import * as pages from './pages.js';
import { netpol } from './netpol.js';

const view = document.getElementById('view');
const bar = document.getElementById('bar');
let leaveHooks = [];

const ROUTES = {
  overview: pages.overview, images: pages.images, image: pages.image, cve: pages.cve, hosts: pages.hosts,
  host: pages.host, netpol, alerts: pages.alerts, events: pages.events, tokens: pages.tokens,
};

function parse() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  return { page: parts[0] || 'overview', arg: parts.slice(1).join('/'), params: Object.fromEntries(new URLSearchParams(query || '')) };
}

function showBar(s) {
  bar.hidden = !s;
  if (!s) return;
  document.getElementById('who').textContent = `role: ${s.role}`;
  document.getElementById('nav-tokens').hidden = s.role !== 'admin';
}

function render() {
  for (const f of leaveHooks) { try { f(); } catch { /* a page's cleanup must not stop navigation */ } }
  leaveHooks = [];
  const s = api.session();
  const { page, arg, params } = parse();
  showBar(s);
  const ctx = {
    role: s ? s.role : '',
    onLeave: (f) => leaveHooks.push(f),
    signedIn: () => { const t = api.session(); showBar(t); if (location.hash === '#/overview') render(); else location.hash = '#/overview'; },
  };
  if (!s || page === 'signin') { showBar(null); pages.signin(view, params, ctx); return; }
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page || (a.dataset.page === 'images' && page === 'image') || (a.dataset.page === 'hosts' && page === 'host'));
  const fn = ROUTES[page] || pages.overview;
  view.textContent = '';
  Promise.resolve(fn(view, params, ctx, arg)).catch((e) => { view.textContent = String(e && e.message ? e.message : e); });
}

api.whenSignedOut(() => { if (parse().page !== 'signin') render(); });
document.getElementById('signout').addEventListener('click', async () => {
  try { await api.signOut(); } catch { /* signed out locally either way */ }
  location.hash = '#/signin';
  render();
});
window.addEventListener('hashchange', render);
render();

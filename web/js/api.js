// The server's JSON API (docs/api/openapi.yaml) with the dashboard session: the
// HttpOnly cookie is sent by the browser; the CSRF token returned at sign-in goes
// into X-CSRF-Token on every write. The role decides only what the page offers;
// the server enforces it.
const KEY = 'bulwark.session';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch { return null; }
}
function keep(s) {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s)); else sessionStorage.removeItem(KEY);
}

let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const s = session();
  if (method !== 'GET' && s && s.csrf) headers['X-CSRF-Token'] = s.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const text = await res.text();
  if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  if (!res.ok) {
    const e = (data && data.error) || {};
    if (res.status === 401 && path !== '/api/v1/session') { keep(null); onSignedOut(); }
    throw new ApiError(res.status, e.code || '', e.message || `${method} ${path}: HTTP ${res.status}`);
  }
  return data;
}

export const get = (path, params) => call('GET', withQuery(path, params));
export const post = (path, body) => call('POST', path, body);
export const del = (path) => call('DELETE', path);

export function withQuery(path, params) {
  if (!params) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function signIn(token) {
  const r = await call('POST', '/api/v1/session', { token });
  const s = { csrf: r && r.csrf, role: (r && r.role) || 'reader' };
  keep(s);
  return s;
}

export async function signOut() {
  try { await call('DELETE', '/api/v1/session'); } finally { keep(null); }
}

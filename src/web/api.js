// api.js: the one place that talks to /platform/v1.  JSON in and out, the
// session cookie (same origin), X-CSRF-Token on every write, and one shape for
// every failure: ApiError {code, message, field, status}.
const BASE = '/platform/v1';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SESSION_LOST = new Set(['session_required', 'session_expired']);

let csrfToken = '';
const sessionLostListeners = new Set();

export class ApiError extends Error {
  constructor(code, message, field, status) {
    super(message || code);
    this.code = code;
    this.field = field || null;
    this.status = status || 0;
  }
}

/** Remembers the CSRF token of login, GET /me or a step-up's answer (never stored anywhere else). */
export function setCsrf(token) { csrfToken = token || ''; }

/** fn() runs when a call finds the session gone (the app shows "Sign in again"). */
export function onSessionLost(fn) { sessionLostListeners.add(fn); return () => sessionLostListeners.delete(fn); }

async function parse(res) {
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  if (!type.includes('application/json')) return undefined;
  try { return await res.json(); } catch { return undefined; }
}

/**
 * request('GET', '/me') -> the decoded JSON (null for 204); throws ApiError.
 * opts.quiet: a lost session is the caller's business (no banner).
 */
export async function request(method, path, body, opts = {}) {
  const headers = { 'Accept': 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (WRITES.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch {
    throw new ApiError('network', 'The server could not be reached. Check your connection and try again.', null, 0);
  }
  // a step-up gives the session a new token (its cookie set by the answer) and with it a new CSRF token
  const rotated = res.headers.get('x-csrf-token');
  if (rotated) setCsrf(rotated);
  const doc = await parse(res);
  if (res.ok) return doc === undefined ? null : doc;
  const e = doc && doc.error ? doc.error : {};
  const err = new ApiError(e.code || (res.status >= 500 ? 'internal' : 'unavailable'), e.message || '', e.field, res.status);
  const retry = res.headers.get('retry-after');
  if (retry) err.retryAfter = Number(retry);
  if (SESSION_LOST.has(err.code) && !opts.quiet) for (const fn of sessionLostListeners) fn(err);
  return Promise.reject(err);
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts);
export const patch = (path, body, opts) => request('PATCH', path, body, opts);
export const put = (path, body, opts) => request('PUT', path, body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

/** A query string from an object, skipping empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}

function signedIn(r) {
  const s = r.session || {};
  setCsrf(s.csrf_token);
  return { ...r.account, session: { ...(r.account && r.account.session), expires_at: s.expires_at, idle_expires_at: s.idle_expires_at } };
}

/**
 * POST /login: keeps the CSRF token, returns the account with its session's
 * times as GET /me has them (the token itself stays in the cookie only).  An
 * account with a second factor answers {secondStep: {token, methods}} instead: the
 * page asks for the factor and calls loginMfa.
 */
export async function login(email, password) {
  const r = await post('/login', { email, password }, { quiet: true });
  if (r && r.mfa_required) return { secondStep: { token: r.mfa_token, methods: r.methods || [] } };
  return signedIn(r);
}

/** POST /login/mfa {mfa_token, totp_code | recovery_code | webauthn}: the account, as login(). */
export async function loginMfa(token, factor) {
  return signedIn(await post('/login/mfa', { mfa_token: token, ...factor }, { quiet: true }));
}

/** GET /me (quiet: no account is a normal answer at start); keeps the CSRF token. */
export async function me() {
  const m = await get('/me', { quiet: true });
  setCsrf(m.csrf_token);
  return m;
}

export async function logout() {
  try { await post('/logout', {}, { quiet: true }); } finally { setCsrf(''); }
}

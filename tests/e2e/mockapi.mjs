// mockapi.mjs: a stand-in for /platform/v1 inside the browser (page.route), in
// the shapes of the contract, so the signed-in pages can be walked and
// photographed before the platform is merged.  Every call is recorded.
const NOW = '2026-12-01T22:09:05Z';
const ev = (id, type, extra = {}) => ({ id, time: NOW, type, account_id: 2, actor_id: 2, ip: '203.0.113.7', detail: '', ...extra });

export function fixtures() {
  return {
    config: { signup_mode: 'open', product: 'maxgate', public_base_url: 'http://127.0.0.1', password_policy: 'default', password_min: 12, password_max: 128 },
    me: { id: 1, email: 'admin@example.com', plan: 'enterprise', role: 'admin', status: 'active', mfa: { enabled: false, methods: [] },
      credit_micros: 25000000, currency: 'USD', created_at: '2026-11-02T08:00:00Z', csrf_token: 'csrf-test-token',
      session: { id: 12, expires_at: '2026-12-31T22:09:05Z', idle_expires_at: '2026-12-02T22:09:05Z' } },
    sessions: [
      { id: 12, current: true, created_at: NOW, last_seen_at: NOW, expires_at: NOW, ip: '127.0.0.1', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36' },
      { id: 9, current: false, created_at: '2026-11-28T10:00:00Z', last_seen_at: '2026-11-30T18:30:00Z', expires_at: NOW, ip: '198.51.100.4', user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1' },
      { id: 7, current: false, created_at: '2026-11-20T10:00:00Z', last_seen_at: '2026-11-21T09:00:00Z', expires_at: NOW, ip: '198.51.100.9', user_agent: 'maxgate/1.0 (linux)' },
    ],
    audit: [ev(5, 'login.success'), ev(4, 'login.failure'), ev(3, 'password.changed'), ev(2, 'signup.verified'), ev(1, 'signup')],
    notifications: [{ id: 1, time: NOW, kind: 'security', text: 'A new sign-in from 198.51.100.4.', read: false },
      { id: 2, time: '2026-11-28T10:00:00Z', kind: 'security', text: 'Your password was changed.', read: true }],
    accounts: [
      { id: 2, email: 'ada@example.com', plan: 'professional', role: 'user', status: 'active', locked: true, created_at: '2026-11-10T08:00:00Z', last_login_at: NOW },
      { id: 3, email: 'lin.wei@example.cn', plan: 'free', role: 'user', status: 'suspended', locked: false, created_at: '2026-11-12T08:00:00Z', last_login_at: null },
    ],
    access: [{ id: 4, email: 'newcomer@example.org', note: 'Chat bot for our support desk', status: 'pending', created_at: NOW, decided_at: null }],
    recovery: [{ id: 6, email: 'ada@example.com', account_id: 2, description: 'Lost my phone and my password. I last signed in from Berlin on Monday; my keys are called prod-bot and staging.', status: 'pending', created_at: NOW, decided_at: null,
      recent_activity: [ev(5, 'login.success'), ev(4, 'login.failure')] }],
  };
}

const json = (status, body) => ({ status, contentType: 'application/json', body: body === undefined ? '' : JSON.stringify(body) });
const error = (status, code, message, field) => json(status, { error: { code, message, ...(field ? { field } : {}) }, request_id: '0'.repeat(32) });

/**
 * Installs the mock on a page.  overrides: {'METHOD /path': (req, body) => response | undefined}
 * are asked first.  Returns {calls, data}: calls lists 'METHOD /path' with the body and CSRF header.
 */
export async function mockPlatform(page, overrides = {}) {
  const data = fixtures();
  const calls = [];
  await page.route('**/platform/v1/**', async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const p = url.pathname.replace('/platform/v1', '');
    const m = req.method();
    const body = req.postData() ? JSON.parse(req.postData()) : undefined;
    calls.push({ call: `${m} ${p}`, body, csrf: req.headers()['x-csrf-token'] || null, query: url.search });
    const o = overrides[`${m} ${p}`];
    const r = o && o(req, body, data);
    if (r) return route.fulfill(r);
    const account = p.match(/^\/admin\/accounts\/(\d+)$/);
    const answer =
      m === 'GET' && p === '/config' ? json(200, data.config) :
      m === 'GET' && p === '/me' ? json(200, data.me) :
      m === 'POST' && p === '/login' ? json(200, { session: { token: 'mgs_x', expires_at: NOW, csrf_token: 'csrf-test-token' }, account: data.me }) :
      m === 'POST' && p === '/logout' ? json(204) :
      m === 'GET' && p === '/me/sessions' ? json(200, { sessions: data.sessions }) :
      m === 'DELETE' && p === '/me/sessions' ? (data.sessions = data.sessions.filter((s) => s.current), json(204)) :
      m === 'DELETE' && p.startsWith('/me/sessions/') ? (data.sessions = data.sessions.filter((s) => String(s.id) !== p.split('/').pop()), json(204)) :
      m === 'GET' && p === '/me/audit' ? json(200, { events: data.audit, next_cursor: null }) :
      m === 'GET' && p === '/notifications' ? json(200, { notifications: data.notifications, unread: data.notifications.filter((n) => !n.read).length }) :
      m === 'POST' && /^\/notifications\/\d+\/read$/.test(p) ? (data.notifications.find((n) => String(n.id) === p.split('/')[2]).read = true, json(204)) :
      m === 'GET' && p === '/admin/accounts' ? json(200, { accounts: data.accounts.filter((a) => a.email.includes(url.searchParams.get('q') || '')), next_cursor: null }) :
      m === 'GET' && account ? (() => {
        const a = data.accounts.find((x) => String(x.id) === account[1]);
        return a ? json(200, { ...a, locked_until: a.locked ? '2026-12-01T22:24:05Z' : null, failed_logins: a.locked ? 5 : 0, sessions: 2, recent_activity: data.audit })
          : error(404, 'resource_not_found', 'No such account.');
      })() :
      m === 'POST' && /^\/admin\/accounts\/\d+\/(suspend|unsuspend|unlock|end-sessions)$/.test(p) ? (() => {
        const [, , , id, what] = p.split('/');
        const a = data.accounts.find((x) => String(x.id) === id);
        if (what === 'suspend') a.status = 'suspended';
        if (what === 'unsuspend') a.status = 'active';
        if (what === 'unlock') a.locked = false;
        return json(204);
      })() :
      m === 'PATCH' && account ? (Object.assign(data.accounts.find((x) => String(x.id) === account[1]), body), json(200, data.accounts[0])) :
      m === 'GET' && p === '/admin/access-requests' ? json(200, { requests: data.access.filter((r) => r.status === (url.searchParams.get('status') || 'pending')) }) :
      m === 'GET' && p === '/admin/recovery-requests' ? json(200, { requests: data.recovery.filter((r) => r.status === (url.searchParams.get('status') || 'pending')) }) :
      m === 'POST' && /^\/admin\/(access|recovery)-requests\/\d+\/(approve|deny)$/.test(p) ? (() => {
        const [, , kind, id, verb] = p.split('/');
        const list = kind === 'access-requests' ? data.access : data.recovery;
        Object.assign(list.find((x) => String(x.id) === id), { status: verb === 'approve' ? 'approved' : 'denied', decided_at: NOW });
        return json(204);
      })() :
      m === 'GET' && p === '/admin/audit' ? json(200, { events: data.audit.map((e) => ({ ...e, detail: e.type === 'login.failure' ? 'wrong password' : '' })), next_cursor: null }) :
      m !== 'GET' && ['/signup', '/password/forgot'].includes(p) ? json(202, { status: 'check_your_email' }) :
      m !== 'GET' && ['/access-requests', '/recovery-requests'].includes(p) ? json(202, { status: 'received' }) :
      error(404, 'not_found', 'No such platform path.');
    return route.fulfill(answer);
  });
  return { calls, data };
}

// The console's signed-in pages against the real platform API, in chromium at
// desktop and phone widths: layout, errors next to their cause, confirmations
// naming their object, the session banner, admin actions, dark mode, Chinese.
// Two servers: one in open sign-up mode (with MG_TEST_CLOCK=1), one in request
// mode.  Every account a test needs is made by `maxgated admin user create`;
// what a page shows (notifications, other sessions, audit events) is made by
// real calls with a Bearer session from here.
//
// The one stand-in: no route of the platform needs step-up today (POST
// /me/password checks current_password itself), so the real server cannot
// answer reauth_required; the step-up test turns one answer of POST
// /me/password into reauth_required and lets everything else, POST /me/reauth
// included, reach the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Server, launch, openPage, waitFor, DESKTOP, PHONE } from './lib.mjs';

let open, request, browser;
let n = 0;
const uniq = (name) => `${name}${++n}@example.com`;
const PW = 'Pv7#kQz2!mXw9';
const IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1';

async function platformServer(mode, env = {}) {
  const s = new Server({
    server: { public_base_url: 'http://127.0.0.1' },
    accounts: { signup_mode: mode },
    mail: { outbox_dir: 'outbox' },
  }, [], env);
  return s.start();
}

before(async () => {
  [open, request] = await Promise.all([platformServer('open', { MG_TEST_CLOCK: '1' }), platformServer('request')]);
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  for (const s of [open, request]) if (s) await s.stop();
});

/** A call with a Bearer session (no CSRF needed); returns the decoded answer or null. */
async function call(s, token, method, p, body, headers = {}) {
  const r = await fetch(s.url + '/platform/v1' + p, { method,
    headers: { ...(token ? { Authorization: 'Bearer ' + token } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const apiLogin = async (s, email, password, ua) => (await call(s, null, 'POST', '/login', { email, password }, ua ? { 'User-Agent': ua } : {})).session.token;

/** An active account; admin: true makes an admin. */
function user(s, { admin = false, password = PW } = {}) {
  const email = uniq(admin ? 'admin' : 'user');
  s.createUser(email, password, { admin });
  return { email, password };
}

/** One unread notification for u ("Your password was changed"), the password staying what it was. */
async function notify(s, u) {
  const tok = await apiLogin(s, u.email, u.password);
  const tmp = 'Tz4!hWq8#rNv6';
  await call(s, tok, 'POST', '/me/password', { current_password: u.password, new_password: tmp });
  const tok2 = await apiLogin(s, u.email, tmp);
  await call(s, tok2, 'POST', '/me/password', { current_password: tmp, new_password: u.password });
  const list = await call(s, tok2, 'GET', '/notifications');
  await call(s, tok2, 'POST', `/notifications/${list.notifications[0].id}/read`);
  await call(s, tok2, 'POST', '/logout');
}

/** Signs in through the login page, in any language. */
async function signIn(p, s, u) {
  await p.page.goto(s.url + '/console/login');
  await p.page.locator('input[name="email"]').fill(u.email);
  await p.page.locator('input[name="password"]').fill(u.password);
  await p.page.locator('form button[type="submit"]').click();
  await p.page.waitForURL(s.url + '/console/');
  await p.page.locator('main h1').waitFor();
}

/** A page signed in as u at s, then at path. */
async function openAs(s, u, where, viewport = DESKTOP, opts = {}) {
  const p = await openPage(browser, viewport, opts);
  await signIn(p, s, u);
  if (where !== '/console/') {
    await p.page.goto(s.url + where);
    await p.page.locator('h1').waitFor();
  }
  return p;
}

/** Records the page's platform calls: {call, body, csrf, url}. */
function record(page) {
  const calls = [];
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!u.pathname.startsWith('/platform/v1/')) return;
    calls.push({ call: `${req.method()} ${u.pathname.slice('/platform/v1'.length)}`, body: req.postData() ? JSON.parse(req.postData()) : undefined,
      csrf: req.headers()['x-csrf-token'] || null, url: req.url() });
  });
  return calls;
}

function mailedLink(s, to, page) {
  const dir = path.join(s.dir, 'outbox');
  return waitFor(() => {
    let files = [];
    try { files = readdirSync(dir).sort().reverse(); } catch { return null; }
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      const m = text.includes(to) && new RegExp(`https?://[^/\\s]+(/console/${page}#token=[A-Za-z0-9_-]{43})`).exec(text);
      if (m) return m[1];
    }
    return null;
  }, 15000, `a ${page} mail to ${to}`);
}

for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`the dashboard and its layout at ${label} width`, async () => {
    const u = user(open, { admin: true });
    const boss = user(open, { admin: true });
    const bt = await apiLogin(open, boss.email, boss.password);
    const me = (await call(open, bt, 'GET', '/admin/accounts?q=' + encodeURIComponent(u.email))).accounts[0];
    await call(open, bt, 'PATCH', `/admin/accounts/${me.id}`, { plan: 'enterprise' });
    await notify(open, u);
    const p = await openAs(open, u, '/console/', viewport);
    try {
      const { page } = p;
      await page.locator('.bell[aria-label="Notifications, 1 unread"] .badge').waitFor();
      const nav = page.getByRole('navigation', { name: 'Console' });
      let who = page.locator('header.topbar');
      if (label === 'phone') {
        assert.equal(await nav.isVisible(), false, 'the sidebar is folded');
        assert.equal(await who.getByText(u.email).isVisible(), false, 'the top bar keeps to one row');
        await p.shot('dashboard-phone-closed');
        await page.getByRole('button', { name: 'Menu' }).click();
        assert.equal(await page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded'), 'true');
        who = nav;
      }
      assert.ok(await who.getByText(u.email).isVisible());
      assert.ok(await who.getByText('Enterprise').isVisible());
      assert.ok(await who.getByRole('button', { name: 'Sign out' }).isVisible());
      const links = await nav.getByRole('link').allTextContents();
      assert.deepEqual(links, ['Dashboard', 'API keys', 'Playground', 'Usage & billing', 'Invoices', 'Wallet', 'Prices', 'Security', 'Notifications', 'Accounts', 'Requests', 'Invoices', 'Prices', 'Revenue', 'Redeem codes', 'Audit log', 'Channels'],
        'the sidebar (usage & billing, invoices, wallet, redeem codes, channels, prices and revenue since issue 12)');
      // this month at a glance (BL-5): the month to date, the projection and the cap, and the way on
      const month = page.locator('[data-month]');
      await month.locator('[data-figure="mtd"]').waitFor();
      assert.match(await month.locator('[data-figure="mtd"]').innerText(), /^\$\d/);
      assert.match(await month.locator('[data-figure="projected"]').innerText(), /^\$\d/);
      assert.equal(await month.locator('[data-figure="cap"]').innerText(), 'No cap');
      assert.equal(await month.getByRole('link', { name: 'Where it went, the cap and alerts' }).getAttribute('href'), '/console/billing');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
      await p.shot(`dashboard-${label}`);
      if (label === 'phone') {
        await nav.getByRole('link', { name: 'Security' }).click();
        await page.locator('h1', { hasText: 'Security' }).waitFor();
        assert.equal(await nav.isVisible(), false, 'the menu closes on navigation');
        assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Security', 'focus on the new heading');
      }
      assert.deepEqual(p.problems(), []);
    } finally { await p.close(); }
  });
}

test('sign in lands on the dashboard; a failed sign-in is explained beside the button', async () => {
  const u = user(open);
  const p = await openPage(browser, DESKTOP);
  p.expect(/\/platform\/v1\/login$/, 401);
  p.expect(/\/platform\/v1\/me$/, 401); // the start asks whether a session exists
  try {
    const { page } = p;
    await page.goto(open.url + '/console/login');
    await page.getByRole('link', { name: 'Create an account' }).waitFor(); // open mode offers sign-up
    await page.getByLabel('Email').fill(u.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.action-error', { hasText: 'The email address or password is not right' }).waitFor();
    await p.shot('login-failed');
    await page.getByLabel('Password').fill(u.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a password rule error shows under the field; step-up asks for the password and retries', async () => {
  const u = user(open);
  const p = await openAs(open, u, '/console/security');
  const calls = record(p.page);
  let stepUp = true; // the stand-in: see the top of this file
  await p.page.route('**/platform/v1/me/password', (route) => {
    const body = JSON.parse(route.request().postData());
    if (!stepUp || body.new_password !== 'Xq#vNpzKwRt7m') return route.continue();
    stepUp = false;
    return route.fulfill({ status: 403, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'reauth_required', message: 'Confirm it is you first.' }, request_id: '0'.repeat(32) }) });
  });
  p.expect(/\/platform\/v1\/me\/password$/, 400);
  p.expect(/\/platform\/v1\/me\/password$/, 403);
  try {
    const { page } = p;
    await page.getByLabel('Current password').fill(u.password);
    await page.getByLabel('New password', { exact: true }).fill('Xq#vNpzKwRtm!');
    await page.getByLabel('New password, again').fill('Xq#vNpzKwRtm!');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('[data-field="new_password"] .field-error', { hasText: 'Add a digit.' }).waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');
    await p.shot('security-field-error');
    await page.getByLabel('New password', { exact: true }).fill('Xq#vNpzKwRt7m');
    await page.getByLabel('New password, again').fill('Xq#vNpzKwRt7m');
    await page.getByRole('button', { name: 'Change password' }).click();
    const dlg = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dlg.waitFor();
    await dlg.getByLabel('Password').fill(u.password);
    await dlg.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Password changed. Every other session was signed out.').waitFor();
    const writes = calls.filter((c) => c.call.startsWith('POST'));
    assert.ok(writes.length >= 4 && writes.every((c) => c.csrf), 'every write carries the CSRF token');
    assert.deepEqual(calls.filter((c) => c.call === 'POST /me/reauth').map((c) => c.body), [{ password: u.password }]);
    await apiLogin(open, u.email, 'Xq#vNpzKwRt7m'); // the real server took the new password
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('sessions: sign out one and everywhere else, each confirmed by name', async () => {
  const u = user(open);
  await apiLogin(open, u.email, u.password, IOS);
  await apiLogin(open, u.email, u.password, 'maxgate/1.0 (linux)');
  const p = await openAs(open, u, '/console/security');
  const calls = record(p.page);
  try {
    const { page } = p;
    await page.getByRole('row', { name: /iOS/ }).waitFor();
    await p.shot('security-desktop');
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    const dlg = page.getByRole('dialog', { name: 'Sign out every other session?' });
    await dlg.waitFor();
    assert.match(await dlg.textContent(), /All 2 other sessions/);
    await p.shot('security-confirm', { full: false });
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(calls.filter((c) => c.call === 'DELETE /me/sessions').length, 0, 'cancel does nothing');
    await page.getByRole('row', { name: /iOS/ }).getByRole('button', { name: 'Sign out' }).click();
    const one = page.getByRole('dialog', { name: 'Sign out Safari on iOS?' });
    await one.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('.action-ok', { hasText: 'The session was signed out.' }).waitFor(); // told as a success, not an error
    // the list is fetched again after the answer: wait for the row to go (a deadline, not an instant check)
    await page.getByRole('row', { name: /iOS/ }).waitFor({ state: 'detached', timeout: 15000 });
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByText('No other sessions: you are signed in only here.').waitFor();
    assert.equal(calls.filter((c) => c.call === 'DELETE /me/sessions').length, 1);
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a session ended elsewhere shows one banner with the way out', async () => {
  const u = user(open);
  const p = await openAs(open, u, '/console/notifications');
  p.expect(/\/platform\/v1\//, 401);
  try {
    const { page } = p;
    const other = await apiLogin(open, u.email, u.password);
    await call(open, other, 'DELETE', '/me/sessions'); // signs the browser out
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Security' }).click();
    await page.locator('.banner', { hasText: /Your session has expired\.|You are signed out\./ }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 1, 'one message, the banner');
    await p.shot('session-ended');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.locator('h1', { hasText: 'Sign in' }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a session idle for 24 hours (test clock) shows the expired banner', async () => {
  const u = user(open);
  const p = await openAs(open, u, '/console/notifications');
  p.expect(/\/platform\/v1\//, 401);
  try {
    const { page } = p;
    // the clock moves only once the page has signed in: a GET /me still in flight would meet the
    // moved clock quietly (no banner: a normal "not signed in" at start) and go to the sign-in page
    await page.locator('h1', { hasText: 'Notifications' }).waitFor();
    await page.waitForLoadState('networkidle');
    await call(open, null, 'POST', '/test/clock', { advance_ms: 24 * 3600 * 1000 + 60000 });
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Security' }).click();
    await page.locator('.banner', { hasText: 'Your session has expired.' }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 1, 'one message, the banner');
    await p.shot('session-expired');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.locator('h1', { hasText: 'Sign in' }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`admin: find an account and suspend it (${label})`, async () => {
    const a = user(open, { admin: true });
    const target = user(open);
    await apiLogin(open, target.email, target.password);
    const p = await openAs(open, a, '/console/admin/accounts', viewport);
    try {
      const { page } = p;
      await page.getByLabel('Search accounts').fill(target.email.split('@')[0]);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: target.email }).click();
      await page.locator('h1', { hasText: target.email }).waitFor();
      await page.getByRole('button', { name: 'Suspend' }).click();
      const dlg = page.getByRole('dialog', { name: `Suspend ${target.email}?` });
      await dlg.waitFor();
      await p.shot(`admin-suspend-confirm-${label}`, { full: false });
      await dlg.getByRole('button', { name: 'Suspend' }).click();
      await page.getByRole('button', { name: 'Reactivate' }).waitFor();
      await assert.rejects(apiLogin(open, target.email, target.password), /403/, 'the suspended account cannot sign in');
      await p.shot(`admin-account-${label}`);
      assert.deepEqual(p.problems(), []);
    } finally { await p.close(); }
  });
}

test('admin: approve an access request, review a recovery request with its activity', async () => {
  const a = user(request, { admin: true });
  const lost = user(request);
  await apiLogin(request, lost.email, lost.password);
  await call(request, null, 'POST', '/access-requests', { email: 'newcomer@example.org', note: 'Chat bot for our support desk' });
  await call(request, null, 'POST', '/recovery-requests', { email: lost.email, description: 'Lost my phone and my password; my keys are called prod-bot and staging.' });
  const p = await openAs(request, a, '/console/admin/requests');
  try {
    const { page } = p;
    await page.getByText('Chat bot for our support desk').waitFor();
    await page.getByText('Lost my phone').waitFor();
    await p.shot('admin-requests');
    await page.getByRole('row', { name: /newcomer@example.org/ }).getByRole('button', { name: 'Approve' }).click();
    const dlg = page.getByRole('dialog', { name: 'Approve access for newcomer@example.org?' });
    await dlg.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('No access requests are waiting').waitFor();
    await mailedLink(request, 'newcomer@example.org', 'set-password');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('admin audit log and notifications render; Chinese too', async () => {
  const a = user(open, { admin: true });
  await assert.rejects(apiLogin(open, a.email, 'wrong password'), /401/); // a login.failure to show
  await notify(open, a);
  const p = await openAs(open, a, '/console/admin/audit', PHONE, { locale: 'zh-CN' });
  try {
    const { page } = p;
    await page.locator('h1', { hasText: '审计日志' }).waitFor();
    await page.getByRole('cell', { name: '登录失败' }).first().waitFor();
    await p.shot('admin-audit-phone-zh-CN');
    await page.goto(open.url + '/console/notifications');
    await page.locator('h1', { hasText: '通知' }).waitFor();
    await page.getByRole('button', { name: '标为已读' }).click();
    await page.locator('.bell[aria-label="通知"]').waitFor();
    await p.shot('notifications-phone-zh-CN');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('dark mode: the security page and the sign-in page', async () => {
  const u = user(open);
  const p = await openAs(open, u, '/console/security', DESKTOP, { colorScheme: 'dark' });
  p.expect(/\/platform\/v1\/me$/, 401); // after signing out
  try {
    const { page } = p;
    await page.getByText('This session', { exact: true }).waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(17, 20, 24)', 'the dark palette is used');
    await p.shot('security-dark');
    await page.locator('header.topbar').getByRole('button', { name: 'Sign out' }).click();
    await page.locator('h1', { hasText: 'Sign in' }).waitFor();
    await page.setViewportSize(PHONE);
    await p.shot('login-phone-dark');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('sign-up: the failed rule shows under the password; success says to check the mail', async () => {
  const p = await openPage(browser, PHONE);
  const calls = record(p.page);
  p.expect(/\/platform\/v1\/signup$/, 400);
  p.expect(/\/platform\/v1\/me$/, 401);
  try {
    const { page } = p;
    await page.goto(open.url + '/console/signup');
    await page.getByLabel('Email').fill('new@example.com');
    await page.getByLabel('Password').fill('xq#vnpz7kwrtm');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('[data-field="password"] .field-error', { hasText: 'Add an uppercase letter.' }).waitFor();
    await p.shot('signup-field-error');
    await page.getByLabel('Password').fill('Mx4#qLz9!vWt');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Check your email. If new@example.com').waitFor();
    assert.deepEqual(calls.filter((c) => c.call === 'POST /signup').at(-1).body, { email: 'new@example.com', password: 'Mx4#qLz9!vWt' });
    await mailedLink(open, 'new@example.com', 'verify');
    await p.shot('signup-done');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('request mode sends sign-up to request access', async () => {
  const p = await openPage(browser, DESKTOP);
  p.expect(/\/platform\/v1\/me$/, 401);
  try {
    await p.page.goto(request.url + '/console/signup');
    await p.page.locator('h1', { hasText: 'Request access' }).waitFor();
    assert.equal(new URL(p.page.url()).pathname, '/console/request-access');
    await p.page.getByLabel('Email').fill('lead@example.org');
    await p.page.getByRole('button', { name: 'Request access' }).click();
    await p.page.getByText('Thank you. When your access is approved').waitFor();
    await p.shot('request-access-done');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('verify: the token goes in the body, never in a URL, and leaves the address bar; a used link is refused', async () => {
  await call(open, null, 'POST', '/signup', { email: 'verify-me@example.com', password: 'Vw3!pKz8#nQx' });
  const link = await mailedLink(open, 'verify-me@example.com', 'verify');
  const token = link.split('#token=')[1];
  const p = await openPage(browser, DESKTOP);
  const calls = record(p.page);
  p.expect(/\/platform\/v1\/signup\/verify$/, 400);
  p.expect(/\/platform\/v1\/me$/, 401);
  try {
    const { page } = p;
    await page.goto(open.url + link);
    await page.getByText('Your email address is verified').waitFor();
    assert.equal(new URL(page.url()).hash, '');
    assert.deepEqual(calls.find((x) => x.call === 'POST /signup/verify').body, { token });
    assert.ok(calls.every((x) => !x.url.includes(token)));
    await page.goto(open.url + link);
    await page.getByText('This link is not valid any more').waitFor();
    await p.shot('verify-invalid');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

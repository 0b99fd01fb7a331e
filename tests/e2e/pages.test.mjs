// The console's pages against a stand-in for the platform API (mockapi.mjs),
// in chromium at desktop and phone widths: layout, errors next to their
// cause, confirmations naming their object, the session banner.  The real API
// is walked by flows.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, openPage, DESKTOP, PHONE } from './lib.mjs';
import { mockPlatform } from './mockapi.mjs';

let server, browser;
before(async () => {
  server = await new Server().start();
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function open(path, viewport = DESKTOP, overrides = {}, opts = {}) {
  const p = await openPage(browser, viewport, opts);
  const mock = await mockPlatform(p.page, overrides);
  for (const [re, status] of opts.expect || []) p.expect(re, status);
  await p.page.goto(server.url + path);
  await p.page.locator('h1').waitFor();
  return { ...p, ...mock };
}

const err = (status, code, message, field) => () => ({ status, contentType: 'application/json',
  body: JSON.stringify({ error: { code, message, ...(field ? { field } : {}) }, request_id: '0'.repeat(32) }) });

for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`the dashboard and its layout at ${label} width`, async () => {
    const p = await open('/console/', viewport);
    try {
      const { page } = p;
      await page.locator('h1', { hasText: 'Dashboard' }).waitFor();
      await page.locator('.bell[aria-label="Notifications, 1 unread"] .badge').waitFor();
      const nav = page.getByRole('navigation', { name: 'Console' });
      let who = page.locator('header.topbar');
      if (label === 'phone') {
        assert.equal(await nav.isVisible(), false, 'the sidebar is folded');
        assert.equal(await who.getByText('admin@example.com').isVisible(), false, 'the top bar keeps to one row');
        await p.shot('dashboard-phone-closed');
        await page.getByRole('button', { name: 'Menu' }).click();
        assert.equal(await page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded'), 'true');
        who = nav;
      }
      assert.ok(await who.getByText('admin@example.com').isVisible());
      assert.ok(await who.getByText('Enterprise').isVisible());
      assert.ok(await who.getByRole('button', { name: 'Sign out' }).isVisible());
      const links = await nav.getByRole('link').allTextContents();
      assert.deepEqual(links, ['Dashboard', 'Security', 'Notifications', 'Accounts', 'Requests', 'Audit log'], 'keys and billing stay hidden');
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
  let fail = true;
  const p = await open('/console/login', DESKTOP, { 'POST /login': (req, body) => (fail ? err(401, 'login_failed', 'Wrong email or password.')() : undefined) });
  p.expect(/\/platform\/v1\/login$/, 401);
  try {
    const { page } = p;
    assert.ok(await page.getByRole('link', { name: 'Create an account' }).isVisible(), 'open mode offers sign-up');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.action-error', { hasText: 'The email address or password is not right' }).waitFor();
    await p.shot('login-failed');
    fail = false;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a password rule error shows under the field; step-up asks for the password and retries', async () => {
  let n = 0;
  const p = await open('/console/security', DESKTOP, {
    'POST /me/password': () => (++n === 1 ? err(400, 'password_policy', 'The new password needs at least one digit.', 'new_password')()
      : n === 2 ? err(403, 'reauth_required', 'Confirm your password first.')() : { status: 204, body: '' }),
    'POST /me/reauth': () => ({ status: 204, body: '' }),
  });
  p.expect(/\/platform\/v1\/me\/password$/, 400);
  p.expect(/\/platform\/v1\/me\/password$/, 403);
  try {
    const { page } = p;
    await page.getByLabel('Current password').fill('old password 1!A');
    await page.getByLabel('New password', { exact: true }).fill('Abcdefghijkl!');
    await page.getByLabel('New password, again').fill('Abcdefghijkl!');
    await page.getByRole('button', { name: 'Change password' }).click();
    const fieldErr = page.locator('[data-field="new_password"] .field-error');
    await fieldErr.filter({ hasText: 'at least one digit' }).waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');
    await p.shot('security-field-error');
    await page.getByLabel('New password', { exact: true }).fill('Abcdefghijk1!');
    await page.getByLabel('New password, again').fill('Abcdefghijk1!');
    await page.getByRole('button', { name: 'Change password' }).click();
    const dlg = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dlg.waitFor();
    await dlg.getByLabel('Password').fill('old password 1!A');
    await dlg.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Password changed. Every other session was signed out.').waitFor();
    const writes = p.calls.filter((c) => c.call.startsWith('POST'));
    assert.ok(writes.every((c) => c.csrf === 'csrf-test-token'), 'every write carries the CSRF token');
    assert.deepEqual(p.calls.filter((c) => c.call === 'POST /me/reauth').map((c) => c.body), [{ password: 'old password 1!A' }]);
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('sessions: sign out one and everywhere else, each confirmed by name', async () => {
  const p = await open('/console/security', DESKTOP);
  try {
    const { page } = p;
    await page.getByRole('cell', { name: '198.51.100.4' }).waitFor();
    await p.shot('security-desktop');
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    const dlg = page.getByRole('dialog', { name: 'Sign out every other session?' });
    await dlg.waitFor();
    assert.match(await dlg.textContent(), /All 2 other sessions/);
    await p.shot('security-confirm', { full: false });
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(p.calls.filter((c) => c.call === 'DELETE /me/sessions').length, 0, 'cancel does nothing');
    await page.getByRole('row', { name: /iOS/ }).getByRole('button', { name: 'Sign out' }).click();
    const one = page.getByRole('dialog', { name: 'Sign out Safari on iOS?' });
    await one.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('The session was signed out.').waitFor();
    assert.equal(p.calls.filter((c) => c.call === 'DELETE /me/sessions/9').length, 1);
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByText('No other sessions: you are signed in only here.').waitFor();
    assert.equal(p.calls.filter((c) => c.call === 'DELETE /me/sessions').length, 1);
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a lost session shows one banner with the way out', async () => {
  const p = await open('/console/notifications', DESKTOP, { 'GET /notifications': (req) => (req.headers()['x-test-ok'] ? undefined : err(401, 'session_expired', 'Session expired.')()) },
    { expect: [[/\/platform\/v1\/notifications$/, 401]] });
  try {
    const { page } = p;
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
    const p = await open('/console/admin/accounts', viewport);
    try {
      const { page } = p;
      await page.getByLabel('Search accounts').fill('ada');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: 'ada@example.com' }).click();
      await page.locator('h1', { hasText: 'ada@example.com' }).waitFor();
      await page.getByRole('button', { name: 'Suspend' }).click();
      const dlg = page.getByRole('dialog', { name: 'Suspend ada@example.com?' });
      await dlg.waitFor();
      await p.shot(`admin-suspend-confirm-${label}`, { full: false });
      await dlg.getByRole('button', { name: 'Suspend' }).click();
      await page.getByRole('button', { name: 'Reactivate' }).waitFor();
      assert.equal(p.calls.filter((c) => c.call === 'POST /admin/accounts/2/suspend').length, 1);
      await p.shot(`admin-account-${label}`);
      assert.deepEqual(p.problems(), []);
    } finally { await p.close(); }
  });
}

test('admin: approve an access request, review a recovery request with its activity', async () => {
  const p = await open('/console/admin/requests', DESKTOP);
  try {
    const { page } = p;
    await page.getByText('Chat bot for our support desk').waitFor();
    await page.getByText('Lost my phone').waitFor();
    await p.shot('admin-requests');
    await page.getByRole('row', { name: /newcomer@example.org/ }).getByRole('button', { name: 'Approve' }).click();
    const dlg = page.getByRole('dialog', { name: 'Approve access for newcomer@example.org?' });
    await dlg.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('No access requests are waiting').waitFor();
    assert.equal(p.calls.filter((c) => c.call === 'POST /admin/access-requests/4/approve').length, 1);
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('admin audit log and notifications render; Chinese too', async () => {
  const p = await open('/console/admin/audit', PHONE, {}, { locale: 'zh-CN' });
  try {
    const { page } = p;
    await page.locator('h1', { hasText: '审计日志' }).waitFor();
    await page.getByRole('cell', { name: '登录失败' }).waitFor();
    await p.shot('admin-audit-phone-zh-CN');
    await page.goto(server.url + '/console/notifications');
    await page.locator('h1', { hasText: '通知' }).waitFor();
    await page.getByRole('button', { name: '标为已读' }).click();
    await page.locator('.bell[aria-label="通知"]').waitFor();
    await p.shot('notifications-phone-zh-CN');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('dark mode: the security page and the sign-in page', async () => {
  const p = await open('/console/security', DESKTOP, {}, { colorScheme: 'dark' });
  try {
    const { page } = p;
    await page.getByRole('cell', { name: '198.51.100.4' }).waitFor();
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
  let n = 0;
  const p = await open('/console/signup', PHONE, {
    'POST /signup': () => (++n === 1 ? err(400, 'password_policy', 'The password needs an upper-case letter.', 'password')() : undefined),
  });
  p.expect(/\/platform\/v1\/signup$/, 400);
  try {
    const { page } = p;
    await page.getByLabel('Email').fill('new@example.com');
    await page.getByLabel('Password').fill('all-lower-case-1!');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('[data-field="password"] .field-error', { hasText: 'upper-case letter' }).waitFor();
    await p.shot('signup-field-error');
    await page.getByLabel('Password').fill('Mixed-Case-1!x');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Check your email. If new@example.com').waitFor();
    assert.deepEqual(p.calls.filter((c) => c.call === 'POST /signup').at(-1).body, { email: 'new@example.com', password: 'Mixed-Case-1!x' });
    await p.shot('signup-done');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('request mode sends sign-up to request access', async () => {
  const p = await open('/console/signup', DESKTOP, { 'GET /config': (r, b, data) => ({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ ...data.config, signup_mode: 'request' }) }) });
  try {
    await p.page.locator('h1', { hasText: 'Request access' }).waitFor();
    assert.equal(new URL(p.page.url()).pathname, '/console/request-access');
    await p.page.getByLabel('Email').fill('lead@example.org');
    await p.page.getByRole('button', { name: 'Request access' }).click();
    await p.page.getByText('Thank you. When your access is approved').waitFor();
    await p.shot('request-access-done');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('verify: the token goes in the body, never in a URL, and leaves the address bar', async () => {
  const token = 'abcDEF0123456789_-abcDEF0123456789_-abcDEF0';
  let ok = true;
  const p = await open('/console/verify#token=' + token, DESKTOP, { 'POST /signup/verify': () => (ok ? { status: 200, contentType: 'application/json', body: '{"status":"verified"}' }
    : err(400, 'token_invalid', 'The link is not valid.')()) });
  p.expect(/\/platform\/v1\/signup\/verify$/, 400);
  try {
    const { page } = p;
    await page.getByText('Your email address is verified').waitFor();
    assert.equal(new URL(page.url()).hash, '');
    const c = p.calls.find((x) => x.call === 'POST /signup/verify');
    assert.deepEqual(c.body, { token });
    assert.ok(p.calls.every((x) => !x.query.includes(token)));
    ok = false;
    await page.goto(server.url + '/console/verify#token=' + token);
    await page.getByText('This link is not valid any more').waitFor();
    await p.shot('verify-invalid');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

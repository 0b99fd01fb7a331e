// The console shell, served by maxgated, in Debian's chromium: its pages load
// and its headers are right (the platform API in this server is not set up for
// sign-in: its calls may fail and the page must cope).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, openPage, DESKTOP, PHONE } from './lib.mjs';

let server, browser;
before(async () => {
  server = await new Server().start();
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// A page of the shell must cope with a platform call that fails.
const PLATFORM = /\/platform\/v1\//;

async function loginPage(viewport, name, locale) {
  const p = await openPage(browser, viewport, { locale });
  p.expect(PLATFORM, 404);
  await p.page.goto(server.url + '/console/login');
  await p.page.locator('h1').waitFor();
  return p;
}

for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`the login page loads at ${label} width with no console error`, async () => {
    const p = await loginPage(viewport);
    try {
      const { page } = p;
      assert.equal(await page.locator('h1').textContent(), 'Sign in');
      assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.tagName), 'H1', 'focus on the heading');
      assert.ok(await page.getByLabel('Email').isVisible());
      assert.ok(await page.getByLabel('Password').isVisible());
      assert.ok(await page.getByRole('button', { name: 'Sign in' }).isVisible());
      assert.equal(await page.title(), 'Sign in · maxgate');
      // nothing wider than the screen
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
      await p.shot(`login-${label}`);
      assert.deepEqual(p.problems(), []);
    } finally { await p.close(); }
  });
}

test('the console answers with its security headers and content hashes', async () => {
  const r = await fetch(server.url + '/console/login');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-security-policy'), "default-src 'self'; img-src 'self' data:; style-src 'self'; " +
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.match(r.headers.get('content-type'), /^text\/html/);
  const html = await r.text();
  const m = /src="\/console\/app\.js\?v=([0-9a-f]{12})"/.exec(html);
  assert.ok(m, 'index.html refers to app.js by its hash');
  const js = await fetch(server.url + '/console/app.js?v=' + m[1]);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const etag = js.headers.get('etag');
  assert.ok(etag && etag.startsWith('"' + m[1]), 'the ETag is the content hash');
  const again = await fetch(server.url + '/console/app.js', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  const stale = await fetch(server.url + '/console/app.js?v=000000000000');
  assert.equal(stale.headers.get('cache-control'), 'no-cache', 'a wrong hash is never cached for long');
  for (const route of ['reset', 'verify', 'set-password']) {
    const t = await fetch(server.url + '/console/' + route);
    assert.equal(t.headers.get('referrer-policy'), 'no-referrer', route);
  }
  const head = await fetch(server.url + '/console/app.css', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal((await head.text()).length, 0);
  const post = await fetch(server.url + '/console/login', { method: 'POST' });
  assert.equal(post.status, 405);
});

test('/ redirects to /console/ and the gateway still owns the rest', async () => {
  const r = await fetch(server.url + '/', { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/console/');
  const api = await fetch(server.url + '/v1/models');
  assert.equal(api.status, 401, 'the gateway answers its own paths');
  const other = await fetch(server.url + '/nothing-here');
  assert.notEqual(other.status, 302);
});

test('a missing console file is 404, a route without a file is the app', async () => {
  for (const p of ['/console/nope.js', '/console/pages/nope.js', '/console/i18n/fr.json', '/console/index.htm']) {
    const r = await fetch(server.url + p);
    assert.equal(r.status, 404, p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
  }
  for (const p of ['/console/%2e%2e/maxgate.ini', '/console/../secrets', '/console/pages/../../secrets'])
    assert.notEqual((await fetch(server.url + p)).status, 200, p);
  const route = await fetch(server.url + '/console/admin/accounts/7');
  assert.equal(route.status, 200);
  assert.match(await route.text(), /<div id="app"/);
});

test('the language switch changes the visible strings', async () => {
  const p = await loginPage(DESKTOP);
  try {
    const { page } = p;
    await page.getByRole('button', { name: '简体中文' }).click();
    await page.locator('h1', { hasText: '登录' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.ok(await page.getByLabel('邮箱').isVisible());
    assert.ok(await page.getByRole('link', { name: '忘记密码？' }).isVisible());
    await p.shot('login-zh-CN');
    await page.reload();
    await page.locator('h1', { hasText: '登录' }).waitFor(); // the choice is kept
    await page.getByRole('button', { name: 'EN' }).click();
    await page.locator('h1', { hasText: 'Sign in' }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a Chinese browser gets the Chinese console', async () => {
  const p = await loginPage(PHONE, 'zh', 'zh-CN');
  try {
    assert.equal(await p.page.locator('h1').textContent(), '登录');
    await p.shot('login-phone-zh-CN');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('the signed-out pages render and link to each other', async () => {
  const p = await openPage(browser, PHONE);
  p.expect(PLATFORM, 404);
  try {
    const { page } = p;
    for (const [route, title] of [['forgot', 'Reset your password'], ['recovery', 'Recover your account'],
      ['reset', 'Choose a new password'], ['verify', 'Verify your email']]) {
      await page.goto(server.url + '/console/' + route);
      await page.locator('h1', { hasText: title }).waitFor();
      await p.shot('page-' + route);
    }
    // a mailed link without its token says what to do, and no token stays in the address bar
    await page.goto(server.url + '/console/reset');
    await page.getByText('This link is incomplete').waitFor();
    await page.goto(server.url + '/console/forgot');
    await page.getByRole('link', { name: 'Lost access to your account?' }).click();
    await page.locator('h1', { hasText: 'Recover your account' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/recovery');
    await page.goBack();
    await page.locator('h1', { hasText: 'Reset your password' }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a token in the fragment is removed from the address bar at once', async () => {
  const p = await openPage(browser, DESKTOP);
  p.expect(PLATFORM, 404);
  try {
    const { page } = p;
    await page.goto(server.url + '/console/reset#token=' + 'A'.repeat(43));
    await page.locator('h1', { hasText: 'Choose a new password' }).waitFor();
    assert.equal(new URL(page.url()).hash, '');
    assert.ok(await page.getByLabel('New password', { exact: true }).isVisible());
    await p.shot('reset-form');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

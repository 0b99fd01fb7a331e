// The flows end to end: the real platform API, the real mail (outbox
// folder, one .eml per mail), Debian's chromium.  The first admin is made by
// `maxgated init --admin-email E --admin-password-file F`, other accounts by
// `maxgated admin user create --email E --password-stdin`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server, launch, openPage, waitFor, DESKTOP, PHONE } from './lib.mjs';

const ADMIN = { email: 'admin@example.com', password: 'Kx8!rT4#mQ2$wZ7p' };
const ADMIN_INIT = () => {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'mge2e-admin.')), 'admin-password');
  writeFileSync(f, ADMIN.password + '\n', { mode: 0o600 });
  return ['--admin-email', ADMIN.email, '--admin-password-file', f];
};
const MAIL_S = 15;


const started = [];
let browser;
after(async () => {
  if (browser) await browser.close();
  for (const s of started) await s.stop();
});

/** A server in the given signup mode, its first admin made by init, mail to the outbox. */
async function platformServer(mode) {
  const s = new Server({
    server: { public_base_url: 'http://127.0.0.1' }, // the mails' links; the tests use only their path
    accounts: { signup_mode: mode },
    mail: { outbox_dir: 'outbox' },
  }, ADMIN_INIT());
  started.push(await s.start());
  s.mailDir = path.join(s.dir, 'outbox');
  if (!browser) browser = await launch();
  return s;
}

/** Waits for the newest mail to `to` holding a console link to page; returns the link's path and fragment. */
async function mailedLink(s, to, page) {
  return waitFor(() => {
    let files = [];
    try { files = readdirSync(s.mailDir).map((f) => path.join(s.mailDir, f)); } catch { return null; }
    for (const f of files.sort().reverse()) {
      const text = readFileSync(f, 'utf8');
      if (!text.includes(to)) continue;
      const m = new RegExp(`https?://[^/\\s]+(/console/${page}#token=[A-Za-z0-9_-]{43})`).exec(text);
      if (m) return m[1];
    }
    return null;
  }, MAIL_S * 1000, `a ${page} mail to ${to}`);
}

async function signIn(p, s, email, password) {
  await p.page.goto(s.url + '/console/login');
  await p.page.getByLabel('Email').fill(email);
  await p.page.getByLabel('Password').fill(password);
  await p.page.getByRole('button', { name: 'Sign in' }).click();
}

test('sign up in open mode and verify by the mailed link', async () => {
  const s = await platformServer('open');
  const p = await openPage(browser, PHONE);
  try {
    const { page } = p;
    await page.goto(s.url + '/console/signup');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('short');
    p.expect(/\/platform\/v1\/signup$/, 400);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('[data-field="password"] .field-error:not(:empty)').waitFor(); // the rule, under the field
    await page.getByLabel('Password').fill('Qz7#vNp2!xKw9');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Check your email').waitFor();
    const link = await mailedLink(s, 'ada@example.com', 'verify');
    await page.goto(s.url + link);
    await page.getByText('Your email address is verified').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');
    await signIn(p, s, 'ada@example.com', 'Qz7#vNp2!xKw9');
    await page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    assert.equal(await page.locator('dd', { hasText: 'never' }).count(), 0, 'the session times are shown right after sign-in');
    await p.shot('flow-signup-verified');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('request access, the admin approves, the password is set from the mail', async () => {
  const s = await platformServer('request');
  const visitor = await openPage(browser, DESKTOP);
  const admin = await openPage(browser, DESKTOP);
  try {
    await visitor.page.goto(s.url + '/console/request-access');
    await visitor.page.getByLabel('Email').fill('lin@example.cn');
    await visitor.page.getByLabel(/What you plan/).fill('Support bot');
    await visitor.page.getByRole('button', { name: 'Request access' }).click();
    await visitor.page.getByText('Thank you.').waitFor();

    await signIn(admin, s, ADMIN.email, ADMIN.password);
    await admin.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    await admin.page.getByRole('link', { name: 'Requests' }).click();
    await admin.page.getByRole('row', { name: /lin@example.cn/ }).getByRole('button', { name: 'Approve' }).click();
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await admin.page.getByText('No access requests are waiting').waitFor();

    const link = await mailedLink(s, 'lin@example.cn', 'set-password');
    await visitor.page.goto(s.url + link);
    await visitor.page.getByLabel('New password', { exact: true }).fill('Lq4$tRz8!mVw3');
    await visitor.page.getByLabel('New password, again').fill('Lq4$tRz8!mVw3');
    await visitor.page.getByRole('button', { name: 'Save password' }).click();
    await visitor.page.getByText('Your password is set').waitFor();
    await signIn(visitor, s, 'lin@example.cn', 'Lq4$tRz8!mVw3');
    await visitor.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    await visitor.shot('flow-request-approved');
    assert.deepEqual(visitor.problems(), []);
    assert.deepEqual(admin.problems(), []);
  } finally { await visitor.close(); await admin.close(); }
});

test('five failures lock sign-in; the admin unlocks; the password is reset by mail', async () => {
  const s = await platformServer('request');
  s.createUser('bo@example.com', 'Bw2!kRt9#pLz4');
  const user = await openPage(browser, PHONE);
  user.expect(/\/platform\/v1\/login$/, 401);
  const admin = await openPage(browser, DESKTOP);
  try {
    for (let i = 0; i < 5; i++) {
      await signIn(user, s, 'bo@example.com', 'Wrong-Passw0rd-' + i);
      await user.page.locator('.action-error', { hasText: 'not right' }).waitFor();
    }
    // locked now: the right password is refused too, with the same generic answer
    await signIn(user, s, 'bo@example.com', 'Bw2!kRt9#pLz4');
    await user.page.locator('.action-error', { hasText: 'locked for a while' }).waitFor();
    await user.shot('flow-locked');
    await signIn(admin, s, ADMIN.email, ADMIN.password);
    await admin.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    await admin.page.goto(s.url + '/console/admin/accounts?q=bo@');
    await admin.page.getByRole('link', { name: 'bo@example.com' }).click();
    await admin.page.getByText('Locked until').waitFor();
    await admin.page.getByRole('button', { name: 'Unlock sign-in' }).click();
    await admin.page.getByText('Not locked').waitFor();

    await user.page.goto(s.url + '/console/forgot');
    await user.page.getByLabel('Email').fill('bo@example.com');
    await user.page.getByRole('button', { name: 'Send reset link' }).click();
    await user.page.getByText('we sent it a link').waitFor();
    const link = await mailedLink(s, 'bo@example.com', 'reset');
    await user.page.goto(s.url + link);
    await user.page.getByLabel('New password', { exact: true }).fill('Bx6%nHq3!zTe8');
    await user.page.getByLabel('New password, again').fill('Bx6%nHq3!zTe8');
    await user.page.getByRole('button', { name: 'Save password' }).click();
    await user.page.getByText('Your password is changed').waitFor();
    await signIn(user, s, 'bo@example.com', 'Bx6%nHq3!zTe8');
    await user.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    await user.shot('flow-reset-done');
    assert.deepEqual(user.problems(), []);
    assert.deepEqual(admin.problems(), []);
  } finally { await user.close(); await admin.close(); }
});

test('sessions are listed and "sign out everywhere else" ends the others', async () => {
  const s = await platformServer('request');
  const here = await openPage(browser, DESKTOP);
  const there = await openPage(browser, PHONE);
  there.expect(/\/platform\/v1\//, 401);
  try {
    await signIn(there, s, ADMIN.email, ADMIN.password);
    await there.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
    await signIn(here, s, ADMIN.email, ADMIN.password);
    await here.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Security' }).click();
    await here.page.getByText('This session', { exact: true }).waitFor();
    assert.equal(await here.page.getByRole('row').filter({ has: here.page.getByRole('button', { name: 'Sign out' }) }).count(), 1, 'the other session is listed');
    await here.page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await here.page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere else' }).click();
    await here.page.getByText('No other sessions').waitFor();
    await here.shot('flow-sessions');
    await there.page.goto(s.url + '/console/security');
    await there.page.locator('h1', { hasText: 'Sign in' }).waitFor();
    await there.shot('flow-sessions-ended-phone');
    assert.deepEqual(here.problems(), []);
    assert.deepEqual(there.problems(), []);
  } finally { await here.close(); await there.close(); }
});

test('the admin finds and suspends an account; its sign-in stops', async () => {
  const s = await platformServer('request');
  s.createUser('cy@example.com', 'Cv5#qWm8!tHz2');
  const admin = await openPage(browser, DESKTOP);
  const user = await openPage(browser, PHONE);
  try {
    await signIn(admin, s, ADMIN.email, ADMIN.password);
    await admin.page.getByRole('link', { name: 'Accounts' }).click();
    await admin.page.getByLabel('Search accounts').fill('cy@');
    await admin.page.getByRole('button', { name: 'Search' }).click();
    await admin.page.getByRole('link', { name: 'cy@example.com' }).click();
    await admin.page.getByRole('button', { name: 'Suspend' }).click();
    await admin.page.getByRole('dialog', { name: 'Suspend cy@example.com?' }).getByRole('button', { name: 'Suspend' }).click();
    await admin.page.getByRole('button', { name: 'Reactivate' }).waitFor();
    await admin.page.locator('dl.facts dd', { hasText: 'Suspended' }).waitFor();
    await admin.page.getByText('Account suspended').waitFor(); // the audit event in its recent activity
    await admin.shot('flow-suspended');
    user.expect(/\/platform\/v1\/login$/, 403);
    await signIn(user, s, 'cy@example.com', 'Cv5#qWm8!tHz2');
    await user.page.locator('.action-error', { hasText: 'This account is suspended' }).waitFor();
    await user.shot('flow-suspended-sign-in');
    assert.deepEqual(admin.problems(), []);
    assert.deepEqual(user.problems(), []);
  } finally { await admin.close(); await user.close(); }
});

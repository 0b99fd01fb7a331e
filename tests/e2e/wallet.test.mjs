// The wallet end to end (issue 12): the admin creates a redeem code on
// Admin > Redeem codes (shown once in a dialog with Copy buttons; the list
// shows only its hint); the customer redeems it on Usage & billing > Wallet
// and the balance and the ledger grow; redeeming it again is refused with
// the one message for unknown, used and expired codes; on a phone too.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, openPage, DESKTOP, PHONE } from './lib.mjs';

const USER = { email: 'wanda@example.com', password: 'Wq7!rT2#mK8$zX4p' };
const ADMIN = { email: 'root@example.com', password: 'Ad9!nM4#tQ6$wE2r' };
const INVALID = 'This code is not valid, already used or expired.';

let s, browser;

before(async () => {
  s = new Server({ accounts: { signup_mode: 'open' }, mail: { outbox_dir: 'outbox' } });
  s.createUser(USER.email, USER.password);
  s.createUser(ADMIN.email, ADMIN.password, { admin: true });
  await s.start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (s) await s.stop();
});

async function signIn(p, who) {
  await p.page.goto(s.url + '/console/login');
  await p.page.getByLabel('Email').fill(who.email);
  await p.page.getByLabel('Password').fill(who.password);
  await p.page.getByRole('button', { name: 'Sign in' }).click();
  await p.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
}

test('the admin creates a code, the customer redeems it once, the wallet grows', async () => {
  let code;
  const a = await openPage(browser, DESKTOP);
  try {
    await signIn(a, ADMIN);
    await a.page.getByRole('link', { name: 'Redeem codes' }).click();
    await a.page.locator('h1', { hasText: 'Redeem codes' }).waitFor();
    await a.page.getByText('No codes yet.').waitFor();
    await a.page.getByLabel(/^Value of each code/).fill('7.50');
    await a.page.getByLabel('Number of codes').fill('2');
    await a.page.getByLabel('Batch').fill('shop-e2e');
    await a.page.getByRole('button', { name: 'Create codes' }).click();
    const dlg = a.page.getByRole('dialog', { name: /2 codes of/ });
    await dlg.waitFor();
    const codes = await dlg.locator('[data-code]').allTextContents();
    assert.equal(codes.length, 2);
    for (const c of codes) assert.match(c, /^MGR-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    code = codes[0];
    assert.ok(await dlg.getByRole('button', { name: 'Copy all codes' }).isVisible());
    await a.page.keyboard.press('Escape'); // does not lose the codes
    assert.ok(await dlg.isVisible());
    await a.shot('admin-redeem-codes-created', { full: false });
    await dlg.getByRole('button', { name: 'I have saved them' }).click();
    await dlg.waitFor({ state: 'detached' });
    const rows = a.page.locator('[data-state="open"]');
    await rows.nth(1).waitFor(); // both codes listed (the list is read again after the dialog)
    assert.equal(await rows.count(), 2);
    const listText = await a.page.locator('table').innerText();
    assert.ok(listText.includes('MGR-' + code.slice(4, 8)) && !listText.includes(code), 'the list shows the hint, never the code');
    await a.shot('admin-redeem-codes-desktop');
    assert.deepEqual(a.problems(), []);
  } finally { await a.context.close(); }

  const c = await openPage(browser, DESKTOP);
  c.expect(/\/platform\/v1\/billing\/redeem$/, 400);
  try {
    await signIn(c, USER);
    await c.page.getByRole('link', { name: 'Wallet' }).click();
    await c.page.locator('h1', { hasText: 'Wallet' }).waitFor();
    await c.page.getByText('No credit movements yet.').waitFor();
    await c.page.locator('[data-balance]', { hasText: '$0.00' }).waitFor();
    const form = c.page.locator('[data-redeem]');
    await form.getByLabel('Code').fill(code.toLowerCase().replaceAll('-', ' '));
    await form.getByRole('button', { name: 'Redeem' }).click();
    await c.page.getByText(/\$7\.50 added\. Your balance is \$7\.50\./).waitFor();
    await c.page.locator('[data-balance]', { hasText: '$7.50' }).waitFor(); // the card is read again after the message
    const row = c.page.locator('[data-kind="redeem"]');
    await row.waitFor();
    assert.equal(await c.page.locator('[data-amount="7500000"]').count(), 1);
    assert.equal(await c.page.getByRole('button', { name: 'Show more' }).count(), 0, 'one page of the ledger');
    await c.shot('wallet-desktop');
    // the same code again: refused, nothing added
    await form.getByLabel('Code').fill(code);
    await form.getByRole('button', { name: 'Redeem' }).click();
    await form.getByText(INVALID).waitFor();
    assert.equal(await form.getByLabel('Code').getAttribute('aria-invalid'), 'true');
    assert.match(await c.page.locator('[data-balance]').innerText(), /\$7\.50/);
    assert.equal(await c.page.locator('[data-kind="redeem"]').count(), 1);
    assert.deepEqual(c.problems(), []);
  } finally { await c.context.close(); }

  const m = await openPage(browser, PHONE);
  try {
    await signIn(m, USER);
    await m.page.goto(s.url + '/console/billing/wallet');
    await m.page.locator('[data-kind="redeem"]').waitFor();
    const overflow = await m.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
    await m.shot('wallet-phone');
    assert.deepEqual(m.problems(), []);
  } finally { await m.context.close(); }
});

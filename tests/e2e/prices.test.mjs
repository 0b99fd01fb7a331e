// Prices end to end (BL-1, issue 12): the admin sets the operator's ratio to
// 0.40 in Admin > Prices (through the step-up dialog: the sign-in is older
// than the reauth window by the test clock), and a customer's Prices page
// shows MiniMax-M2.7 input at 0.12 per million tokens (official 0.30); the
// admin adds a model row (a decimal turned into micros), sees it listed with
// its source, a bad amount is refused next to its field, and removes it; after
// usage through the gateway (maxgate-sim behind maxgated) Admin > Revenue
// shows the month with the customer and the model.  Screenshots of each page.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, openPage, startSim, stopSim, advanceClock, waitFor, DESKTOP, PHONE } from './lib.mjs';

const USER = { email: 'mei@example.com', password: 'Qm4!tR8#vK2$wZ7p' };
const ADMIN = { email: 'ops@example.com', password: 'Pk7!dW2#mF5$rL8s' };
const UPSTREAM_KEY = 'upstream-key-prices';
const API = '/platform/v1';
const WAIT_MS = 15000;

let sim, s, browser, token, apiKey;

async function call(method, path, body, bearer = token) {
  const r = await fetch(s.url + API + path, {
    method, headers: { 'Content-Type': 'application/json', ...(bearer ? { Authorization: 'Bearer ' + bearer } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let doc = null;
  try { doc = await r.json(); } catch { /* not JSON */ }
  return { status: r.status, doc };
}

before(async () => {
  sim = await startSim(UPSTREAM_KEY);
  s = new Server({
    accounts: { signup_mode: 'open', reauth_minutes: '5' },
    mail: { outbox_dir: 'outbox' },
    'channel.sim': { region: 'global', base_url: sim.url, key_env: 'MG_E2E_SIM_KEY', weight: '1' },
  }, [], { MG_E2E_SIM_KEY: UPSTREAM_KEY, MG_TEST_CLOCK: '1' });
  s.createUser(USER.email, USER.password);
  s.createUser(ADMIN.email, ADMIN.password, { admin: true });
  await s.start();
  const r = await call('POST', '/login', { email: USER.email, password: USER.password }, null);
  assert.equal(r.status, 200, JSON.stringify(r.doc));
  token = r.doc.session.token;
  const k = await call('POST', '/keys', { name: 'prices-e2e' });
  assert.equal(k.status, 201, JSON.stringify(k.doc));
  apiKey = k.doc.key;
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (s) await s.stop();
  await stopSim(sim);
});

async function signIn(p, u) {
  await p.page.goto(s.url + '/console/login');
  await p.page.getByLabel('Email').fill(u.email);
  await p.page.getByLabel('Password').fill(u.password);
  await p.page.getByRole('button', { name: 'Sign in' }).click();
  await p.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
}

/** Waits for `target`; answers the step-up dialog with the password if it comes first.  True when it came. */
async function afterStepUp(p, target, password) {
  const reauth = p.page.getByRole('dialog', { name: 'Confirm it is you' });
  await Promise.race([target.waitFor(), reauth.waitFor()]);
  if (!(await reauth.isVisible())) return false;
  await reauth.getByLabel('Password').fill(password);
  await reauth.getByRole('button', { name: 'Confirm' }).click();
  await target.waitFor();
  return true;
}

async function chat(content) {
  const r = await fetch(s.url + '/v1/chat/completions', {
    method: 'POST', headers: { 'Authorization': 'Bearer ' + apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'MiniMax-M2.7', messages: [{ role: 'user', content }] }),
  });
  await r.text();
  assert.equal(r.status, 200);
}

test('the operator ratio, a customer\'s prices, a model row and the revenue month', async () => {
  const admin = await openPage(browser, DESKTOP);
  const user = await openPage(browser, DESKTOP);
  admin.expect(/\/platform\/v1\/admin\/price-ratio$/, 403); // reauth_required, answered by the dialog
  admin.expect(/\/platform\/v1\/admin\/prices\/[^/]+$/, 403);
  admin.expect(/\/platform\/v1\/admin\/accounts\/99999\/price-ratio$/, 404);
  admin.expect(/\/platform\/v1\/admin\/prices\/e2e-video-\*$/, 400); // the malformed video entry, answered next to its field
  try {
    const { page } = admin;
    await signIn(admin, ADMIN);
    await advanceClock(s, 6 * 60 * 1000); // the sign-in is now older than the 5-minute reauth window
    await page.getByRole('link', { name: 'Prices' }).last().click();
    await page.locator('h1', { hasText: 'Prices' }).waitFor();
    const m27 = page.locator('tr[data-model="MiniMax-M2.7"]');
    assert.match(await m27.getByRole('cell').nth(1).innerText(), /^\$0\.30$/, 'the official input price');
    assert.match(await m27.innerText(), /Built in \/ config/);
    assert.equal(await m27.getByRole('button', { name: 'Remove' }).count(), 0, 'a built-in row cannot be removed');

    // the operator's ratio: a malformed one is refused next to its field, then 0.40 through step-up
    const form = page.locator('[data-ratio-form]');
    await form.getByLabel('Ratio').fill('forty');
    await form.getByRole('button', { name: 'Set ratio' }).click();
    await form.locator('[data-field="ratio_ppm"] .field-error', { hasText: 'Enter a ratio such as 0.40' }).waitFor();
    await form.getByLabel('Ratio').fill('0.40');
    await form.getByRole('button', { name: 'Set ratio' }).click();
    const saved = form.locator('.action-ok', { hasText: 'Everyone (the operator\'s ratio): 40 % (0.40).' });
    assert.ok(await afterStepUp(admin, saved, ADMIN.password), 'the step-up dialog asked first');
    assert.equal(await page.locator('[data-ratios] tr[data-scope="global"] [data-ppm]').getAttribute('data-ppm'), '400000');
    // a plan's ratio typed as a percentage
    await form.getByLabel('Applies to').selectOption('plan:enterprise');
    await form.getByLabel('Ratio').fill('35 %');
    await form.getByRole('button', { name: 'Set ratio' }).click();
    await form.locator('.action-ok', { hasText: 'Plan Enterprise: 35 % (0.35).' }).waitFor();
    assert.equal(await page.locator('[data-ratios] tr[data-scope="plan:enterprise"] [data-ppm]').getAttribute('data-ppm'), '350000');
    // one account's ratio: an unknown number is refused under its field, then the customer's own at 0.50
    assert.equal(await form.getByLabel('Account number').isVisible(), false, 'the account field waits for "One account"');
    await form.getByLabel('Applies to').selectOption('account');
    await form.getByLabel('Account number').fill('99999');
    await form.getByLabel('Ratio').fill('0.50');
    await form.getByRole('button', { name: 'Set ratio' }).click();
    await form.locator('[data-field="account_id"] .field-error', { hasText: 'No account has this number.' }).waitFor();
    const acct = (await call('GET', '/me')).doc.id;
    await form.getByLabel('Account number').fill(String(acct));
    await form.getByRole('button', { name: 'Set ratio' }).click();
    await form.locator('.action-ok', { hasText: `Account #${acct}: 50 % (0.50).` }).waitFor();
    assert.equal(await page.locator(`[data-ratios] tr[data-scope="account:${acct}"] [data-ppm]`).getAttribute('data-ppm'), '500000');
    // and removed again (empty): the customer is back on the operator's 0.40
    await form.getByLabel('Applies to').selectOption('account');
    await form.getByLabel('Account number').fill(String(acct));
    await form.getByRole('button', { name: 'Set ratio' }).click();
    await form.locator('.action-ok', { hasText: `Account #${acct}: ratio removed.` }).waitFor();
    assert.equal(await page.locator(`[data-ratios] tr[data-scope="account:${acct}"]`).count(), 0);
    await admin.shot('admin-prices-desktop');

    // the customer pays 40 % of the official price, and sees no ratio
    await signIn(user, USER);
    await user.page.getByRole('link', { name: 'Prices' }).click();
    await user.page.locator('h1', { hasText: 'Prices' }).waitFor();
    const row = user.page.locator('tr[data-model="MiniMax-M2.7"]');
    assert.equal(await row.getByRole('cell').nth(1).innerText(), '$0.12', 'input per million tokens at 0.40 of 0.30');
    assert.equal(await row.getByRole('cell').nth(1).locator('[data-micros]').getAttribute('data-micros'), '120000');
    assert.doesNotMatch(await user.page.locator('main').innerText(), /ratio|official|40 %/i, 'no ratio, no official price');
    await user.shot('prices-desktop');

    // add a model row: a bad amount next to its field, then 0.000015 exactly (15 micros)
    await page.getByRole('button', { name: 'Add model' }).click();
    const dlg = page.getByRole('dialog', { name: 'Add a model\'s prices' });
    await dlg.getByLabel('Model').fill('e2e-model-*');
    await dlg.getByLabel('Input / 1M tokens').fill('0.1234567');
    await dlg.getByRole('button', { name: 'Save' }).click();
    await dlg.locator('[data-field="input_per_mtok"] .field-error', { hasText: 'Enter an amount such as 0.30' }).waitFor();
    await dlg.getByLabel('Input / 1M tokens').fill('0.000015');
    await dlg.getByLabel('Output / 1M tokens').fill('2.5');
    await dlg.getByRole('button', { name: 'Save' }).click();
    const added = page.locator('tr[data-model="e2e-model-*"]');
    await afterStepUp(admin, added, ADMIN.password);
    assert.equal(await added.getByRole('cell').nth(1).locator('[data-micros]').getAttribute('data-micros'), '15');
    assert.equal(await added.getByRole('cell').nth(2).innerText(), '$2.50');
    assert.match(await added.innerText(), /Database/);
    const stored = (await call('GET', '/admin/prices', undefined, (await call('POST', '/login', ADMIN, null)).doc.session.token)).doc;
    const r = stored.prices.find((x) => x.model === 'e2e-model-*');
    assert.equal(r.input_per_mtok_micros, 15);
    assert.equal(r.output_per_mtok_micros, 2500000);
    await admin.shot('admin-prices-added');
    await added.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.locator('.action-ok', { hasText: 'Prices of e2e-model-* removed.' }).waitFor();
    assert.equal(await added.count(), 0);

    // a video model priced by resolution and length: a malformed entry is refused next to its field
    await page.getByRole('button', { name: 'Add model' }).click();
    const vdlg = page.getByRole('dialog', { name: 'Add a model\'s prices' });
    await vdlg.getByLabel('Model').fill('e2e-video-*');
    await vdlg.getByLabel('Video by resolution and length').fill('1080P/10=0.80');
    await vdlg.getByRole('button', { name: 'Save' }).click();
    await vdlg.locator('[data-field="video_text"] .field-error', { hasText: 'written like 6s' }).waitFor();
    await vdlg.getByLabel('Video by resolution and length').fill('1080P/10s=0.80, 2K=0.13/s');
    await vdlg.getByRole('button', { name: 'Save' }).click();
    const video = page.locator('tr[data-model="e2e-video-*"]');
    await afterStepUp(admin, video, ADMIN.password);
    assert.match(await video.locator('[data-col="video"]').innerText(), /^Video: 1080P 10 s \$0\.80, 2K \$0\.13 a second$/);
    await admin.shot('admin-prices-video');
    await user.page.reload();
    const uvideo = user.page.locator('tr[data-model="e2e-video-*"] [data-col="video"]');
    assert.match(await uvideo.innerText(), /1080P 10 s \$0\.32, 2K \$0\.052 a second/, 'the customer pays 40 % of each');
    await video.getByRole('button', { name: 'Edit' }).click();
    const edlg = page.getByRole('dialog', { name: 'Prices of e2e-video-*' });
    assert.equal(await edlg.getByLabel('Video by resolution and length').inputValue(), '1080P/10s=0.80, 2K=0.13/s');
    await edlg.getByRole('button', { name: 'Cancel' }).click();
    await video.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.locator('.action-ok', { hasText: 'Prices of e2e-video-* removed.' }).waitFor();

    // usage, then the revenue month: billed at 0.40, the official cost at 1.00
    await chat('hello');
    await chat('hello again');
    await waitFor(async () => ((await call('GET', '/usage/log?limit=200')).doc.events || []).length >= 2, WAIT_MS, 'two usage events');
    await page.getByRole('link', { name: 'Revenue' }).click();
    await page.locator('h1', { hasText: 'Revenue' }).waitFor();
    const rev = Number(await page.locator('[data-figure="revenue"] .amount').getAttribute('data-micros'));
    const off = Number(await page.locator('[data-figure="official"] .amount').getAttribute('data-micros'));
    const margin = Number(await page.locator('[data-figure="margin"] .amount').getAttribute('data-micros'));
    assert.ok(rev > 0 && off > rev, `revenue ${rev} below the official cost ${off} at 0.40`);
    assert.equal(margin, rev - off);
    await page.getByRole('cell', { name: USER.email }).waitFor();
    const model = page.locator('[data-by-model] tbody tr', { hasText: 'MiniMax-M2.7' });
    assert.equal(await model.getByRole('cell').nth(2).innerText(), '2', 'two requests');
    await admin.shot('admin-revenue-desktop');
    // another month: nothing in it
    await page.getByLabel('Billing month').fill('2020-01');
    await page.getByText('No usage in this month.').first().waitFor();
    assert.equal(await page.locator('[data-figure="revenue"] .amount').getAttribute('data-micros'), '0');

    await user.page.setViewportSize(PHONE);
    await user.shot('prices-phone');
    assert.deepEqual(admin.problems(), []);
    assert.deepEqual(user.problems(), []);
  } finally {
    await admin.close();
    await user.close();
  }
});

test('amounts and ratios typed in the console become exact integers', async () => {
  const p = await openPage(browser, DESKTOP);
  try {
    await p.page.goto(s.url + '/console/login');
    await p.page.locator('h1').waitFor();
    const got = await p.page.evaluate(async () => {
      const m = await import('/console/pages/admin-prices.js');
      const amounts = ['0.30', '0.29', '1.1', '0.000001', '0.000015', '12', '', ' 2.5 ', '1000000', '1000000.000001', '0.1234567', '-1', '1e3', '0,30', '.5'];
      const ratios = ['0.40', '40 %', '40%', '0.4', '1', '12.5 %', '0.000001', '100', '10000 %', '100.000001', '10001 %', '', 'forty', '-0.4'];
      return { amounts: amounts.map((a) => [a, m.priceMicros(a)]), ratios: ratios.map((r) => [r, m.ratioPpm(r)]),
        text: [300000, 290000, 15, 2500000, 0].map(m.priceText), ratioText: [400000, 125000, 1000000, 1].map(m.ratioText) };
    });
    assert.deepEqual(got.amounts, [['0.30', 300000], ['0.29', 290000], ['1.1', 1100000], ['0.000001', 1], ['0.000015', 15], ['12', 12000000],
      ['', 0], [' 2.5 ', 2500000], ['1000000', 1e12], ['1000000.000001', NaN], ['0.1234567', NaN], ['-1', NaN], ['1e3', NaN], ['0,30', NaN], ['.5', NaN]]);
    assert.deepEqual(got.ratios, [['0.40', 400000], ['40 %', 400000], ['40%', 400000], ['0.4', 400000], ['1', 1000000], ['12.5 %', 125000],
      ['0.000001', 1], ['100', 100000000], ['10000 %', 100000000], ['100.000001', NaN], ['10001 %', NaN], ['', null], ['forty', NaN], ['-0.4', NaN]]);
    assert.deepEqual(got.text, ['0.30', '0.29', '0.000015', '2.50', '']);
    assert.deepEqual(got.ratioText, ['40 % (0.40)', '12.5 % (0.125)', '100 % (1.00)', '0.0001 % (0.000001)']);
  } finally { await p.close(); }
});

// Admin > Channels end to end (issue 12): an admin sees the config's channel
// (a maxgate-sim behind maxgated), adds a database channel (the key typed
// into a password field, never on the page afterwards; a bad base URL is
// refused under its field), tests both (the upstream's status and the
// latency beside the row; the new channel runs at once), turns the config
// channel off (the database channel still answers), removes the database
// channel (the gateway answers 503: no channel left, without a restart) and
// turns the config channel on again (200).  Screenshots at desktop and phone,
// in English and Chinese.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, openPage, startSim, stopSim, waitFor, DESKTOP, PHONE } from './lib.mjs';

const ADMIN = { email: 'ops@example.com', password: 'Qz7!mW4#tB8$kR2x' };
const UPSTREAM_KEY = 'upstream-e2e-channel-key-1';

let sim, s, browser, userKey, skipWhy = '';

before(async () => {
  sim = await startSim(UPSTREAM_KEY);
  s = new Server({
    accounts: { signup_mode: 'open' },
    mail: { outbox_dir: 'outbox' },
    'channel.sim': { region: 'global', base_url: sim.url, key_env: 'MG_E2E_SIM_KEY', weight: '1' },
  }, [], { MG_E2E_SIM_KEY: UPSTREAM_KEY });
  s.createUser(ADMIN.email, ADMIN.password, { admin: true });
  s.run('admin', 'user', 'create', '--email', 'caller@example.com');
  userKey = s.run('admin', 'key', 'create', '--email', 'caller@example.com', '--name', 'e2e').trim();
  await s.start();
  const r = await fetch(s.url + '/platform/v1/admin/channels');
  if (r.status === 404) skipWhy = 'GET /platform/v1/admin/channels answers 404: this maxgated has no channel API yet';
  else browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (s) await s.stop();
  await stopSim(sim);
});

async function chat() {
  const r = await fetch(s.url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'Authorization': 'Bearer ' + userKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'MiniMax-M2.7', messages: [{ role: 'user', content: 'hello' }] }),
  });
  await r.arrayBuffer();
  return r.status;
}

async function signIn(p) {
  await p.page.goto(s.url + '/console/login');
  await p.page.getByLabel(/^(Email|邮箱)$/).fill(ADMIN.email);
  await p.page.getByLabel(/^(Password|密码)$/).fill(ADMIN.password);
  await p.page.getByRole('button', { name: /Sign in|登录/ }).click();
  await p.page.locator('h1', { hasText: /^(Dashboard|概览|仪表盘)$/ }).waitFor();
}

/** Answers the step-up dialog with the password if it comes before target. */
async function afterStepUp(p, target) {
  const reauth = p.page.getByRole('dialog', { name: 'Confirm it is you' });
  await Promise.race([target.waitFor(), reauth.waitFor()]);
  if (await reauth.isVisible()) {
    await reauth.getByLabel('Password').fill(ADMIN.password);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await target.waitFor();
  }
}

test('add, test, turn off and on a channel in the console', async (t) => {
  if (skipWhy) return t.skip(skipWhy);
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    p.expect(/\/platform\/v1\/admin\/channels$/, 400); // the bad base URL, shown under its field
    await signIn(p);
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.locator('h1', { hasText: 'Channels' }).waitFor();
    const simRow = page.locator('tr[data-channel="sim"]');
    await simRow.locator('[data-source="config"]').waitFor();
    await simRow.locator('[data-state="on"]').waitFor();
    assert.ok((await simRow.innerText()).includes(sim.url));

    // add: a bad base URL is refused under its field; then the real one
    await page.getByRole('button', { name: 'Add channel' }).click();
    const dlg = page.getByRole('dialog', { name: 'Add a channel' });
    await dlg.getByLabel('Name').fill('backup');
    await dlg.getByLabel('Base URL').fill('ftp://example.com');
    const keyInput = dlg.getByLabel('Upstream key');
    assert.equal(await keyInput.getAttribute('type'), 'password');
    await dlg.getByText('Stored encrypted, never shown again.').waitFor();
    await keyInput.fill(UPSTREAM_KEY);
    await dlg.getByLabel('Weight').fill('2');
    await dlg.getByRole('button', { name: 'Add channel' }).click();
    const urlError = dlg.locator('[data-field="base_url"] .field-error');
    await afterStepUp(p, urlError.filter({ hasText: /base URL/ }));
    await p.shot('channels-add-error-desktop', { full: false });
    await dlg.getByLabel('Base URL').fill(sim.url);
    await dlg.getByRole('button', { name: 'Add channel' }).click();
    await dlg.waitFor({ state: 'detached' });
    await page.getByText('Channel backup added: it takes requests now.').waitFor();
    const backupRow = page.locator('tr[data-channel="backup"]');
    await backupRow.locator('[data-state="on"]').waitFor();
    await backupRow.locator('[data-source="database"]').waitFor();
    assert.ok((await backupRow.innerText()).includes('encrypted'));
    assert.ok(!(await page.content()).includes(UPSTREAM_KEY), 'the upstream key is nowhere on the page');

    // test both: status and latency beside the row
    for (const row of [simRow, backupRow]) {
      await row.getByRole('button', { name: 'Test' }).click();
      await row.locator('[data-result][data-status="200"]').waitFor();
      assert.match(await row.locator('[data-result]').innerText(), /^200 OK · \d+ ms$/);
    }
    await p.shot('channels-desktop');

    // the config channel off: the database channel added a moment ago answers
    await simRow.getByRole('button', { name: 'Turn off' }).click();
    await page.getByText('Channel sim is off: requests go to the other channels.').waitFor();
    await simRow.locator('[data-state="off"]').waitFor();
    assert.equal(await chat(), 200);

    // remove the database channel (confirmed): no channel is left, at once
    await backupRow.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog', { name: 'Remove channel backup?' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByText('Channel backup removed.').waitFor();
    await backupRow.waitFor({ state: 'detached' });
    assert.equal(await chat(), 503);

    // on again
    await simRow.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Channel sim is on.').waitFor();
    await simRow.locator('[data-state="on"]').waitFor();
    await waitFor(async () => (await chat()) === 200, 10000, 'the gateway to take requests again');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('the channels page on a phone, in Chinese', async (t) => {
  if (skipWhy) return t.skip(skipWhy);
  const p = await openPage(browser, PHONE, { locale: 'zh-CN' });
  try {
    const { page } = p;
    await signIn(p);
    await page.goto(s.url + '/console/admin/channels');
    await page.locator('h1', { hasText: '渠道' }).waitFor();
    const simRow = page.locator('tr[data-channel="sim"]');
    await simRow.getByRole('button', { name: '测试' }).click();
    await simRow.locator('[data-result][data-status="200"]').waitFor();
    await p.shot('channels-phone-zh-CN');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

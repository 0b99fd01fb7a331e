// The API keys page end to end (issue 11): create a key in the console, read
// it from the shown-once dialog, call the gateway with it (a maxgate-sim
// channel behind maxgated), edit its scopes and see the next call refused
// with the scope error, rotate it and see both keys work, revoke the old one
// and see it refused.  Screenshots of the key dialog and the list at desktop
// and phone.  Skipped while GET /platform/v1/keys answers 404 (a server
// without the key API).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, openPage, startSim, stopSim, waitFor, DESKTOP, PHONE } from './lib.mjs';

const USER = { email: 'kim@example.com', password: 'Vr6!pL3#sN9$dQ2w' };
const UPSTREAM_KEY = 'upstream-key-1';

let sim, s, browser, skipWhy = '';

before(async () => {
  sim = await startSim(UPSTREAM_KEY);
  s = new Server({
    accounts: { signup_mode: 'open' },
    mail: { outbox_dir: 'outbox' },
    'channel.sim': { region: 'global', base_url: sim.url, key_env: 'MG_E2E_SIM_KEY', weight: '1' },
  }, [], { MG_E2E_SIM_KEY: UPSTREAM_KEY });
  s.createUser(USER.email, USER.password);
  await s.start();
  const r = await fetch(s.url + '/platform/v1/keys');
  if (r.status === 404) skipWhy = 'GET /platform/v1/keys answers 404: this maxgated has no key API yet (branch wt11-keys)';
  else browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (s) await s.stop();
  await stopSim(sim);
});

/** One chat call through the gateway with the key in the header: {status, doc}. */
async function chat(key) {
  const r = await fetch(s.url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'MiniMax-M2.7', messages: [{ role: 'user', content: 'hello' }] }),
  });
  let doc = null;
  try { doc = await r.json(); } catch { /* not JSON */ }
  return { status: r.status, doc };
}

async function signIn(p) {
  await p.page.goto(s.url + '/console/login');
  await p.page.getByLabel('Email').fill(USER.email);
  await p.page.getByLabel('Password').fill(USER.password);
  await p.page.getByRole('button', { name: 'Sign in' }).click();
  await p.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
}

/** Waits for `target` (a locator); answers the step-up dialog with the password if it comes first. */
async function afterStepUp(p, target) {
  const reauth = p.page.getByRole('dialog', { name: 'Confirm it is you' });
  await Promise.race([target.waitFor(), reauth.waitFor()]);
  if (await reauth.isVisible()) {
    await reauth.getByLabel('Password').fill(USER.password);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await target.waitFor();
  }
}

/** The shown-once dialog: checks its parts, copies the key, returns it; closes it with the deliberate click. */
async function takeKey(p, shotName) {
  const dlg = p.page.locator('[data-key-dialog]');
  await afterStepUp(p, dlg);
  await dlg.getByText('You will not see this key again').waitFor();
  const key = await dlg.locator('.key-value').inputValue();
  assert.match(key, /^mgk_/);
  await dlg.getByRole('button', { name: 'Copy' }).first().click();
  await dlg.getByText('Copied.').first().waitFor();
  assert.equal(await p.page.evaluate(() => navigator.clipboard.readText()), key, 'Copy put the key on the clipboard');
  const snippets = await dlg.locator('[data-snippets]').innerText();
  assert.ok(snippets.includes(`curl ${s.url}/v1/chat/completions`), 'the curl snippet uses the console\'s base URL');
  assert.ok(snippets.includes('Authorization: Bearer ' + key));
  assert.ok(snippets.includes('maxgate --base-url ' + s.url));
  await p.page.keyboard.press('Escape');
  assert.ok(await dlg.isVisible(), 'Esc does not close the key dialog');
  if (shotName) await p.shot(shotName, { full: false });
  await dlg.getByRole('button', { name: 'I have saved the key' }).click();
  await dlg.waitFor({ state: 'detached' });
  return key;
}

test('create, use, scope, rotate and revoke a key in the console', async (t) => {
  if (skipWhy) return t.skip(skipWhy);
  const p = await openPage(browser, DESKTOP);
  await p.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.url });
  try {
    const { page } = p;
    await signIn(p);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('h1', { hasText: 'API keys' }).waitFor();
    await page.getByText('No keys yet — create one to call the API').waitFor();

    // create: name, scopes (chat and speech), no model list
    const form = page.locator('[data-create]');
    await form.getByLabel('Name').fill('production-chatbot-1');
    for (const scope of ['Video', 'Image', 'Music', 'Voice', 'Files']) await form.getByLabel(scope, { exact: true }).uncheck();
    await form.getByRole('button', { name: 'Create key' }).click();
    const key = await takeKey(p, 'keys-dialog-desktop');
    const row = page.getByRole('row', { name: /production-chatbot-1/ });
    await row.waitFor();
    assert.ok(!(await page.locator('main').innerText()).includes(key), 'the full key is not on the page after the dialog');
    const oldId = await row.getAttribute('data-key');
    assert.ok(key.includes(oldId), 'the key carries its public id');

    // use it: a real HTTP call through the gateway
    let r = await chat(key);
    assert.equal(r.status, 200, JSON.stringify(r.doc));

    // edit the scopes: speech only; the next chat call is refused with the scope error
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: /Edit key/ });
    await edit.getByLabel('Chat', { exact: true }).uncheck();
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByText('Key production-chatbot-1 updated').waitFor();
    r = await chat(key);
    assert.equal(r.status, 403, JSON.stringify(r.doc));
    assert.match(JSON.stringify(r.doc), /scope/);

    // give chat back, then rotate with the 24-hour window: both keys work, both are listed
    await row.getByRole('button', { name: 'Edit' }).click();
    await edit.getByLabel('Chat', { exact: true }).check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    assert.equal((await chat(key)).status, 200);
    await row.getByRole('button', { name: 'Rotate' }).click();
    const rot = page.getByRole('dialog', { name: /Rotate key/ });
    await rot.getByLabel('The old key keeps working for').selectOption('86400');
    await rot.getByRole('button', { name: 'Rotate' }).click();
    const dlg = page.locator('[data-key-dialog]');
    await afterStepUp(p, dlg);
    assert.ok(await dlg.locator('[data-old-end]').getAttribute('data-old-end'), 'the dialog names the old key\'s end');
    const newKey = await takeKey(p, null);
    assert.notEqual(newKey, key);
    assert.equal((await chat(newKey)).status, 200, 'the new key works');
    assert.equal((await chat(key)).status, 200, 'the old key works during the window');
    await waitFor(async () => (await page.locator('tbody tr').count()) === 2, 10000, 'both keys listed');
    const oldRow = page.locator(`tr[data-key="${oldId}"]`);
    await oldRow.locator('[data-status="expiring"]').waitFor();
    await oldRow.locator('time').nth(2).waitFor(); // created, last used or never, expires: the window's end is a date
    await p.shot('keys-list-desktop');

    // revoke the old one (the confirmation names it): refused, the new one still works
    await oldRow.getByRole('button', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke key production-chatbot-1?' });
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Key production-chatbot-1 revoked.').waitFor();
    await oldRow.locator('[data-status="revoked"]').waitFor();
    r = await chat(key);
    assert.equal(r.status, 401, JSON.stringify(r.doc));
    assert.match(JSON.stringify(r.doc), /revoked/);
    assert.equal((await chat(newKey)).status, 200);

    // the status filter
    await page.getByLabel('Status', { exact: true }).selectOption('revoked');
    assert.equal(await page.locator('tbody tr').count(), 1);
    await page.getByLabel('Status', { exact: true }).selectOption('');
    assert.equal(await page.locator('tbody tr').count(), 2);
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('the key dialog and the list on a phone', async (t) => {
  if (skipWhy) return t.skip(skipWhy);
  const p = await openPage(browser, PHONE);
  await p.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.url });
  try {
    const { page } = p;
    await signIn(p);
    await page.goto(s.url + '/console/keys');
    await page.locator('h1', { hasText: 'API keys' }).waitFor();
    const form = page.locator('[data-create]');
    await form.getByLabel('Name').fill('phone-test');
    await form.getByRole('button', { name: 'Create key' }).click();
    await takeKey(p, 'keys-dialog-phone');
    await page.getByRole('row', { name: /phone-test/ }).waitFor();
    await p.shot('keys-list-phone');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

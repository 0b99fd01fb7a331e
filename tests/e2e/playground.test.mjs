// The playground and the rest of the keys page end to end (issue 11): create a
// key, open the playground from the shown-once dialog (the key handed over in
// memory: in no URL or storage), stream a reply from maxgate-sim behind
// maxgated (the text arrives in pieces), see the tokens and the cost the
// usage log recorded; a wrong key's 401 and a speech-only key's 403 are shown
// beside Send in plain words; the limit fields convert "5.00" into exact
// micros; and after 91 days on the server's test clock an unused key carries
// the "Unused 90 days" flag and a fresh one does not.  Screenshots of the playground at desktop and phone.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, openPage, startSim, stopSim, advanceClock, waitFor, DESKTOP, PHONE } from './lib.mjs';

const USER = { email: 'pat@example.com', password: 'Qm4!vT8#rW2$zK6p' };
const UPSTREAM_KEY = 'upstream-key-pg';
const DAY_MS = 24 * 3600 * 1000;

let sim, s, browser;

before(async () => {
  sim = await startSim(UPSTREAM_KEY);
  s = new Server({
    accounts: { signup_mode: 'open' },
    mail: { outbox_dir: 'outbox' },
    'channel.sim': { region: 'global', base_url: sim.url, key_env: 'MG_E2E_SIM_KEY', weight: '1' },
  }, [], { MG_E2E_SIM_KEY: UPSTREAM_KEY, MG_TEST_CLOCK: '1' });
  s.createUser(USER.email, USER.password);
  // a key's own cap is in the professional plan (AC-11)
  s.run('admin', 'accounts', 'set', '--email', USER.email, '--plan', 'professional');
  await s.start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (s) await s.stop();
  await stopSim(sim);
});

async function signIn(p) {
  await p.page.goto(s.url + '/console/login');
  await p.page.getByLabel('Email').fill(USER.email);
  await p.page.getByLabel('Password').fill(USER.password);
  await p.page.getByRole('button', { name: 'Sign in' }).click();
  await p.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
}

/** Waits for `target`; answers the step-up dialog with the password if it comes first. */
async function afterStepUp(p, target) {
  const reauth = p.page.getByRole('dialog', { name: 'Confirm it is you' });
  await Promise.race([target.waitFor(), reauth.waitFor()]);
  if (await reauth.isVisible()) {
    await reauth.getByLabel('Password').fill(USER.password);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await target.waitFor();
  }
}

/** Creates a key on the keys page; returns {dlg, key} with the shown-once dialog open. */
async function createKey(p, name, fill = {}) {
  const { page } = p;
  if (!page.url().endsWith('/console/keys')) {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('h1', { hasText: 'API keys' }).waitFor();
  }
  const form = page.locator('[data-create]');
  await form.getByLabel('Name').fill(name);
  for (const [label, value] of Object.entries(fill)) await form.getByLabel(label).fill(value);
  await form.getByRole('button', { name: 'Create key' }).click();
  const dlg = page.locator('[data-key-dialog]');
  await afterStepUp(p, dlg);
  return { dlg, key: await dlg.locator('.key-value').inputValue() };
}

/** Everything the page keeps: its address and both storages. */
const kept = (page) => page.evaluate(() => location.href + JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));

test('the playground from the create dialog: a streamed reply, its tokens and its cost; a wrong key refused beside Send', async () => {
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    // the simulator paces its chunks when asked: 8 pieces 120 ms apart, so the stream is seen growing
    await page.route('**/v1/chat/completions', (route) => route.continue({
      headers: { ...route.request().headers(), 'x-sim-delay-ms': '120', 'x-sim-tokens': '8' } }));
    await signIn(p);
    const { dlg, key } = await createKey(p, 'playground-key');
    assert.match(key, /^mgk_/);
    await dlg.getByRole('button', { name: 'Try it in the playground' }).click();
    await page.locator('h1', { hasText: 'Playground' }).waitFor();
    const keyBox = page.getByLabel('API key');
    assert.equal(await keyBox.inputValue(), key, 'the key came over in memory');
    assert.equal(await keyBox.getAttribute('type'), 'password');
    assert.ok(!(await kept(page)).includes(key), 'the key is in no URL, localStorage or sessionStorage');
    assert.ok(!(await page.content()).includes(key), 'the key is not in the page\'s markup');

    // the model list is the gateway's GET /v1/models, called with the key
    await page.locator('#' + (await page.getByLabel('Model', { exact: true }).getAttribute('id')) + ' option[value="MiniMax-M3"]').waitFor({ state: 'attached' });
    await page.getByLabel('Model', { exact: true }).selectOption('MiniMax-M2.7');
    await page.getByLabel('Message', { exact: true }).fill('Say hello');
    const snippets = await page.locator('[data-snippets]').innerText();
    assert.ok(snippets.includes('Authorization: Bearer $MAXGATE_API_KEY') && snippets.includes(`curl -N ${s.url}/v1/chat/completions`));
    assert.ok(snippets.includes(`maxgate --base-url ${s.url} text chat --model MiniMax-M2.7 --stream --message 'Say hello'`));
    assert.ok(!snippets.includes(key), 'the snippets never show the real key');

    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('[data-answer]');
    const partial = await waitFor(async () => {
      const [state, text] = await Promise.all([answer.getAttribute('data-state'), answer.innerText()]);
      return state === 'streaming' && text.trim() ? text : null;
    }, 10000, 'a part of the answer while the stream is open');
    await page.locator('[data-answer][data-state="done"]').waitFor();
    const whole = await answer.innerText();
    assert.ok(whole.startsWith(partial) && whole.length > partial.length, `the answer grew after "${partial}": "${whole}"`);
    assert.match(await page.locator('[data-tokens]').innerText(), /^Tokens: [1-9]\d* prompt, [1-9]\d* completion\.$/);
    await page.locator('[data-cost]', { hasText: 'Billed' }).waitFor({ timeout: 10000 });
    assert.match(await page.locator('[data-cost]').innerText(), /^Billed \$\d+\.\d{2,6} \(request [\w-]+\)\.$/);
    assert.equal(await page.locator('[data-send-error]').innerText(), '');
    await p.shot('playground-desktop');

    // a wrong key: the gateway's 401 in plain words beside the button
    p.expect(/\/v1\/(models|chat\/completions)$/, 401);
    await keyBox.fill('mgk_gl_' + 'x'.repeat(50));
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('[data-send-error]', { hasText: 'This key was not accepted' }).waitFor();
    await p.shot('playground-wrong-key');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('a key without the chat scope: the 403 in plain words beside Send', async () => {
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    await signIn(p);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('h1', { hasText: 'API keys' }).waitFor();
    const form = page.locator('[data-create]');
    for (const scope of ['Chat', 'Video', 'Image', 'Music', 'Voice', 'Files']) await form.getByLabel(scope, { exact: true }).uncheck();
    const { dlg } = await createKey(p, 'speech-only');
    p.expect(/\/v1\/(models|chat\/completions)$/, 403); // the model list is refused too, at once
    await dlg.getByRole('button', { name: 'Try it in the playground' }).click();
    await page.locator('h1', { hasText: 'Playground' }).waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('[data-send-error]', { hasText: 'This key may not make this call' }).waitFor();
    assert.equal(await page.locator('[data-answer]').getAttribute('data-state'), 'failed');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('the playground on a phone, in English and Chinese', async () => {
  const p = await openPage(browser, PHONE);
  try {
    const { page } = p;
    await signIn(p);
    await page.goto(s.url + '/console/playground');
    await page.locator('h1', { hasText: 'Playground' }).waitFor();
    assert.equal(await page.getByLabel('API key').inputValue(), '', 'nothing held over from another page load');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('Paste an API key first.').waitFor();
    await p.shot('playground-phone');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.locator('#sidebar').getByRole('button', { name: '简体中文' }).click();
    await page.locator('h1', { hasText: '在线试用' }).waitFor();
    await p.shot('playground-phone-zh-CN');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('key limits: the cap typed as 5.00 is sent as exact integer micros; a malformed one is refused under its field', async () => {
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    await signIn(p);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('h1', { hasText: 'API keys' }).waitFor();
    const form = page.locator('[data-create]');
    await form.getByLabel('Name').fill('limited');
    await form.getByLabel('Spending cap').fill('5.1234567');
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.locator('[data-field="cap_micros"] .field-error', { hasText: 'at most 6 decimals' }).waitFor();
    await form.getByLabel('Spending cap').fill('0.29');
    await form.getByLabel('Requests per minute').fill('0');
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.locator('[data-field="rpm"] .field-error', { hasText: 'whole number' }).waitFor();

    const sent = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/platform/v1/keys')) sent.push(JSON.parse(r.postData())); });
    await form.getByLabel('Requests per minute').fill('60');
    await form.getByLabel('Tokens per minute').fill('');
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/platform/v1/keys'));
    await form.getByRole('button', { name: 'Create key' }).click();
    const res = await answered;
    assert.equal(sent.length, 1);
    assert.equal(sent[0].cap_micros, 290000, '0.29 is 290000 micros exactly (no 289999.99…)');
    assert.equal(sent[0].rpm, 60);
    assert.ok(!('tpm' in sent[0]), 'an empty limit is not sent on create');
    assert.equal(res.status(), 201);
    const dlg = page.locator('[data-key-dialog]');
    await afterStepUp(p, dlg);
    await dlg.getByRole('button', { name: 'I have saved the key' }).click();
    const row = page.getByRole('row', { name: /limited/ });
    assert.match(await row.locator('[data-limits]').innerText(), /60 req\/min · cap \$0\.29/);
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('after 91 days an unused key is flagged on the keys page, a fresh one is not', async () => {
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    await signIn(p);
    const { dlg } = await createKey(p, 'dusty-key');
    await dlg.getByRole('button', { name: 'I have saved the key' }).click();
    const dusty = page.getByRole('row', { name: /dusty-key/ });
    await dusty.waitFor();
    assert.equal(await dusty.locator('[data-unused]').count(), 0, 'a new key is not flagged');

    await advanceClock(s, 91 * DAY_MS); // every session has ended by now too
    await signIn(p);
    const { dlg: again } = await createKey(p, 'fresh-key');
    await again.getByRole('button', { name: 'I have saved the key' }).click();
    await page.getByText('Key fresh-key created.').waitFor(); // the list has reloaded
    await page.goto(s.url + '/console/keys'); // and once more from scratch
    await page.locator('h1', { hasText: 'API keys' }).waitFor();
    await dusty.locator('[data-unused]', { hasText: 'Unused 90 days' }).waitFor();
    const fresh = page.getByRole('row', { name: /fresh-key/ });
    await fresh.waitFor();
    assert.equal(await fresh.locator('[data-unused]').count(), 0, 'the fresh key carries no flag');
    await p.shot('keys-unused-flag');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

// Usage & billing end to end (issue 12): usage made with a key through the
// gateway (a maxgate-sim channel behind maxgated) shows on the page — month to
// date, projected with its sentence, the daily chart and the breakdown with
// their tables — and the numbers and bars move after more usage (waiting with
// a deadline for the usage writer, never sleeping); a request is found in the
// usage log by its x-request-id; the CSV export holds it; each request shows
// its latency, and the "Async tasks" view a video task's state from Submitted
// to Succeeded (or Failed) as it is queried.  The cap and alert
// controls run against GET/PUT /billing/cap and /billing/alerts when this
// server has them (the lead's part of the issue), else that test is a todo
// naming the dependency.  Screenshots at desktop and phone, in both languages.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Server, launch, openPage, startSim, stopSim, waitFor, DESKTOP, PHONE } from './lib.mjs';

const USER = { email: 'lin@example.com', password: 'Qm4!tR8#vK2$wZ7p' };
const FREE = { email: 'free@example.com', password: 'Hx5!nB3#cJ9$yT6q' };
const ADMIN = { email: 'ops@example.com', password: 'Pk7!dW2#mF5$rL8s' };
const UPSTREAM_KEY = 'upstream-key-billing';
const API = '/platform/v1';
const WAIT_MS = 15000;

let sim, s, browser, token, apiKey, keyId, hasCapApi = false;

async function call(method, path, body, bearer = token) {
  const r = await fetch(s.url + API + path, {
    method, headers: { 'Content-Type': 'application/json', ...(bearer ? { Authorization: 'Bearer ' + bearer } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let doc = null;
  try { doc = await r.json(); } catch { /* not JSON */ }
  return { status: r.status, doc };
}

async function sessionOf(u) {
  const r = await call('POST', '/login', { email: u.email, password: u.password }, null);
  assert.equal(r.status, 200, JSON.stringify(r.doc));
  return r.doc.session.token;
}

/** One chat through the gateway: its x-request-id. */
async function chat(key, content = 'hello') {
  const r = await fetch(s.url + '/v1/chat/completions', {
    method: 'POST', headers: { 'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'MiniMax-M2.7', messages: [{ role: 'user', content }] }),
  });
  await r.text();
  assert.equal(r.status, 200);
  return r.headers.get('x-request-id');
}

/** Waits until the usage log (the writer) has n events. */
async function logged(n) {
  await waitFor(async () => ((await call('GET', '/usage/log?limit=200')).doc.events || []).length >= n, WAIT_MS, `${n} usage events`);
}

before(async () => {
  sim = await startSim(UPSTREAM_KEY);
  s = new Server({
    accounts: { signup_mode: 'open', reauth_minutes: '60' },
    mail: { outbox_dir: 'outbox' },
    'channel.sim': { region: 'global', base_url: sim.url, key_env: 'MG_E2E_SIM_KEY', weight: '1' },
  }, [], { MG_E2E_SIM_KEY: UPSTREAM_KEY });
  s.createUser(USER.email, USER.password);
  s.createUser(FREE.email, FREE.password);
  s.createUser(ADMIN.email, ADMIN.password, { admin: true });
  await s.start();
  token = await sessionOf(USER);
  const k = await call('POST', '/keys', { name: 'billing-e2e' });
  assert.equal(k.status, 201, JSON.stringify(k.doc));
  apiKey = k.doc.key;
  keyId = k.doc.id;
  hasCapApi = (await call('GET', '/billing/cap')).status !== 404;
  // the main account is on the professional plan (caps and alerts); FREE stays on free
  const admin = await sessionOf(ADMIN);
  const found = await call('GET', '/admin/accounts?q=' + encodeURIComponent(USER.email), undefined, admin);
  const id = (found.doc.accounts || found.doc.items || [])[0].id;
  assert.equal((await call('PATCH', '/admin/accounts/' + id, { plan: 'professional' }, admin)).status, 200);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (s) await s.stop();
  await stopSim(sim);
});

async function signIn(p, u = USER) {
  await p.page.goto(s.url + '/console/login');
  await p.page.locator('input[name=email]').fill(u.email);
  await p.page.locator('input[name=password]').fill(u.password);
  await p.page.locator('form button[type=submit]').click();
  await p.page.locator('.topbar').waitFor();
}

const amount = async (page, name) => page.locator(`[data-figure="${name}"] .amount`).innerText();
const micros = async (page, name) => Number(await page.locator(`[data-figure="${name}"] .amount`).getAttribute('data-micros'));

test('the month, the charts and the usage log follow the usage', async () => {
  const p = await openPage(browser, DESKTOP);
  if (!hasCapApi) p.expect(/\/platform\/v1\/billing\/cap$/, 404);
  try {
    const { page } = p;
    const oldest = await chat(apiKey, 'first');
    await logged(1);
    await signIn(p);
    await page.getByRole('link', { name: 'Usage & billing' }).click();
    await page.locator('h1', { hasText: 'Usage & billing' }).waitFor();
    await page.locator('[data-figure="mtd"] .amount').waitFor();
    const before1 = await micros(page, 'mtd');
    assert.ok(before1 > 0, 'the first chat is in the month to date');
    assert.match(await amount(page, 'mtd'), /^\$0\.\d*[1-9]/); // a small amount shows its digits, not $0.00
    const how = await page.locator('[data-figure="projected"] .how').innerText();
    assert.match(how, /A straight line through the month so far: .* × \d+ days ÷ [\d.]+ days elapsed\.|Not enough of the month yet/);
    // the charts: role img with a label, and the table of the same numbers
    const daily = page.locator('[data-daily] svg[role="img"]');
    assert.match(await daily.getAttribute('aria-label'), /^Spend by day\. /);
    const bars = page.locator('[data-daily] .chart-bar');
    const sumBars = async () => (await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))))).reduce((a, b) => a + b, 0);
    const spent1 = await sumBars();
    assert.ok(spent1 > 0, 'a bar for today');
    assert.ok(await page.locator('[data-daily] table').getByRole('row').count() >= 29, 'the table lists every day');
    const by = page.locator('[data-breakdown]');
    await by.getByRole('cell', { name: 'Chat' }).waitFor();
    assert.match(await by.locator('svg').getAttribute('aria-label'), /^By service\. 1 rows; the largest is Chat/);
    await page.getByRole('button', { name: 'By API key' }).click();
    await by.getByRole('cell', { name: `billing-e2e (${keyId})` }).waitFor();
    await page.getByRole('button', { name: 'By model' }).click();
    await by.getByRole('cell', { name: 'MiniMax-M2.7' }).waitFor();
    await p.shot('billing-desktop');

    // more usage: the numbers and the bars move (Refresh until the writer has it, with a deadline)
    const rids = [await chat(apiKey, 'second, a little longer'), await chat(apiKey, 'third')];
    await logged(3);
    await waitFor(async () => {
      await page.locator('[data-refresh]').click();
      return (await micros(page, 'mtd')) > before1 && (await sumBars()) > spent1;
    }, WAIT_MS, 'the month to date and the daily bars to grow');

    // the usage log: find the request by its x-request-id, then export CSV
    await page.getByRole('link', { name: 'Open the usage log' }).click();
    await page.locator('h1', { hasText: 'Usage log' }).waitFor();
    await page.locator('[data-log] table').waitFor();
    assert.equal(await page.locator('[data-log] tbody tr').count(), 3);
    await page.getByLabel('Request id').fill(rids[0]);
    await page.getByRole('button', { name: 'Show' }).click();
    const rows = page.locator('[data-log] tbody tr');
    await waitFor(async () => (await rows.count()) === 1, WAIT_MS, 'the one request with this id'); // the list of 3 was there before
    assert.equal(await rows.locator(`[data-request-id="${rids[0]}"]`).count(), 1);
    await page.getByLabel('Request id').fill('nosuchrequest');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('No request of this account has this id').waitFor();
    await page.getByLabel('Request id').fill('');
    await page.getByRole('button', { name: 'Show' }).click();
    await waitFor(async () => (await rows.count()) === 3, WAIT_MS, 'all three again');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    assert.match(download.suggestedFilename(), /^maxgate-usage-\d{4}-\d{2}-\d{2}\.csv$/);
    assert.ok(text.startsWith('request_id,time,key,model,service,route,'), text.slice(0, 80));
    for (const r of rids) assert.ok(text.includes(r + ','), 'the export holds ' + r);
    assert.equal(text.trim().split('\r\n').length, 4);
    await p.shot('billing-log-desktop');

    // a page is 50 events: 51 in all show 50, then "Load more" shows the last one and goes away
    for (let i = 0; i < 6; i++) await Promise.all(Array.from({ length: 8 }, (_, j) => chat(apiKey, `batch ${i}.${j}`)));
    await logged(51);
    await page.getByRole('button', { name: 'Show' }).click();
    await waitFor(async () => (await page.locator('[data-log] tbody tr').count()) === 50, WAIT_MS, 'the first page of 50');
    assert.equal(await page.locator(`[data-request-id="${oldest}"]`).count(), 0, 'the oldest is not on the first page');
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitFor(async () => (await page.locator('[data-log] tbody tr').count()) === 51, WAIT_MS, 'the 51st event');
    await page.locator(`[data-request-id="${oldest}"]`).waitFor(); // the oldest, on the second page
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

/** A video task through the gateway: its task id. */
async function video(key, body = { model: 'MiniMax-Hailuo-2.3', prompt: 'a cat', duration: 6, resolution: '768P' }) {
  const r = await fetch(s.url + '/v1/video_generation', {
    method: 'POST', headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const doc = await r.json();
  assert.equal(r.status, 200, JSON.stringify(doc));
  return doc.task_id;
}

/** One query of a video task through the gateway: the status it answered. */
async function queryVideo(key, task) {
  const r = await fetch(s.url + '/v1/query/video_generation?task_id=' + encodeURIComponent(task), { headers: { Authorization: 'Bearer ' + key } });
  return (await r.json()).status;
}

test('the usage log shows each request\'s latency, and the async tasks with their state', async () => {
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    await signIn(p);
    await page.goto(s.url + '/console/billing/log');
    await page.locator('[data-log] table').waitFor();
    // the Latency column: every row says its latency in words a person reads ("340 ms", "1.2 s")
    assert.ok((await page.locator('[data-log] thead th').allInnerTexts()).includes('Latency'));
    const cells = page.locator('[data-log] tbody [data-latency-ms]');
    assert.ok((await cells.count()) > 0);
    for (const c of (await cells.all()).slice(0, 10)) {
      const ms = Number(await c.getAttribute('data-latency-ms'));
      assert.ok(ms >= 0);
      assert.match(await c.innerText(), ms < 1000 ? /^\d[\d,]* ms$/ : /^\d[\d,]*(\.\d)? s$/);
    }
    // a video task: Submitted until it is queried, then each state the gateway saw, with its word on the tag
    const task = await video(apiKey);
    const failed = await video(apiKey, { model: 'MiniMax-Hailuo-2.3', prompt: 'please fail' });
    await page.getByRole('button', { name: 'Async tasks' }).click();
    assert.equal(await page.getByRole('button', { name: 'Async tasks' }).getAttribute('aria-pressed'), 'true');
    assert.ok(await page.locator('[data-log-filters]').isHidden(), 'the request filters are not the tasks\' filters');
    const tasks = page.locator('[data-tasks]');
    const row = tasks.locator('tbody tr', { has: page.locator(`[data-task-id="${task}"]`) });
    await row.waitFor();
    assert.equal(await row.locator('[data-state]').innerText(), 'Submitted');
    assert.ok((await row.innerText()).includes('6 s · 768P'));
    assert.ok((await row.innerText()).includes(keyId));
    assert.ok((await row.innerText()).includes('MiniMax-Hailuo-2.3'));
    for (let i = 0; i < 4; i++) { await queryVideo(apiKey, task); await queryVideo(apiKey, failed); }
    await waitFor(async () => {
      await page.locator('[data-tasks-refresh]').click();
      return (await row.locator('[data-state]').innerText()) === 'Succeeded' && (await row.innerText()).includes('Billed');
    }, WAIT_MS, 'the task to say Succeeded and Billed');
    assert.match(await row.locator('[data-state]').getAttribute('title'), /^since \w{3} \d+, \d{4}/); // when it was first seen so
    const failedRow = tasks.locator('tbody tr', { has: page.locator(`[data-task-id="${failed}"]`) });
    assert.equal(await failedRow.locator('[data-state]').innerText(), 'Failed');
    assert.ok((await failedRow.innerText()).includes('Not billed'));
    assert.equal(await tasks.locator('tbody tr').count(), 2);
    // the filters: no speech task here (and the way back said), both videos of this key
    const tf = page.locator('[data-tasks-filters]');
    await tf.getByLabel('Kind').selectOption('speech');
    await tf.getByRole('button', { name: 'Show' }).click();
    await tasks.getByText('No task matches these filters. Choose Any to see them all.').waitFor();
    await tf.getByLabel('Kind').selectOption('video');
    await tf.getByLabel('Key').selectOption(keyId);
    await tf.getByRole('button', { name: 'Show' }).click();
    await failedRow.waitFor();
    assert.equal(await tasks.locator('tbody tr').count(), 2);
    await p.shot('billing-tasks-desktop');
    // back to the requests: the video's bill with its length and resolution in its usage
    await page.getByRole('button', { name: 'Requests' }).click();
    await page.locator('[data-log-filters]').waitFor();
    await page.getByLabel('Request id').fill('video-' + task);
    await page.getByRole('button', { name: 'Show' }).click();
    const billed = page.locator(`[data-log] [data-request-id="video-${task}"]`);
    await billed.waitFor();
    assert.equal(await page.locator('[data-log] tbody tr').count(), 1);
    assert.ok((await page.locator('[data-log] tbody tr').innerText()).includes('6 s · 768P'));
    await p.shot('billing-log-latency-desktop');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('the page on a phone, in Chinese, in the dark', async () => {
  const p = await openPage(browser, PHONE, { locale: 'zh-CN', colorScheme: 'dark' });
  if (!hasCapApi) p.expect(/\/platform\/v1\/billing\/cap$/, 404);
  try {
    const { page } = p;
    await signIn(p);
    await page.goto(s.url + '/console/billing');
    await page.locator('h1', { hasText: '用量与账单' }).waitFor();
    await page.locator('[data-daily] svg[role="img"]').waitFor();
    assert.match(await page.locator('[data-daily] svg').getAttribute('aria-label'), /^每日消费。|^每日消费\. /);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, 'nothing wider than the phone: ' + width);
    await p.shot('billing-phone-zh');
    await page.goto(s.url + '/console/billing/log');
    await page.locator('[data-log] table').waitFor();
    await p.shot('billing-log-phone-zh', { full: false }); // the top: the filters and the first rows
    await page.getByRole('button', { name: '异步任务' }).click();
    await page.locator('[data-tasks] table').waitFor();
    await page.locator('[data-tasks] [data-state="success"]', { hasText: '成功' }).waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, 'the tasks fit the phone: ' + wide);
    await p.shot('billing-tasks-phone-zh');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('the cap and alerts, and the plan gate', async (t) => {
  if (!hasCapApi) {
    t.todo('needs GET/PUT /platform/v1/billing/cap and GET/POST/DELETE /billing/alerts (the lead\'s src/platform/h_billing.c), not on this branch yet');
    return;
  }
  const p = await openPage(browser, DESKTOP);
  p.expect(/\/platform\/v1\/billing\/(cap|alerts)$/, 403); // step-up (reauth_required) and the free plan's gate
  p.expect(/\/platform\/v1\/billing\/alerts$/, 409);
  try {
    const { page } = p;
    await signIn(p);
    await page.goto(s.url + '/console/billing');
    const cap = page.locator('[data-cap]');
    // an alert before any cap: "set a cap first"
    await cap.locator('[data-alert-form]').getByRole('button', { name: 'Add alert' }).click();
    await cap.getByText('Set a cap first').waitFor();
    await cap.getByLabel('Monthly cap (USD)').fill('25.00');
    await cap.getByRole('button', { name: 'Save cap' }).click();
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' });
    const facts = cap.locator('[data-cap-facts]');
    await Promise.race([facts.getByText('$25.00').first().waitFor(), reauth.waitFor()]);
    if (await reauth.isVisible()) {
      await reauth.getByLabel('Password').fill(USER.password);
      await reauth.getByRole('button', { name: 'Confirm' }).click();
    }
    await facts.getByText('$25.00').first().waitFor();
    await page.locator('[data-figure="cap"] .amount', { hasText: '$25.00' }).waitFor();
    await cap.getByLabel('Threshold (% of the cap)').fill('80');
    await cap.locator('[data-alert-form]').getByRole('button', { name: 'Add alert' }).click();
    const row = cap.getByRole('row', { name: /80%/ });
    await row.waitFor();
    await p.shot('billing-cap-desktop');
    await row.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: /Delete the alert at 80% of the cap for All services/ });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await cap.getByText('No alerts yet').waitFor();
    assert.equal(await cap.getByLabel('Monthly cap (USD)').inputValue(), '25.00');
    // remove the cap (confirmed by name; step-up is still fresh): no cap, on the figures too
    await cap.getByRole('button', { name: 'Remove cap' }).click();
    await page.getByRole('dialog', { name: 'Remove the monthly cap?' }).getByRole('button', { name: 'Remove cap' }).click();
    await facts.getByText('No cap').waitFor();
    await page.locator('[data-figure="cap"] .amount', { hasText: 'No cap' }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
  // the free plan: the gate, said plainly next to the controls
  const f = await openPage(browser, DESKTOP);
  f.expect(/\/platform\/v1\/billing\/(cap|alerts)$/, 403);
  try {
    await signIn(f, FREE);
    await f.page.goto(s.url + '/console/billing');
    const cap = f.page.locator('[data-cap]');
    await cap.locator('[data-plan-gate]').getByText('Spending caps and alerts are part of the Professional plan').waitFor();
    await cap.getByLabel('Monthly cap (USD)').fill('10.00');
    await cap.getByRole('button', { name: 'Save cap' }).click();
    await cap.locator('[data-cap-form] .field-error', { hasText: 'part of the Professional plan' }).waitFor(); // the API's plan_required
    await f.shot('billing-plan-gate');
    assert.deepEqual(f.problems(), []);
  } finally { await f.close(); }
});

test('spending past an alert lights the bell and the notification says so', async () => {
  // a cap of 1.00 (set through the API: the console's own cap form is tested above) and, in the
  // console, an in-app alert at 1 %; two answers of 5,000 output tokens (~0.006 each) pass it
  assert.equal((await call('PUT', '/billing/cap', { cap_micros: 1000000 })).status, 200);
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    await signIn(p);
    await page.goto(s.url + '/console/billing');
    const cap = page.locator('[data-cap]');
    const form = cap.locator('[data-alert-form]');
    await form.getByLabel('Threshold (% of the cap)').fill('1');
    await form.getByLabel('Email').uncheck();
    await form.getByRole('button', { name: 'Add alert' }).click();
    await cap.getByRole('row', { name: /1%/ }).waitFor();
    for (let i = 0; i < 2; i++) {
      const r = await fetch(s.url + '/v1/chat/completions', {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + apiKey, 'Content-Type': 'application/json', 'x-sim-tokens': '5000' },
        body: JSON.stringify({ model: 'MiniMax-M2.7', max_tokens: 6000, messages: [{ role: 'user', content: 'long' }] }),
      });
      await r.text();
      assert.equal(r.status, 200);
    }
    // the usage writer fires the alert a moment later: the bell shows it on the next page load
    const bell = page.locator('a.bell .badge');
    await waitFor(async () => {
      await page.goto(s.url + '/console/billing');
      await page.locator('.topbar').waitFor();
      return (await bell.count()) > 0;
    }, WAIT_MS, 'the bell\'s badge');
    await page.locator('a.bell').click();
    await page.getByText(/reached 1 % of your monthly cap/).first().waitFor();
    await p.shot('alert-notification');
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

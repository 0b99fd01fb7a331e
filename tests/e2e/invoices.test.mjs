// Invoices end to end (issue 12): usage through the gateway (a maxgate-sim
// channel behind maxgated), the test clock moved past the month's end, the
// month closed through the admin API; the customer sees the invoice on
// Usage & billing > Invoices and downloads its PDF (read back with
// pdftotext); the admin records a partial and then the remaining payment on
// Admin > Invoices (an overpayment is refused under the amount) and the
// status turns paid, for the customer too.  Screenshots at desktop and phone.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Server, REPO, launch, openPage, waitFor, DESKTOP, PHONE } from './lib.mjs';

const BIN = path.resolve(process.env.MG_BIN_DIR || path.join(REPO, 'build', 'asan', 'bin'));
const USER = { email: 'ines@example.com', password: 'Qw7!rT2#mK8$zX4p' };
const ADMIN = { email: 'root@example.com', password: 'Ad9!nM4#tQ6$wE2r' };
const UPSTREAM_KEY = 'upstream-key-1';

let sim, s, browser;

function startSim() {
  const proc = spawn(path.join(BIN, 'maxgate-sim'), ['--listen', '127.0.0.1:0', '--region', 'global', '--key', UPSTREAM_KEY],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1' } });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', () => {});
  return waitFor(() => {
    if (proc.exitCode !== null) throw new Error('maxgate-sim exited early');
    const m = /(http:\/\/[0-9.]+:\d+)/.exec(out);
    return m && { proc, url: m[1] };
  }, 30000, 'maxgate-sim to listen');
}

before(async () => {
  sim = await startSim();
  s = new Server({
    accounts: { signup_mode: 'open' },
    mail: { outbox_dir: 'outbox' },
    billing: { issuer_name: 'Example Gateway Ltd', issuer_address: '1 High Street\\nLondon', currency: 'USD',
      bank_details: 'Sort code 12-34-56, account 12345678', check_interval_ms: '86400000' },
    // dear enough that a few calls cost more than a cent
    'price.MiniMax-M2.7': { input_per_mtok: '20000', output_per_mtok: '30000' },
    'channel.sim': { region: 'global', base_url: sim.url, key_env: 'MG_E2E_SIM_KEY', weight: '1' },
  }, [], { MG_E2E_SIM_KEY: UPSTREAM_KEY, MG_TEST_CLOCK: '1' });
  s.createUser(USER.email, USER.password);
  s.createUser(ADMIN.email, ADMIN.password, { admin: true });
  await s.start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (s) await s.stop();
  if (sim) { sim.proc.kill('SIGTERM'); await new Promise((r) => (sim.proc.exitCode !== null ? r() : sim.proc.once('exit', r))); }
});

async function api(method, p, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const r = await fetch(s.url + '/platform/v1' + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, doc: text ? JSON.parse(text) : null };
}

async function signIn(p, who) {
  await p.page.goto(s.url + '/console/login');
  await p.page.getByLabel('Email').fill(who.email);
  await p.page.getByLabel('Password').fill(who.password);
  await p.page.getByRole('button', { name: 'Sign in' }).click();
  await p.page.locator('h1', { hasText: 'Dashboard' }).waitFor();
}

/** The next month's first millisecond (UTC) after ms. */
function nextMonth(ms) {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

test('usage, close, the customer downloads the PDF, the admin records payments until it is paid', async () => {
  // usage in this month: three chat calls with a key made by the operator
  const key = s.run('admin', 'key', 'create', '--email', USER.email, '--name', 'e2e').trim();
  await waitFor(async () => (await fetch(s.url + '/v1/token_plan/remains', { headers: { Authorization: 'Bearer ' + key } })).status === 200,
    10000, 'the key at the gateway');
  for (let i = 0; i < 3; i++) {
    const r = await fetch(s.url + '/v1/chat/completions', { method: 'POST',
      headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'MiniMax-M2.7', messages: [{ role: 'user', content: 'hello '.repeat(i + 1) }] }) });
    assert.equal(r.status, 200, await r.text());
  }
  const events = await waitFor(() => {
    const rows = s.run('admin', 'usage', 'list', '--json').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return rows.length >= 3 && rows;
  }, 15000, 'the three usage events');
  const total = events.reduce((a, e) => a + e.cost_micros, 0);
  const ts = Math.max(...events.map((e) => e.ts_ms));
  const period = new Date(ts).toISOString().slice(0, 7);

  // the clock past the month's end, then the admin API closes it
  assert.equal((await api('POST', '/test/clock', { advance_ms: nextMonth(ts) - ts + 3600 * 1000 })).status, 204);
  const login = await api('POST', '/login', { email: ADMIN.email, password: ADMIN.password });
  assert.equal(login.status, 200, JSON.stringify(login.doc));
  const token = login.doc.session.token;
  const closed = await api('POST', '/admin/invoices/close', { period }, token);
  assert.equal(closed.status, 200, JSON.stringify(closed.doc));
  assert.equal(closed.doc.issued, 1);
  const inv = closed.doc.invoices[0];
  assert.equal(inv.total_micros, total, 'the invoice total is the sum of the usage events');

  // the customer: Usage & billing > Invoices, the PDF
  const c = await openPage(browser, DESKTOP);
  try {
    await signIn(c, USER);
    await c.page.getByRole('link', { name: 'Invoices' }).click();
    await c.page.locator('h1', { hasText: 'Invoices' }).waitFor();
    const row = c.page.getByRole('row', { name: new RegExp(inv.number) });
    await row.waitFor();
    await row.locator('[data-status="open"]').waitFor();
    assert.ok((await row.innerText()).includes(period));
    const [download] = await Promise.all([c.page.waitForEvent('download'), row.getByRole('link', { name: `Download invoice ${inv.number} as PDF` }).click()]);
    assert.equal(download.suggestedFilename(), inv.number + '.pdf');
    const file = await download.path();
    assert.equal(readFileSync(file).subarray(0, 5).toString(), '%PDF-');
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const want of [inv.number, 'Example Gateway Ltd', 'London', 'MiniMax-M2.7', 'Sort code 12-34-56'])
      assert.ok(text.includes(want), `the PDF shows ${want}`);
    // how to pay (BL-7): the terms and the bank details on file, beside the list
    const pay = c.page.locator('[data-how-to-pay]');
    await pay.getByRole('heading', { name: 'How to pay' }).waitFor();
    await pay.locator('[data-method="bank_transfer"]', { hasText: 'Sort code 12-34-56, account 12345678' }).waitFor();
    assert.match(await pay.innerText(), /Invoices are due on receipt/);
    assert.match(await pay.innerText(), /invoice number as the reference/);
    await c.shot('invoices-desktop');
    assert.deepEqual(c.problems(), []);
  } finally { await c.context.close(); }

  // the admin: Admin > Invoices, a partial payment, an overpayment refused, the rest: paid
  const a = await openPage(browser, DESKTOP);
  a.expect(/\/admin\/invoices\/\d+\/payments$/, 409);
  try {
    await signIn(a, ADMIN);
    await a.page.getByRole('link', { name: 'Invoices' }).last().click();
    await a.page.locator('h1', { hasText: 'Invoices' }).waitFor();
    const row = a.page.getByRole('row', { name: new RegExp(inv.number) });
    await row.waitFor();
    const detail = await api('GET', '/admin/invoices/' + inv.id, undefined, token);
    const due = detail.doc.amount_due_micros;
    assert.ok(due >= 20000, 'at least two cents are due');
    const pay = async (amount, reference) => {
      await row.getByRole('button', { name: 'Record payment' }).click();
      const dlg = a.page.getByRole('dialog', { name: `Record a payment for ${inv.number}` });
      await dlg.getByLabel(/^Amount/).fill(amount);
      await dlg.getByLabel('Reference').fill(reference);
      await dlg.getByRole('button', { name: 'Record payment' }).click();
      return dlg;
    };
    const cents = (m) => (m / 1e6).toFixed(2);
    const half = Math.floor(due / 20000) * 10000;
    let dlg = await pay(cents(half), 'BANK-1');
    await dlg.waitFor({ state: 'detached' });
    await row.locator('[data-status="open"]').waitFor();
    dlg = await pay(cents(due - half + 10000), 'BANK-X');
    await dlg.getByText('more than the invoice\'s open balance').waitFor();
    await a.shot('admin-invoices-overpayment', { full: false });
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    dlg = await pay(cents(due - half), 'BANK-2');
    await dlg.waitFor({ state: 'detached' });
    await waitFor(async () => (await row.count()) === 0, 10000, 'the paid invoice to leave the open list');
    await a.page.getByRole('button', { name: 'Paid', exact: true }).click();
    await a.page.getByRole('row', { name: new RegExp(inv.number) }).locator('[data-status="paid"]').waitFor();
    await a.shot('admin-invoices-desktop');
    assert.deepEqual(a.problems(), []);
  } finally { await a.context.close(); }

  const after2 = await api('GET', '/admin/invoices/' + inv.id, undefined, token);
  assert.equal(after2.doc.status, 'paid');
  assert.deepEqual(after2.doc.payments.map((x) => x.reference), ['BANK-1', 'BANK-2']);

  // the customer sees it paid, on a phone too
  const m = await openPage(browser, PHONE);
  try {
    await signIn(m, USER);
    await m.page.goto(s.url + '/console/billing/invoices');
    await m.page.getByRole('row', { name: new RegExp(inv.number) }).locator('[data-status="paid"]').waitFor();
    await m.shot('invoices-phone');
    assert.deepEqual(m.problems(), []);
  } finally { await m.context.close(); }
});

// Second factors end to end (issue 10): the real platform, Debian's chromium.
// Enrol the authenticator app from the Security page (the code computed here
// from the secret the page shows, RFC 6238 with crypto.createHmac), see and
// download the recovery codes, sign in with a code and with a recovery code;
// register a security key through chromium's virtual authenticator (CDP
// WebAuthn domain), sign in with it, remove it.
//
// WebAuthn needs a secure context and an RP ID matching the page: the server's
// public_base_url is the URL the browser uses, http://localhost:PORT (localhost
// is a secure context and a valid RP ID; 127.0.0.1 is an IP address, which no
// RP ID may be).  PORT is chosen before the start (public_base_url is read at
// start), below the ephemeral range like harness.free_port().
//
// Skipped with the reason while GET /platform/v1/me/mfa/webauthn answers 404
// (a server without second factors).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { Server, launch, openPage, waitFor, DESKTOP, PHONE, REPO } from './lib.mjs';

const PW = 'Tq8#vLm2!wZx5';

/** RFC 4648 base32 -> bytes. */
function base32(s) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, val = 0;
  const out = [];
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) {
    const i = A.indexOf(c);
    if (i < 0) throw new Error('not base32: ' + c);
    val = (val << 5) | i; bits += 5;
    if (bits >= 8) { out.push((val >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

/** RFC 6238: SHA-1, 6 digits, 30-second steps. */
export function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}
let advanced = 0; // how far the server's test clock was moved
const nowStep = () => Math.floor((Date.now() + advanced) / 1000 / 30);

test('the TOTP helper gives the RFC 6238 Appendix B values', () => {
  const s = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
  assert.equal(totp(s, Math.floor(59 / 30)), '287082');
  assert.equal(totp(s, Math.floor(1111111109 / 30)), '081804');
  assert.equal(totp(s, Math.floor(20000000000 / 30)), '353130');
});

/** A loopback port in 20000-32767 that is free right now. */
async function freePort() {
  for (let i = 0; i < 500; i++) {
    const p = 20000 + Math.floor(Math.random() * 12768);
    const ok = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return p;
  }
  throw new Error('no free port');
}

async function mfaServer() {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const s = new Server({
      server: { listen: `127.0.0.1:${port}`, public_base_url: `http://localhost:${port}` },
      accounts: { signup_mode: 'open' },
      mail: { outbox_dir: 'outbox' },
    }, [], { MG_TEST_CLOCK: '1' });
    try { await s.start(); } catch (err) { await s.stop().catch(() => {}); if (attempt === 2) throw err; continue; }
    s.url = `http://localhost:${port}`;
    return s;
  }
}

const server = await mfaServer();
let probe = 0;
try { probe = (await fetch(server.url + '/platform/v1/me/mfa/webauthn')).status; } catch { probe = -1; }
const SKIP = probe === 404 ? 'GET /platform/v1/me/mfa/webauthn answers 404: this maxgated has no second factors yet' : false;
let browser = SKIP ? null : await launch();
after(async () => {
  if (browser) await browser.close();
  await server.stop();
});

/** Moves the server's clock past the step-up window (10 minutes). */
async function pastStepUp() {
  const ms = 11 * 60 * 1000;
  const r = await fetch(server.url + '/platform/v1/test/clock', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ advance_ms: ms }) });
  assert.equal(r.status, 204);
  advanced += ms;
}

/** The step-up dialog, confirmed with the way named by its button. */
async function stepUpWith(p, way, fill, shot) {
  const dlg = p.page.locator('dialog[open]', { hasText: 'Confirm it is you' });
  await dlg.waitFor();
  await dlg.getByRole('button', { name: way, exact: true }).click();
  if (fill) await fill(dlg);
  if (shot) await p.shot(shot, { full: false });
  const session = async () => ((await p.page.context().cookies()).find((c) => c.name === 'mg_session') || {}).value;
  const before = await session();
  await dlg.getByRole('button', { name: 'Confirm', exact: true }).click();
  await dlg.waitFor({ state: 'detached' });
  // §8 item 26: the step-up came with a new session token (and CSRF token: the action run again is a write)
  const after = await session();
  assert.ok(before && after && after !== before, 'a step-up gives the session a new cookie');
}

let n = 0;
function user() {
  const email = `mfa${++n}@example.com`;
  server.createUser(email, PW);
  return email;
}

/** Confirms the password if the step-up dialog comes; resolves when done() is true. */
async function settle(page, done, what) {
  await waitFor(async () => {
    const dlg = page.locator('dialog[open]', { hasText: 'Confirm it is you' });
    if (await dlg.isVisible()) {
      const pw = dlg.getByLabel('Password');
      if (await pw.count()) await pw.fill(PW);
      await dlg.getByRole('button', { name: 'Confirm' }).click();
      await dlg.waitFor({ state: 'detached' });
    }
    return done();
  }, 20000, what);
}

async function signIn(page, email) {
  await page.goto(server.url + '/console/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PW);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(page) {
  const vis = page.locator('.top-right .link-button:visible, .sidebar-account .link-button:visible');
  if (!(await vis.count())) await page.getByRole('button', { name: 'Menu' }).click();
  await page.locator('button.link-button:visible', { hasText: 'Sign out' }).first().click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

/** Enrols the authenticator app on the Security page; returns {secret, codes, step}. */
async function enrolTotp(p, label) {
  const { page } = p;
  await page.goto(server.url + '/console/security');
  const block = page.locator('[data-mfa="totp"]');
  await block.getByRole('button', { name: 'Set up' }).click();
  await settle(page, () => page.locator('[data-secret]').isVisible(), 'the TOTP secret');
  await page.locator('.qr svg').waitFor();
  const secret = (await page.locator('[data-secret]').textContent()).replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/, 'a 160-bit base32 secret');
  const box = await page.locator('.qr svg').boundingBox();
  assert.ok(box && box.width > 100 && box.height > 100, 'the QR code is drawn');
  await p.shot('mfa-enrol-qr-' + label);
  const step = nowStep();
  await page.getByLabel('Code from the app').fill(totp(secret, step));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('You will not see these again').waitFor();
  const codes = (await page.locator('.codes code').allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  await p.shot('mfa-recovery-codes-' + label);
  return { secret, codes, step };
}

test('authenticator app: enrol, download the codes, sign in with a code and with a recovery code', { skip: SKIP }, async () => {
  const email = user();
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    await signIn(page, email);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const { secret, codes, step } = await enrolTotp(p, 'desktop');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'maxgate-recovery-codes.txt');
    const text = readFileSync(await download.path(), 'utf8');
    for (const c of codes) assert.ok(text.includes(c), 'the file has ' + c);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.locator('[data-mfa="totp"] .tag', { hasText: 'On' }).waitFor();
    await page.getByText('10 recovery codes left.').waitFor();

    // sign in with an authenticator code (a later step than enrolment's: each works once)
    await signOut(page);
    await signIn(page, email);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    const codeField = page.getByLabel('Authenticator code');
    assert.equal(await codeField.getAttribute('autocomplete'), 'one-time-code');
    await p.shot('mfa-login-step-desktop');
    p.expect(/\/platform\/v1\/login\/mfa$/, 401);
    await codeField.fill(String((Number(totp(secret, nowStep())) + 500000) % 1000000).padStart(6, '0'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('[data-field="totp_code"] .field-error:not(:empty)').waitFor();
    await codeField.fill(totp(secret, Math.max(step + 1, nowStep())));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // sign in with a recovery code
    await signOut(page);
    await signIn(page, email);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(codes[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.goto(server.url + '/console/security');
    await page.getByText('9 recovery codes left.').waitFor();

    // regenerate the codes: the step-up is past, the dialog takes an authenticator code
    await pastStepUp();
    p.expect(/\/platform\/v1\/me\/mfa\/recovery-codes$/, 403); // reauth_required, then the dialog
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Regenerate' }).click();
    await stepUpWith(p, 'Authenticator code', (dlg) => dlg.getByLabel('Authenticator code').fill(totp(secret, nowStep())),
      'mfa-stepup-totp-desktop');
    await page.getByText('You will not see these again').waitFor();
    const fresh = (await page.locator('.codes code').allTextContents()).map((c) => c.trim());
    assert.equal(fresh.length, 10);
    assert.ok(!fresh.includes(codes[1]), 'a new set');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('10 recovery codes left.').waitFor();

    // remove the app (confirmed by name): no factor left, so no second step and no codes
    await page.locator('[data-mfa="totp"]').getByRole('button', { name: 'Remove' }).click();
    const rm = page.locator('dialog[open]');
    await rm.getByRole('heading', { name: 'Remove the authenticator app?' }).waitFor();
    await rm.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('The authenticator app was removed.').waitFor();
    await page.locator('[data-mfa="totp"] .tag', { hasText: 'Off' }).waitFor();
    await page.locator('[data-mfa="recovery"]').waitFor({ state: 'detached', timeout: 15000 });
    await signOut(page);
    await signIn(page, email);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('security key: register with the virtual authenticator, sign in with it, remove it', { skip: SKIP }, async () => {
  const email = user();
  const p = await openPage(browser, DESKTOP);
  try {
    const { page } = p;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: {
      protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true } });
    await signIn(page, email);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.goto(server.url + '/console/security');
    const keys = page.locator('[data-mfa="webauthn"]');
    await keys.getByText('No security keys yet').waitFor();
    await keys.getByLabel('Name of the key').fill('YubiKey 5');
    await keys.getByRole('button', { name: 'Add a security key' }).click();
    // the account's first factor: its recovery codes come with it
    await settle(page, () => page.getByText('You will not see these again').isVisible(), 'the recovery codes');
    const codes = (await page.locator('.codes code').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await keys.getByRole('cell', { name: 'YubiKey 5' }).waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    await p.shot('mfa-security-key-desktop');
    // the command line cannot use a key: it says so and points at the console
    const home = mkdtempSync(path.join(tmpdir(), 'mge2e-cli.'));
    const bin = path.join(path.resolve(process.env.MG_BIN_DIR || path.join(REPO, 'build', 'asan', 'bin')), 'maxgate');
    const r = spawnSync(bin, ['account', 'login', '--email', email, '--password-stdin', '--base-url', server.url, '--output', 'text'],
      { input: PW + '\n', encoding: 'utf8', env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAXGATE_'))), HOME: home, XDG_CONFIG_HOME: path.join(home, 'cfg'),
        ASAN_OPTIONS: 'detect_leaks=0' }, timeout: 60000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /security key works only in a browser/);
    const rr = spawnSync(bin, ['account', 'login', '--email', email, '--password-stdin', '--base-url', server.url, '--output', 'json'],
      { input: PW + '\n' + codes[0] + '\n', encoding: 'utf8', env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAXGATE_'))),
        HOME: home, XDG_CONFIG_HOME: path.join(home, 'cfg'), ASAN_OPTIONS: 'detect_leaks=0' }, timeout: 60000 });
    assert.equal(rr.status, 0, rr.stderr); // a recovery code works on the command line

    await signOut(page);
    await signIn(page, email);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await p.shot('mfa-login-key-desktop');
    // a bogus signature, then a response without user presence: refused, no session
    p.expect(/\/platform\/v1\/login\/mfa$/, 401);
    p.expect(/\/platform\/v1\/me$/, 401);
    for (const bits of [{ isBogusSignature: true }, { isBadUP: true }]) {
      await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBogusSignature: false, isBadUP: false, isBadUV: false, ...bits });
      await page.getByRole('button', { name: 'Use your security key', exact: true }).click();
      await page.locator('.action-error:not(:empty)').waitFor();
      assert.equal(await page.locator('h1').textContent(), 'Two-step verification', JSON.stringify(bits));
      assert.equal(await page.evaluate(() => fetch('/platform/v1/me').then((r) => r.status)), 401, 'no session after ' + JSON.stringify(bits));
    }
    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBogusSignature: false, isBadUP: false, isBadUV: false });
    await page.getByRole('button', { name: 'Use your security key', exact: true }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // remove it, the step-up past: the dialog offers the key itself
    await pastStepUp();
    p.expect(/\/platform\/v1\/me\/mfa\/webauthn\/\d+$/, 403); // reauth_required, then the dialog
    await page.goto(server.url + '/console/security');
    await keys.getByRole('button', { name: 'Remove' }).click();
    const dlg = page.locator('dialog[open]');
    await dlg.getByRole('heading', { name: 'Remove the security key YubiKey 5?' }).waitFor();
    await dlg.getByRole('button', { name: 'Remove' }).click();
    await stepUpWith(p, 'Security key', null, 'mfa-stepup-key-desktop');
    await keys.getByText('No security keys yet').waitFor();
    // the account has no second factor any more: the password alone signs in
    await signOut(page);
    await signIn(page, email);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

test('phone width: the enrolment, the sign-in step, and a sign-in that waited too long', { skip: SKIP }, async () => {
  const email = user();
  const p = await openPage(browser, PHONE);
  try {
    const { page } = p;
    await signIn(page, email);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const { secret } = await enrolTotp(p, 'phone');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await signOut(page);
    await signIn(page, email);
    await page.getByLabel('Authenticator code').waitFor();
    await p.shot('mfa-login-step-phone');
    // the sign-in waits longer than its 5 minutes: the page says so and leads back to the password
    await pastStepUp();
    p.expect(/\/platform\/v1\/login\/mfa$/, 401);
    await page.getByLabel('Authenticator code').fill(totp(secret, nowStep()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('This sign-in attempt has ended').waitFor();
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByLabel('Email').waitFor();
    assert.deepEqual(p.problems(), []);
  } finally { await p.close(); }
});

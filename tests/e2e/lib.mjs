// lib.mjs: the browser tests' runner.  Starts maxgated (MG_BIN_DIR, default
// build/asan/bin) in a temp dir on port 0, launches Debian's chromium through
// playwright-core, and gives each test a page that fails the test on any
// console error, page error or failed request it did not declare expected.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
const BIN = path.resolve(process.env.MG_BIN_DIR || path.join(REPO, 'build', 'asan', 'bin'));
export const SHOTS = path.join(REPO, 'build', 'e2e', 'screenshots');
const SAN_ENV = { ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' };
const SANITIZER_RE = /ERROR: AddressSanitizer|runtime error:|LeakSanitizer/;
const START_S = 30; // a cold ASan start on a busy 2-core machine

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Polls pred() (async ok) until truthy, at most timeoutMs; returns its value. */
export async function waitFor(pred, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** maxgated with its own config, database and secrets in a temp dir. */
export class Server {
  constructor(extra = {}, initArgs = [], env = {}) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'mge2e.'));
    this.config = path.join(this.dir, 'maxgate.ini');
    const sections = { server: { listen: '127.0.0.1:0', threads: '2', access_log: 'access.log', drain_timeout_ms: '2000' } };
    for (const [s, kv] of Object.entries(extra)) sections[s] = { ...sections[s], ...kv };
    writeFileSync(this.config, Object.entries(sections).map(([s, kv]) =>
      `[${s}]\n` + Object.entries(kv).map(([k, v]) => `${k} = ${v}\n`).join('')).join(''));
    this.env = { ...process.env, ...SAN_ENV, ...env };
    this.run('init', ...initArgs);
    this.proc = null;
    this.url = null;
  }

  /** Runs `maxgated --config C args...` to completion; returns stdout. */
  run(...args) {
    return this.runWithInput('', ...args);
  }

  /** As run(), with input written to its stdin (e.g. --password-stdin). */
  runWithInput(input, ...args) {
    return execFileSync(path.join(BIN, 'maxgated'), ['--config', this.config, ...args],
      { cwd: this.dir, env: this.env, encoding: 'utf8', timeout: 60000, input });
  }

  /** An account made by the operator command, active, with a password. */
  createUser(email, password, { admin = false } = {}) {
    return this.runWithInput(password + '\n', 'admin', 'user', 'create', '--email', email, ...(admin ? ['--admin'] : []), '--password-stdin');
  }

  async start() {
    this.stderrPath = path.join(this.dir, 'stderr');
    this.proc = spawn(path.join(BIN, 'maxgated'), ['--config', this.config, 'serve'],
      { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    let out = '';
    this.proc.stdout.on('data', (d) => { out += d; });
    const port = await waitFor(() => {
      if (this.proc.exitCode !== null) throw new Error('maxgated exited early: ' + this.stderr);
      const m = /maxgated listening on \w+:\/\/[0-9.]+:(\d+)/.exec(out);
      return m && m[1];
    }, START_S * 1000, 'maxgated to listen');
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Stops the server (SIGTERM, then SIGKILL) and fails on a sanitizer report. */
  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const gone = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 15000);
      await gone;
      clearTimeout(t);
    }
    const report = SANITIZER_RE.test(this.stderr || '');
    if (!report) rmSync(this.dir, { recursive: true, force: true });
    if (report) throw new Error('sanitizer report from maxgated (kept in ' + this.dir + '):\n' + this.stderr.slice(0, 4000));
  }

  /** The newest mail in the outbox (written when no SMTP server is configured). */
  outbox() {
    try { return execFileSync('ls', ['-1t', path.join(this.dir, 'outbox')], { encoding: 'utf8' }).split('\n').filter(Boolean)
      .map((f) => readFileSync(path.join(this.dir, 'outbox', f), 'utf8')); } catch { return []; }
  }
}

/** maxgate-sim (the upstream simulator) on port 0 with one upstream key: {proc, url}; stop with stopSim. */
export function startSim(upstreamKey, region = 'global') {
  const proc = spawn(path.join(BIN, 'maxgate-sim'), ['--listen', '127.0.0.1:0', '--region', region, '--key', upstreamKey],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...SAN_ENV } });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', () => {});
  return waitFor(() => {
    if (proc.exitCode !== null) throw new Error('maxgate-sim exited early');
    const m = /(http:\/\/[0-9.]+:\d+)/.exec(out);
    return m && { proc, url: m[1] };
  }, START_S * 1000, 'maxgate-sim to listen');
}

export async function stopSim(sim) {
  if (!sim || sim.proc.exitCode !== null) return;
  const gone = new Promise((r) => sim.proc.once('exit', r));
  sim.proc.kill('SIGTERM');
  await gone;
}

/** Moves a server's clock (started with MG_TEST_CLOCK=1) forward by ms. */
export async function advanceClock(server, ms) {
  const r = await fetch(server.url + '/platform/v1/test/clock', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ advance_ms: ms }) });
  if (r.status !== 204 && r.status !== 200) throw new Error('the test clock answered ' + r.status + ' (is MG_TEST_CLOCK=1 set?)');
}

/** Headless chromium from Debian: never a downloaded browser. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.MG_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/**
 * A page at a viewport that records every problem: console errors, page
 * errors, failed requests and answers >= 400.  expect(pattern, status) allows
 * one kind of answer (URL regexp and status); problems() lists the rest.
 */
export async function openPage(browser, viewport = DESKTOP, opts = {}) {
  const context = await browser.newContext({ viewport, locale: opts.locale || 'en-US', timezoneId: 'Europe/Berlin',
    colorScheme: opts.colorScheme || 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const issues = [];
  const allowed = [];
  const isAllowed = (url, status) => allowed.some((a) => a.re.test(url) && (a.status === undefined || a.status === status));
  const badStatus = new Map(); // url -> status of an allowed error answer, to pardon chromium's console line for it
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location() && msg.location().url;
    if (/Failed to load resource/.test(msg.text()) && url && badStatus.has(url)) return;
    issues.push(`console error: ${msg.text()} (${url || 'no location'})`);
  });
  page.on('pageerror', (err) => issues.push(`page error: ${err.message}`));
  // A request still running when the test itself leaves the page (page.goto)
  // is aborted by chromium: that is the test's doing, not the page's.
  const inflight = new Set();
  const leftBehind = new WeakSet();
  page.on('request', (req) => inflight.add(req));
  page.on('requestfinished', (req) => inflight.delete(req));
  const goto = page.goto.bind(page);
  page.goto = (...args) => { for (const r of inflight) leftBehind.add(r); inflight.clear(); return goto(...args); };
  page.on('requestfailed', (req) => {
    inflight.delete(req);
    if (leftBehind.has(req) && req.failure() && req.failure().errorText === 'net::ERR_ABORTED') return;
    if (!isAllowed(req.url(), 'failed')) issues.push(`request failed: ${req.method()} ${req.url()} ${req.failure() && req.failure().errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() < 400) return;
    if (isAllowed(res.url(), res.status())) badStatus.set(res.url(), res.status());
    else issues.push(`answer ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return {
    page, context,
    expect(re, status) { allowed.push({ re, status }); },
    problems: () => issues.slice(),
    /** Saves build/e2e/screenshots/<name>.png: the whole page, or with a modal open (full: false) the viewport. */
    async shot(name, { full = true } = {}) {
      mkdirSync(SHOTS, { recursive: true });
      if (full) await page.evaluate(() => window.scrollTo(0, 0)); // else the sticky top bar lands mid-picture
      await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: full });
    },
    close: () => context.close(),
  };
}

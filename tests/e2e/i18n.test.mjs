// The two catalogues have the same keys, no empty string, and the same
// {placeholders} per key; every key the console's code names literally exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './lib.mjs';

const WEB = path.join(REPO, 'src', 'web');
const load = (id) => JSON.parse(readFileSync(path.join(WEB, 'i18n', id + '.json'), 'utf8'));
const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('en and zh-CN have the same keys and placeholders', () => {
  const en = load('en'), zh = load('zh-CN');
  assert.deepEqual(Object.keys(zh).filter((k) => !(k in en)), [], 'keys only in zh-CN.json');
  assert.deepEqual(Object.keys(en).filter((k) => !(k in zh)), [], 'keys only in en.json');
  for (const k of Object.keys(en)) {
    assert.ok(en[k].trim() && zh[k].trim(), 'empty string for ' + k);
    assert.deepEqual(holes(zh[k]), holes(en[k]), 'placeholders of ' + k);
  }
});

test('every literal t(key) in the console code is in the catalogue', () => {
  const en = load('en');
  const files = ['app.js', 'dom.js', 'stepup.js', 'webauthn.js', ...readdirSync(path.join(WEB, 'pages')).map((f) => 'pages/' + f)];
  const missing = [];
  for (const f of files) {
    const src = readFileSync(path.join(WEB, f), 'utf8');
    for (const m of src.matchAll(/\bt\('([a-z_]+\.[a-z_.]+)'\s*[,)]/g)) if (!(m[1] in en)) missing.push(`${f}: ${m[1]}`);
    for (const m of src.matchAll(/\['([a-z_]+\.[a-z_]+)', '[a-z/-]*'\]/g)) if (!(m[1] in en)) missing.push(`${f}: ${m[1]}`);
    for (const m of src.matchAll(/nav: '([a-z_.]+)'/g)) if (!(m[1] in en)) missing.push(`${f}: ${m[1]}`);
  }
  assert.deepEqual(missing, []);
});

test('every API error code of the contract has a catalogue entry', () => {
  const en = load('en');
  const codes = ['session_required', 'session_expired', 'csrf', 'forbidden', 'reauth_required', 'login_failed', 'token_invalid',
    'password_policy', 'field_invalid', 'field_missing', 'json_malformed', 'json_not_object', 'not_found', 'resource_not_found',
    'conflict', 'too_many_attempts', 'overloaded', 'method_not_allowed', 'signup_closed', 'internal', 'mfa_failed', 'webauthn_invalid'];
  assert.deepEqual(codes.filter((c) => !('error.' + c in en)), []);
});

test('the console has no inline script or style (the CSP forbids them)', () => {
  const html = readFileSync(path.join(WEB, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'inline <script>');
  assert.doesNotMatch(html, /\sstyle=|<style/i, 'inline style');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'inline event handler');
  for (const f of readdirSync(path.join(WEB, 'pages')).map((x) => 'pages/' + x).concat(['app.js', 'dom.js', 'stepup.js', 'chart.js']))
    assert.doesNotMatch(readFileSync(path.join(WEB, f), 'utf8'), /\.style\.|innerHTML|alert\(|confirm\(/, f);
});

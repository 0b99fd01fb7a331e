// i18n.js: the catalogues (i18n/en.json, i18n/zh-CN.json).  Every visible
// string comes through t(); API errors through errorText() by their code, with
// the API's English message as the fallback.
export const LANGS = [{ id: 'en', label: 'EN' }, { id: 'zh-CN', label: '简体中文' }];
const STORE = 'mg.lang';
let lang = 'en';
let cat = {};
let fallback = {};

async function load(id) {
  const res = await fetch('/console/i18n/' + id + '.json', { credentials: 'same-origin' });
  return res.json();
}

/** The language: the saved choice, else the browser's. */
export function pickLanguage() {
  const saved = localStorage.getItem(STORE);
  if (LANGS.some((l) => l.id === saved)) return saved;
  const nav = (navigator.languages || [navigator.language || 'en']).map((x) => x.toLowerCase());
  return nav.some((x) => x.startsWith('zh')) ? 'zh-CN' : 'en';
}

export async function setLanguage(id, save) {
  if (!Object.keys(fallback).length) fallback = await load('en');
  cat = id === 'en' ? fallback : await load(id);
  lang = id;
  if (save) localStorage.setItem(STORE, id);
  document.documentElement.lang = id;
}

export const language = () => lang;

/** The string for key with {name} placeholders filled; the key itself if missing. */
export function t(key, vars) {
  let s = cat[key] ?? fallback[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export const has = (key) => key in cat || key in fallback;

// Codes whose API message says more than the catalogue can (the password rule
// that failed, which value is wrong): in English the message itself, in other
// languages the catalogue's sentence with the message after it.
const DETAILED = new Set(['password_policy', 'field_invalid']);

/** What to show for an ApiError. */
export function errorText(err) {
  const code = err && err.code;
  if (code === 'too_many_attempts' && err.retryAfter > 0)
    return t('error.too_many_attempts_in', { minutes: Math.max(1, Math.ceil(err.retryAfter / 60)) });
  const key = 'error.' + code;
  if (DETAILED.has(code) && err.message) return lang === 'en' ? err.message : `${t(key)}（${err.message}）`;
  if (has(key)) return t(key);
  return (err && err.message) || t('error.unknown');
}

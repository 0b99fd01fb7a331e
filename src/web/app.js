// app.js: the router (History API) and the two layouts: the signed-out card and
// the signed-in shell (sidebar, top bar, content).  Pages are modules under
// pages/ exporting default render(ctx).
import * as api from './api.js';
import { t, LANGS, language, pickLanguage, setLanguage } from './i18n.js';
import { h } from './dom.js';
import { icon } from './icons.js';

const ROOT = '/console/';
const NEXT = 'mg.next';

// path (after /console/) -> page module, who may see it, sidebar entry
const ROUTES = [
  { path: 'login', page: 'login', auth: 'public' },
  { path: 'signup', page: 'signup', auth: 'public' },
  { path: 'request-access', page: 'request-access', auth: 'public' },
  { path: 'verify', page: 'verify', auth: 'public' },
  { path: 'set-password', page: 'set-password', auth: 'public' },
  { path: 'forgot', page: 'forgot', auth: 'public' },
  { path: 'reset', page: 'reset', auth: 'public' },
  { path: 'recovery', page: 'recovery', auth: 'public' },
  { path: '', page: 'dashboard', auth: 'session', nav: 'nav.dashboard' },
  { path: 'keys', page: 'keys', auth: 'session', nav: 'nav.keys' },
  { path: 'playground', page: 'playground', auth: 'session', nav: 'nav.playground' },
  { path: 'billing', page: 'billing', auth: 'session', nav: 'nav.billing' },
  { path: 'billing/log', page: 'billing-log', auth: 'session', parent: 'billing' },
  { path: 'billing/invoices', page: 'invoices', auth: 'session', nav: 'nav.invoices' },
  { path: 'billing/wallet', page: 'wallet', auth: 'session', nav: 'nav.wallet' },
  { path: 'billing/prices', page: 'prices', auth: 'session', nav: 'nav.prices' },
  { path: 'security', page: 'security', auth: 'session', nav: 'nav.security' },
  { path: 'notifications', page: 'notifications', auth: 'session', nav: 'nav.notifications' },
  { path: 'admin/accounts', page: 'admin-accounts', auth: 'admin', nav: 'nav.admin_accounts' },
  { path: 'admin/accounts/:id', page: 'admin-account', auth: 'admin', parent: 'admin/accounts' },
  { path: 'admin/requests', page: 'admin-requests', auth: 'admin', nav: 'nav.admin_requests' },
  { path: 'admin/invoices', page: 'admin-invoices', auth: 'admin', nav: 'nav.admin_invoices' },
  { path: 'admin/prices', page: 'admin-prices', auth: 'admin', nav: 'nav.admin_prices' },
  { path: 'admin/revenue', page: 'admin-revenue', auth: 'admin', nav: 'nav.admin_revenue' },
  { path: 'admin/redeem-codes', page: 'admin-redeem', auth: 'admin', nav: 'nav.admin_redeem' },
  { path: 'admin/audit', page: 'admin-audit', auth: 'admin', nav: 'nav.admin_audit' },
  { path: 'admin/channels', page: 'admin-channels', auth: 'admin', nav: 'nav.admin_channels' },
];

const state = { me: null, config: undefined, banner: null, unread: 0 };
let renderSeq = 0;

function match(rel) {
  for (const r of ROUTES) {
    const want = r.path.split('/'), got = rel.split('/');
    if (want.length !== got.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? (params[w.slice(1)] = decodeURIComponent(got[i])) !== '' : w === got[i])))
      return { route: r, params };
  }
  return null;
}

export function navigate(path, opts = {}) {
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

/** The platform's public configuration (signup mode, password policy); null when it cannot be read. */
async function config() {
  if (state.config === undefined) {
    try { state.config = await api.get('/config', { quiet: true }); } catch { state.config = null; }
  }
  return state.config;
}

function langSwitch() {
  return h('div', { class: 'lang', role: 'group', 'aria-label': t('lang.label') },
    LANGS.map((l) => h('button', {
      type: 'button', 'data-lang': l.id, lang: l.id, 'aria-pressed': String(language() === l.id),
      onclick: async () => { await setLanguage(l.id, true); render(); },
    }, l.label)));
}

function bannerEl() {
  if (!state.banner) return null;
  return h('div', { class: 'banner', role: 'alert' }, h('p', {}, t(state.banner)),
    h('button', { type: 'button', class: 'primary', onclick: () => { state.banner = null; state.me = null; navigate(ROOT + 'login'); } },
      t('session.sign_in_again')));
}

function publicLayout(app, main) {
  app.append(
    h('a', { class: 'skip', href: '#main' }, t('common.skip')),
    bannerEl() || '',
    h('header', { class: 'public-top' },
      h('a', { class: 'brand', href: ROOT + 'login' }, icon('logo'), h('span', {}, t('app.name'))), langSwitch()),
    main);
  main.classList.add('public-main');
}

function shellLayout(app, main, current) {
  const me = state.me;
  const isAdmin = me.role === 'admin';
  const link = (r) => {
    const active = current.path === r.path || current.parent === r.path;
    return h('li', {}, h('a', { href: ROOT + r.path, 'aria-current': active ? 'page' : undefined }, t(r.nav)));
  };
  const nav = ROUTES.filter((r) => r.nav && r.auth === 'session').map(link);
  const admin = ROUTES.filter((r) => r.nav && r.auth === 'admin').map(link);
  const sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': t('nav.label') },
    h('ul', {}, nav),
    isAdmin ? h('p', { class: 'nav-group', id: 'nav-admin' }, t('nav.admin')) : null,
    isAdmin ? h('ul', { 'aria-labelledby': 'nav-admin' }, admin) : null);
  const menu = h('button', { type: 'button', class: 'menu-button', 'aria-controls': 'sidebar', 'aria-expanded': 'false',
    'aria-label': t('nav.menu') }, icon('menu'));
  menu.addEventListener('click', () => {
    const open = sidebar.classList.toggle('open');
    menu.setAttribute('aria-expanded', String(open));
  });
  const bell = h('a', { class: 'bell', href: ROOT + 'notifications' }, icon('bell'));
  paintBell(bell);
  const signOut = () => h('button', { type: 'button', class: 'link-button', onclick: async () => {
    try { await api.logout(); } catch { /* the session is gone either way */ }
    state.me = null;
    navigate(ROOT + 'login');
  } }, t('top.sign_out'));
  const who = () => h('span', { class: 'who' }, h('span', { class: 'email' }, me.email), h('span', { class: 'plan' }, t('plan.' + me.plan)));
  // on a phone the account, language and sign-out live in the folded menu
  sidebar.append(h('div', { class: 'sidebar-account' }, who(), langSwitch(), signOut()));
  app.append(
    h('a', { class: 'skip', href: '#main' }, t('common.skip')),
    h('header', { class: 'topbar' }, menu,
      h('a', { class: 'brand', href: ROOT }, icon('logo'), h('span', {}, t('app.name'))),
      h('div', { class: 'top-right' }, who(), bell, langSwitch(), signOut())),
    bannerEl() || '',
    h('div', { class: 'shell' }, sidebar, main));
}

/** The bell's label and badge from state.unread. */
function paintBell(bell) {
  bell.setAttribute('aria-label', state.unread ? t('top.notifications_unread', { n: state.unread }) : t('top.notifications'));
  bell.querySelector('.badge')?.remove();
  if (state.unread) bell.append(h('span', { class: 'badge', 'aria-hidden': 'true' }, String(state.unread)));
}

async function refreshUnread() {
  try {
    const n = await api.get('/notifications', { quiet: true });
    state.unread = n.unread || 0;
    const bell = document.querySelector('.bell');
    if (bell) paintBell(bell);
  } catch { /* the bell stays as it is */ }
}

async function render() {
  const seq = ++renderSeq;
  const app = document.getElementById('app');
  let rel = location.pathname.startsWith(ROOT) ? location.pathname.slice(ROOT.length) : '';
  rel = rel.replace(/\/+$/, '');
  const m = match(rel);
  const route = m ? m.route : { path: rel, page: 'not-found', auth: state.me ? 'session' : 'public' };

  if (route.auth !== 'public' && !state.me) {
    try {
      state.me = await api.me();
    } catch (err) {
      if (seq !== renderSeq) return;
      if (err.code === 'session_required' || err.code === 'session_expired') {
        sessionStorage.setItem(NEXT, location.pathname);
        navigate(ROOT + 'login', { replace: true });
        return;
      }
      state.me = null;
      return show(app, { path: rel, page: 'unavailable', auth: 'public' }, {}, seq, err);
    }
    refreshUnread();
  }
  if (seq !== renderSeq) return;
  if (route.auth === 'admin' && state.me.role !== 'admin')
    return show(app, { path: rel, page: 'not-found', auth: 'session' }, {}, seq);
  return show(app, route, m ? m.params : {}, seq);
}

async function show(app, route, params, seq, error) {
  const mod = await import('./pages/' + route.page + '.js');
  if (seq !== renderSeq) return;
  const main = h('main', { id: 'main', tabindex: '-1', class: 'content' });
  app.replaceChildren();
  if (route.auth === 'public' || !state.me) publicLayout(app, main);
  else shellLayout(app, main, route);
  app.removeAttribute('aria-busy');
  const ctx = {
    main, params, api, t, navigate, config, error, me: state.me,
    root: ROOT,
    signedIn(account) { state.me = account; state.banner = null; refreshUnread(); const next = sessionStorage.getItem(NEXT); sessionStorage.removeItem(NEXT); navigate(next && next.startsWith(ROOT) ? next : ROOT, { replace: true }); },
    async refreshMe() { state.me = await api.me(); return state.me; },
    refreshUnread,
  };
  await mod.default(ctx);
  const title = main.querySelector('h1');
  document.title = (title ? title.textContent + ' · ' : '') + t('app.name');
  if (title) title.focus({ preventScroll: false });
}

api.onSessionLost((err) => {
  if (state.banner) return;
  state.banner = err.code === 'session_expired' ? 'session.expired' : 'session.ended';
  const app = document.getElementById('app');
  const b = bannerEl();
  const top = app.querySelector('.topbar, .public-top');
  if (top) top.after(b); else app.prepend(b);
  b.querySelector('button').focus();
});

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[href]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(ROOT) || url.hash && url.pathname === location.pathname) return;
  ev.preventDefault();
  document.getElementById('sidebar')?.classList.remove('open');
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);

await setLanguage(pickLanguage(), false);
render();

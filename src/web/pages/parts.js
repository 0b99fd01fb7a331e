// parts.js: pieces the signed-out pages share (not a page itself).
import { t } from '../i18n.js';
import { h, heading } from '../dom.js';

/** The signed-out card: heading, an intro line, then the body. */
export function card(ctx, title, intro, ...body) {
  const c = h('section', { class: 'card auth-card' }, heading(title), intro ? h('p', { class: 'intro' }, intro) : null, ...body);
  ctx.main.append(c);
  return c;
}

/** Links under a card's form. */
export function links(ctx, items) {
  return h('p', { class: 'card-links' }, items.filter(Boolean).map(([key, path]) => h('a', { href: ctx.root + path }, t(key))));
}

/** The password rule in words, from the platform's configuration. */
export function passwordHint(config) {
  const min = (config && config.password_min) || 12;
  return config && config.password_policy === 'nist' ? t('password.hint_nist', { min }) : t('password.hint_default', { min });
}

/** A result that replaces the form, announced to screen readers. */
export function done(container, text, ...more) {
  const box = h('div', { class: 'done', role: 'status' }, h('p', {}, text), ...more);
  container.replaceChildren(box);
  return box;
}

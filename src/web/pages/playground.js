// playground.js: try a key at once.  The key is pasted, or handed over in
// memory by the keys page's create dialog (offerKey: never a URL, never
// storage; gone on reload).  The page calls the gateway as any client would:
// GET /v1/models and a streamed POST /v1/chat/completions with the key as
// Bearer, shows the answer as it arrives, the tokens of the final usage frame,
// then the cost billed, read from the usage log by the x-request-id it got.
import { t, language } from '../i18n.js';
import { h, heading, id } from '../dom.js';

const FALLBACK_MODELS = ['MiniMax-M2.7'];
const COST_WAIT_MS = 6000; // the usage writer commits within a second or two
const COST_POLL_MS = 300;

let held = '';

/** The key the create dialog just showed, for the next playground render only. */
export function offerKey(key) { held = String(key || ''); }

function takeOffered() { const k = held; held = ''; return k; }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** "0.000021" (the usage log's exact decimal) in the viewer's currency format, up to 6 decimals. */
function cost(decimal, currency) {
  return new Intl.NumberFormat(language(), { style: 'currency', currency: currency || 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 })
    .format(Number(decimal));
}

/** A gateway failure in plain words: status, the gateway's own message, Retry-After. */
function gatewayError(status, message, retryAfter) {
  if (status === 401) return t('play.err_401');
  if (status === 403) return t('play.err_403', { message: message || t('play.err_no_detail') });
  if (status === 429) return retryAfter > 0 ? t('play.err_429_in', { seconds: retryAfter }) : t('play.err_429');
  if (status === 0) return t('play.err_network');
  return t('play.err_other', { status, message: message || t('play.err_no_detail') });
}

async function errorOf(res) {
  let message = '';
  try { const doc = await res.json(); message = (doc && doc.error && (doc.error.message || doc.error.code)) || ''; } catch { /* not JSON */ }
  return gatewayError(res.status, message, Number(res.headers.get('retry-after')) || 0);
}

const shellQuote = (s) => "'" + s.replace(/'/g, "'\\''") + "'";

/** curl and CLI for the same call, the key as $MAXGATE_API_KEY (never the real one). */
function snippetText(model, message) {
  const base = location.origin;
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: message }], stream: true, stream_options: { include_usage: true } });
  return {
    curl: `curl -N ${base}/v1/chat/completions \\\n  -H "Authorization: Bearer $MAXGATE_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d ${shellQuote(body)}`,
    cli: `maxgate --base-url ${base} text chat --model ${model} --stream --message ${shellQuote(message)}`,
  };
}

/**
 * Reads an SSE body: onText(delta) for every content delta, returns
 * {usage, error} from the frames (the final usage frame; an error frame).
 */
export async function readStream(res, onText) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '', cr = '', usage = null, error = null;
  const frame = (block) => {
    const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    if (!data || data === '[DONE]') return;
    let doc;
    try { doc = JSON.parse(data); } catch { return; }
    if (doc.error) error = doc.error.message || doc.error.type || 'error';
    if (doc.usage) usage = doc.usage;
    const delta = doc.choices && doc.choices[0] && doc.choices[0].delta;
    if (delta && typeof delta.content === 'string' && delta.content) onText(delta.content);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    let text = cr + dec.decode(value, { stream: true });
    cr = text.endsWith('\r') ? '\r' : ''; // its \n may start the next read
    if (cr) text = text.slice(0, -1);
    buf += text.replace(/\r\n?/g, '\n');
    let at;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      frame(buf.slice(0, at));
      buf = buf.slice(at + 2);
    }
  }
  buf += cr ? '\n' : '';
  if (buf.trim()) frame(buf);
  return { usage, error };
}

/** Polls the usage log for the request until it is there or the deadline passes; the event or null. */
async function billedEvent(ctx, requestId) {
  const end = Date.now() + COST_WAIT_MS;
  for (;;) {
    try {
      const page = await ctx.api.get('/usage/log' + ctx.api.qs({ request_id: requestId }), { quiet: true });
      if (page.events && page.events.length) return page.events[0];
    } catch { /* a failed read is as good as not recorded yet */ }
    if (Date.now() > end) return null;
    await sleep(COST_POLL_MS);
  }
}

export default async function render(ctx) {
  const currency = (ctx.me && ctx.me.currency) || 'USD';
  const offered = takeOffered();
  const kid = id('pg-key'), mid = id('pg-model'), tid = id('pg-msg');
  const keyErr = h('p', { class: 'field-error', 'aria-live': 'polite' });
  const keyInput = h('input', { id: kid, name: 'key', type: 'password', class: 'secret', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'mgk_…', 'aria-describedby': kid + '-hint' });
  keyInput.value = offered;
  const keyHint = h('p', { class: 'hint', id: kid + '-hint' }, offered ? t('play.key_offered') : t('play.key_hint'));
  const show = h('button', { type: 'button', class: 'small', 'aria-pressed': 'false' }, t('play.show_key'));
  show.addEventListener('click', () => {
    const on = keyInput.type === 'password';
    keyInput.type = on ? 'text' : 'password';
    show.setAttribute('aria-pressed', String(on));
  });
  const modelSel = h('select', { id: mid, name: 'model' }, FALLBACK_MODELS.map((m) => h('option', { value: m }, m)));
  const message = h('textarea', { id: tid, name: 'message', rows: 3 });
  message.value = t('play.default_message');
  const send = h('button', { type: 'submit', class: 'primary', 'data-send': '' }, t('play.send'));
  const sendOut = h('p', { class: 'action-error', role: 'status', 'aria-live': 'polite', 'data-send-error': '' });
  const form = h('form', { novalidate: true, class: 'form', 'data-play': '' },
    h('div', { class: 'field', 'data-field': 'key' }, h('label', { for: kid }, t('play.key')), keyHint,
      h('div', { class: 'key-row' }, keyInput, show), keyErr),
    h('div', { class: 'field', 'data-field': 'model' }, h('label', { for: mid }, t('play.model')), modelSel),
    h('div', { class: 'field', 'data-field': 'message' }, h('label', { for: tid }, t('play.message')), message),
    h('div', { class: 'actions' }, send, sendOut));

  const answer = h('div', { class: 'play-answer', 'data-answer': '', 'data-state': 'idle', 'aria-live': 'polite' });
  const tokens = h('p', { class: 'muted', 'data-tokens': '' });
  const billed = h('p', { 'data-cost': '', role: 'status', 'aria-live': 'polite' });
  const result = h('section', { class: 'card', 'aria-labelledby': 'pg-out' }, h('h2', { id: 'pg-out' }, t('play.answer')),
    answer, tokens, billed);

  const curlBox = h('code', {}), cliBox = h('code', {});
  const snips = h('section', { class: 'card snippets', 'aria-labelledby': 'pg-snip', 'data-snippets': '' },
    h('h2', { id: 'pg-snip' }, t('play.same_call')), h('p', { class: 'hint' }, t('play.same_call_hint')),
    h('p', { class: 'hint' }, t('keys.use_curl')), h('pre', { class: 'snippet', tabindex: '0', 'data-curl': '' }, curlBox),
    h('p', { class: 'hint' }, t('keys.use_cli')), h('pre', { class: 'snippet', tabindex: '0', 'data-cli': '' }, cliBox));
  const paintSnippets = () => {
    const s = snippetText(modelSel.value, message.value);
    curlBox.textContent = s.curl;
    cliBox.textContent = s.cli;
  };
  modelSel.addEventListener('change', paintSnippets);
  message.addEventListener('input', paintSnippets);

  let modelsFor = '';
  const loadModels = async () => {
    const key = keyInput.value.trim();
    if (!key || key === modelsFor) return;
    modelsFor = key;
    let res;
    try { res = await fetch('/v1/models', { headers: { Authorization: 'Bearer ' + key }, cache: 'no-store' }); } catch { res = null; }
    // a refusal goes beside Send, where the send's own (the same words) would go
    if (!res || !res.ok) { sendOut.textContent = res ? await errorOf(res) : gatewayError(0); modelsFor = ''; return; }
    let ids = [];
    try { ids = ((await res.json()).data || []).map((m) => m.id).filter((x) => typeof x === 'string'); } catch { /* keep the fallback */ }
    if (!ids.length) return;
    const was = modelSel.value;
    modelSel.replaceChildren(...ids.map((m) => h('option', { value: m, selected: m === was }, m)));
    paintSnippets();
  };
  keyInput.addEventListener('change', loadModels);
  keyInput.addEventListener('input', () => {
    keyHint.textContent = offered && keyInput.value === offered ? t('play.key_offered') : t('play.key_hint');
    keyErr.textContent = '';
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = keyInput.value.trim();
    sendOut.textContent = '';
    keyErr.textContent = '';
    if (!key) { keyErr.textContent = t('play.key_missing'); keyInput.focus(); return; }
    if (!message.value.trim()) { sendOut.textContent = t('play.message_missing'); message.focus(); return; }
    send.disabled = true;
    answer.textContent = '';
    tokens.textContent = '';
    billed.textContent = '';
    billed.className = '';
    answer.dataset.state = 'waiting';
    let res;
    try {
      res = await fetch('/v1/chat/completions', {
        method: 'POST', cache: 'no-store',
        headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify({ model: modelSel.value, messages: [{ role: 'user', content: message.value }], stream: true,
          stream_options: { include_usage: true } }),
      });
    } catch { res = null; }
    try {
      if (!res || !res.ok) { sendOut.textContent = res ? await errorOf(res) : gatewayError(0); answer.dataset.state = 'failed'; return; }
      const requestId = res.headers.get('x-request-id') || '';
      answer.dataset.state = 'streaming';
      const { usage, error } = await readStream(res, (text) => { answer.append(text); });
      answer.dataset.state = error ? 'failed' : 'done';
      if (error) sendOut.textContent = t('play.err_stream', { message: error });
      if (usage) tokens.textContent = t('play.tokens', { prompt: usage.prompt_tokens ?? 0, completion: usage.completion_tokens ?? 0 });
      if (!requestId) return;
      billed.textContent = t('play.cost_waiting');
      const evt = await billedEvent(ctx, requestId);
      billed.textContent = evt ? t('play.cost', { cost: cost(evt.cost, currency), id: requestId }) : t('play.cost_not_yet', { id: requestId });
      billed.className = evt ? 'action-ok' : 'muted';
    } finally { send.disabled = false; }
  });

  paintSnippets();
  ctx.main.append(h('section', { class: 'page play-page' }, heading(t('play.title')), h('p', { class: 'hint' }, t('play.intro')),
    h('section', { class: 'card', 'aria-labelledby': 'pg-try' }, h('h2', { id: 'pg-try' }, t('play.try')), form), result, snips));
  if (offered) loadModels();
}

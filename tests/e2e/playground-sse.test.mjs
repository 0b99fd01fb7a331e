// The playground's SSE reader (pages/playground.js readStream) on its own, in
// node: frames split anywhere across reads (mid-JSON, between \r and \n),
// CRLF and LF line ends, the final usage frame, [DONE], an error frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './lib.mjs';

const { readStream } = await import(pathToFileURL(path.join(REPO, 'src', 'web', 'pages', 'playground.js')).href);

/** A Response whose body arrives as these pieces, one read each. */
function body(pieces) {
  const enc = new TextEncoder();
  let i = 0;
  return new Response(new ReadableStream({ pull(c) { if (i < pieces.length) c.enqueue(enc.encode(pieces[i++])); else c.close(); } }));
}

const delta = (s) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: s } }] })}`;
const usage = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })}`;

async function read(text, cut) {
  const pieces = [];
  for (let at = 0; at < text.length; at += cut) pieces.push(text.slice(at, at + cut));
  const got = [];
  const r = await readStream(body(pieces), (s) => got.push(s));
  return { text: got.join(''), count: got.length, ...r };
}

test('every split of a CRLF and of an LF stream gives the same deltas and usage', async () => {
  for (const nl of ['\n', '\r\n']) {
    const text = [delta('Hel'), delta('lo'), usage, 'data: [DONE]'].join(nl + nl) + nl + nl;
    for (let cut = 1; cut <= text.length; cut++) {
      const r = await read(text, cut);
      assert.equal(r.text, 'Hello', `cut ${cut}`);
      assert.equal(r.count, 2);
      assert.deepEqual(r.usage, { prompt_tokens: 3, completion_tokens: 2 });
      assert.equal(r.error, null);
    }
  }
});

test('an error frame after some text is reported; a last frame without its blank line is read', async () => {
  const r = await read(delta('Hi') + '\n\n' + 'data: {"error":{"message":"upstream broke","type":"api_error"}}', 7);
  assert.equal(r.text, 'Hi');
  assert.equal(r.error, 'upstream broke');
});

// Runs one scenario with an official SDK against a base URL and prints a JSON
// result line.  Usage: node sdk.mjs <client> <scenario> <baseURL> <apiKey>
//   client:   openai | anthropic | anthropic-old
//   scenario: chat | stream | stream-helper | error
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import AnthropicOld from "anthropic-old";

const [client, scenario, baseURL, apiKey, model = "MiniMax-M2.7"] = process.argv.slice(2);
const out = (o) => console.log(JSON.stringify(o));

async function openai() {
  const c = new OpenAI({ baseURL: baseURL + "/v1", apiKey, maxRetries: 0 });
  const messages = [{ role: "user", content: "hi" }];
  if (scenario === "chat") {
    const r = await c.chat.completions.create({ model, messages });
    return { text: r.choices[0].message.content, usage: r.usage };
  }
  if (scenario === "stream") {
    const s = await c.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
    let text = "", chunks = 0, usage = null;
    for await (const ch of s) {
      chunks++;
      if (ch.choices?.[0]?.delta?.content) text += ch.choices[0].delta.content;
      if (ch.usage && ch.usage.prompt_tokens) usage = ch.usage;
    }
    return { text, chunks, usage };
  }
}

async function anthropic(Cls) {
  const c = new Cls({ baseURL: baseURL + "/anthropic", apiKey, maxRetries: 0 });
  const params = { model, max_tokens: 64, messages: [{ role: "user", content: "hi" }] };
  if (scenario === "chat") {
    const r = await c.messages.create(params);
    return { text: r.content.filter((b) => b.type === "text").map((b) => b.text).join(""), usage: r.usage };
  }
  if (scenario === "stream") {
    const s = await c.messages.create({ ...params, stream: true });
    const events = [];
    let text = "";
    for await (const ev of s) {
      events.push(ev.type);
      if (ev.type === "content_block_delta" && ev.delta.type === "text_delta") text += ev.delta.text;
    }
    return { text, events };
  }
  if (scenario === "stream-helper") {
    const m = await c.messages.stream(params).finalMessage();
    return { text: m.content.filter((b) => b.type === "text").map((b) => b.text).join(""), usage: m.usage };
  }
}

try {
  const fn = client === "openai" ? openai : () => anthropic(client === "anthropic" ? Anthropic : AnthropicOld);
  out({ ok: true, ...(await fn()) });
} catch (e) {
  out({ ok: false, error: e.constructor.name, status: e.status ?? null, message: String(e.message).slice(0, 500) });
}

"""GW-5: streams pass chunk by chunk, usage comes from the stream, a client
that leaves cancels the upstream and is billed, a broken upstream ends the
stream with an error event."""
import json
import socket
import time

from harness import chat


def sse_events(resp):
    events, cur = [], {}
    for line in resp.iter_lines(decode_unicode=True):
        if line == "":
            if cur:
                events.append(cur)
            cur = {}
        elif line.startswith("event:"):
            cur["event"] = line[6:].strip()
        elif line.startswith("data:"):
            cur["data"] = cur.get("data", "") + line[5:].strip()
    if cur:
        events.append(cur)
    return events


def test_openai_stream_usage_recorded_once(gateway, key):
    r = chat(gateway, key, stream=True, headers={"x-sim-tokens": "5"})
    assert r.status_code == 200 and "text/event-stream" in r.headers["content-type"]
    events = sse_events(r)
    final = json.loads(events[-2]["data"])
    assert final["object"] == "chat.completion"
    assert events[-1]["data"] == "[DONE]"
    rows = gateway.wait_usage(r.headers["x-request-id"])
    assert len(rows) == 1
    assert rows[0]["output_tokens"] == 5 and rows[0]["input_tokens"] == final["usage"]["prompt_tokens"]


def test_anthropic_stream_named_events_and_usage(gateway, key):
    body = {"model": "MiniMax-M2.7", "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}]}
    r = chat(gateway, key, path="/anthropic/v1/messages", body=body, stream=True, auth="x-api-key",
             headers={"x-sim-tokens": "3"})
    names = [e.get("event") for e in sse_events(r)]
    assert names[0] == "message_start" and names[-1] == "message_stop" and "message_delta" in names
    rows = gateway.wait_usage(r.headers["x-request-id"])
    assert rows[0]["output_tokens"] == 3 and rows[0]["input_tokens"] >= 1


def test_chunks_arrive_before_the_upstream_finishes(gateway, key):
    """With 200 ms between upstream chunks, the first chunk reaches us long
    before the stream could have been buffered whole."""
    t0 = time.time()
    r = chat(gateway, key, stream=True, headers={"x-sim-tokens": "6", "x-sim-delay-ms": "200"})
    chunks = r.iter_content(chunk_size=None)
    first = next(chunks)
    t_first = time.time() - t0
    assert first.startswith(b"data: ")
    rest = b"".join(chunks)
    t_all = time.time() - t0
    assert b"[DONE]" in rest
    assert t_all - t_first > 0.8  # the remaining 5+ chunks were still coming


def test_client_disconnect_cancels_upstream_and_bills(gateway, key, sim_global):
    """The client hangs up after the first chunks; the gateway must cancel the
    upstream, keep serving, and bill what the stream carried (the sim reports
    input tokens up front on the Anthropic stream)."""
    body = json.dumps({"model": "MiniMax-M2.7", "max_tokens": 64, "stream": True,
                       "messages": [{"role": "user", "content": "hello"}]}).encode()
    s = socket.create_connection(("127.0.0.1", gateway.port))
    s.sendall(b"POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
              b"x-api-key: " + key.encode() + b"\r\nx-sim-tokens: 50\r\nx-sim-delay-ms: 100\r\n"
              b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    data = b""
    while b"message_start" not in data:
        data += s.recv(4096)
    rid = [l for l in data.split(b"\r\n") if l.lower().startswith(b"x-request-id:")][0].split(b":")[1].strip()
    s.close()
    rows = gateway.wait_usage(rid.decode())
    assert len(rows) == 1 and rows[0]["input_tokens"] >= 1 and rows[0]["http_status"] == 499
    assert chat(gateway, key).status_code == 200


def test_upstream_dying_mid_stream_ends_with_error_event(gateway, key):
    body = {"model": "sim-drop", "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}]}
    r = chat(gateway, key, path="/anthropic/v1/messages", body=body, stream=True, headers={"x-sim-tokens": "8"})
    events = sse_events(r)
    assert events[-1]["event"] == "error"
    err = json.loads(events[-1]["data"])
    assert err["type"] == "error" and err["error"]["type"] == "api_error"
    r = chat(gateway, key, body={"model": "sim-drop", "messages": []}, stream=True)
    events = sse_events(r)
    assert "error" in json.loads(events[-1]["data"])
    assert chat(gateway, key).status_code == 200


def test_speech_stream_characters_billed(gateway, key):
    r = chat(gateway, key, path="/v1/t2a_v2", body={"model": "speech-2.8-hd", "text": "twelve chars"}, stream=True)
    sse_events(r)
    rows = gateway.wait_usage(r.headers["x-request-id"])
    assert rows[0]["characters"] == 12 and rows[0]["service"] == "speech"

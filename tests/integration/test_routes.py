"""GW-1, GW-2, GW-4, GW-10: every path forwards in MiniMax's shape, the
upstream sees only the channel key, every response has a request id."""
import json
import re

import requests

from conftest import UP_GLOBAL
from harness import chat, wait_for

JSON_ROUTES = [
    ("/v1/text/chatcompletion_v2", {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}]}, "choices"),
    ("/v1/chat/completions", {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}]}, "choices"),
    ("/anthropic/v1/messages", {"model": "MiniMax-M2.7", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}, "content"),
    ("/v1/t2a_v2", {"model": "speech-2.8-hd", "text": "hello world"}, "extra_info"),
    ("/v1/t2a_async_v2", {"model": "speech-2.8-hd", "text": "hello"}, "task_id"),
    ("/v1/get_voice", {"voice_type": "system"}, "system_voice"),
    ("/v1/voice_design", {"prompt": "warm", "preview_text": "hi"}, "voice_id"),
    ("/v1/voice_clone", {"file_id": None, "voice_id": "MyVoice001"}, "base_resp"),  # file_id: an upload of the caller's
    ("/v1/image_generation", {"model": "image-01", "prompt": "cat"}, "data"),
    ("/v1/music_generation", {"model": "music-2.6", "prompt": "jazz"}, "data"),
    ("/v1/video_generation", {"model": "MiniMax-Hailuo-2.3", "prompt": "a cat"}, "task_id"),
]


def test_every_json_route_forwards_with_the_channel_key(gateway, key, sim_global):
    up = requests.post(gateway.url + "/v1/files/upload", files={"file": ("s.wav", b"RIFF", "audio/wav")},
                       data={"purpose": "voice_clone"}, headers={"authorization": "Bearer " + key}, timeout=10)
    for path, body, field in JSON_ROUTES:
        if body.get("file_id", 0) is None:
            body = {**body, "file_id": up.json()["file"]["file_id"]}
        sim_global.reset()
        r = chat(gateway, key, path=path, body=body)
        assert r.status_code == 200, (path, r.text)
        doc = r.json()
        assert field in doc, (path, doc)
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
        seen = [q for q in sim_global.requests() if q["path"] == path]
        assert len(seen) == 1, path
        h = seen[0]["headers"]
        assert h["authorization"] == "Bearer " + UP_GLOBAL
        assert "x-api-key" not in h and "api-key" not in h
        assert key not in json.dumps(seen[0])
        assert h["x-request-id"] == r.headers["x-request-id"]


def test_get_routes_and_models(gateway, key):
    auth = {"authorization": "Bearer " + key}
    r = requests.get(gateway.url + "/v1/models", headers=auth, timeout=10)
    assert r.status_code == 200 and r.json()["object"] == "list"
    r = requests.get(gateway.url + "/anthropic/v1/models", headers=auth, timeout=10)
    assert r.status_code == 200 and r.json()["data"]
    r = requests.get(gateway.url + "/v1/files/list", headers=auth, timeout=10)
    assert r.status_code == 200 and "files" in r.json()


def test_all_three_credential_headers_work_and_are_stripped(gateway, key, sim_global):
    for auth in ("bearer", "x-api-key", "api-key"):
        sim_global.reset()
        r = chat(gateway, key, auth=auth)
        assert r.status_code == 200, (auth, r.text)
        up = sim_global.requests()[-1]["headers"]
        assert up["authorization"] == "Bearer " + UP_GLOBAL
        assert "x-api-key" not in up and "api-key" not in up


def test_quota_answered_by_maxgate(gateway, key, sim_global):
    sim_global.reset()
    auth = {"authorization": "Bearer " + key}
    r = requests.get(gateway.url + "/v1/token_plan/remains", headers=auth, timeout=10)
    assert r.status_code == 200
    doc = r.json()
    assert doc["base_resp"]["status_code"] == 0 and doc["model_remains"]
    r = requests.get(gateway.url + "/account/query_balance", headers=auth, timeout=10)
    assert r.status_code == 200 and "available_amount" in r.json()
    assert sim_global.requests() == []  # never forwarded


def test_error_shapes_per_family_with_real_status(gateway):
    bad = "mgk_gl_" + "A" * 50
    r = chat(gateway, bad, path="/v1/text/chatcompletion_v2")
    assert r.status_code == 401
    assert r.json()["base_resp"]["status_code"] == 1004
    assert r.json()["request_id"] == r.headers["x-request-id"]
    r = chat(gateway, bad, path="/v1/chat/completions")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "key_malformed"
    assert r.json()["error"]["type"] == "authentication_error"
    r = chat(gateway, bad, path="/anthropic/v1/messages")
    assert r.status_code == 401
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "authentication_error"


def test_unknown_path_and_method(gateway, key):
    r = requests.get(gateway.url + "/v1/nope", headers={"authorization": "Bearer " + key}, timeout=10)
    assert r.status_code == 404 and "x-request-id" in r.headers
    assert r.json()["base_resp"]["status_code"] == 2013
    r = requests.get(gateway.url + "/v1/chat/completions", headers={"authorization": "Bearer " + key}, timeout=10)
    assert r.status_code == 405


def test_health_ready_metrics(gateway, key):
    assert requests.get(gateway.url + "/healthz", timeout=5).status_code == 200
    assert requests.get(gateway.url + "/readyz", timeout=5).status_code == 200
    chat(gateway, key)

    def counted():
        r = requests.get(gateway.url + "/metrics", timeout=5)
        m = re.search(r'maxgate_requests_total\{route="chat_openai",class="2xx"\} (\d+)', r.text)
        return r if m and int(m.group(1)) >= 1 else None
    r = wait_for(counted, what="the chat request in /metrics")
    assert r.status_code == 200 and "x-request-id" in r.headers
    assert "# TYPE maxgate_requests_total counter" in r.text


def test_access_log_lines_are_json_and_secret_free(gateway, key):
    r = chat(gateway, key)
    rid = r.headers["x-request-id"]
    lines = gateway.wait_access_line(rid)
    assert len(lines) == 1
    line = lines[0]
    assert line["status"] == 200 and line["route"] == "chat_openai" and line["model"] == "MiniMax-M2.7"
    assert line["key"] == key[7:19] and line["latency_us"] > 0 and line["cost_micros"] > 0
    assert key not in gateway.logs()
    assert UP_GLOBAL not in gateway.logs()


def test_sim_record_of_a_binary_upload_stays_json(gateway, key, sim_global):
    """Regression: a binary multipart body made /__sim/requests crash the simulator."""
    files = {"file": ("a.mp3", b"\xff\xfb\x90\x64" * 16, "application/octet-stream")}
    r = requests.post(gateway.url + "/v1/files/upload", files=files, data={"purpose": "retrieval"},
                      headers={"authorization": "Bearer " + key}, timeout=10)
    assert r.status_code == 200
    rec = [q for q in sim_global.requests() if q["path"] == "/v1/files/upload"][-1]
    assert rec["body"].startswith("<") and "not UTF-8" in rec["body"]


def test_error_answers_keep_the_connection_open(gateway, key):
    """An error has a Content-Length, so the client's connection is reused
    (h2o 2.2 closed it after every non-200 answer of unknown length)."""
    import socket
    s = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    try:
        f = s.makefile("rb")
        for path, auth in (("/v1/nope", key), ("/v1/chat/completions", "mgk_bad"), ("/healthz", key)):
            s.sendall(("GET %s HTTP/1.1\r\nhost: x\r\nauthorization: Bearer %s\r\n\r\n" % (path, auth)).encode())
            status = f.readline()
            headers = {}
            while True:
                line = f.readline().strip()
                if not line:
                    break
                k, _, v = line.decode().partition(":")
                headers[k.strip().lower()] = v.strip()
            assert headers.get("connection", "keep-alive").lower() != "close", (status, headers)
            if "content-length" in headers:
                f.read(int(headers["content-length"]))
            else:  # chunked
                while True:
                    n = int(f.readline().split(b";")[0], 16)
                    f.read(n + 2)
                    if n == 0:
                        break
    finally:
        s.close()

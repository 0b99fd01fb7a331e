"""GW-8 and bad input: each gets its clear error, the server keeps serving,
and nothing is recorded for it."""
import socket

import requests

from harness import chat


def post_raw(gw, key, body, ctype="application/json", path="/v1/chat/completions"):
    return requests.post(gw.url + path, data=body, timeout=10,
                         headers={"authorization": "Bearer " + key, "content-type": ctype})


def test_bad_inputs(gateway, key):
    bad = []
    r = post_raw(gateway, key, b'{"model": "MiniMax-M2.7", "messages": [}')
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "json_malformed"
    assert "line 1, column" in r.json()["error"]["message"]
    r = post_raw(gateway, key, b'{"model":"m"}', ctype="text/plain")
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "content_type"
    r = post_raw(gateway, key, b'{"messages": []}')
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "model_missing"
    r = post_raw(gateway, key, b'[1, 2]')
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "json_not_object"
    r = post_raw(gateway, key, b'{"model":"a","model":"b"}')
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "json_malformed"
    r = post_raw(gateway, key, b'{"model":"MiniMax-M2.7","stream":"yes"}')
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "field_invalid"
    r = post_raw(gateway, key, b"")
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400
    r = post_raw(gateway, key, b'{"model":"x"}', path="/v1/text/chatcompletion_v2", ctype="text/plain")
    bad.append(r.headers.get("x-request-id"))
    assert r.status_code == 400 and r.json()["base_resp"]["status_code"] == 2013
    ok = chat(gateway, key)
    assert ok.status_code == 200
    # the writer commits in order: once the good request's event is there,
    # an event for any bad one would be too
    assert len(gateway.wait_usage(ok.headers["x-request-id"])) == 1
    recorded = {u["request_id"] for u in gateway.usage()}
    assert len(bad) == 8 and not recorded & set(bad)


def test_oversize_json_body_is_413(gateway, key):
    big = b'{"model":"MiniMax-M2.7","x":"' + b"a" * (2 * 1024 * 1024 + 10) + b'"}'
    r = post_raw(gateway, key, big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    assert "2097152" in r.json()["error"]["message"]
    assert chat(gateway, key).status_code == 200


def test_garbage_request_line_keeps_server_up(gateway, key):
    for junk in (b"\x00\x01\x02 garbage\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                 b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        s = socket.create_connection(("127.0.0.1", gateway.port))
        s.sendall(junk)
        s.settimeout(5)
        try:
            s.recv(4096)
        except OSError:
            pass
        s.close()
    assert chat(gateway, key).status_code == 200

"""The console's static files (src/platform/console.c) over plain HTTP: what a
browser and a cache see.  The browser itself is tests/e2e."""
import hashlib
import re
import socket

import pytest
import requests

from harness import Gateway

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@pytest.fixture(scope="module")
def gw():
    g = Gateway([])
    yield g
    assert g.stop() == 0


def get(gw, path, **kw):
    return requests.get(gw.url + path, timeout=10, allow_redirects=False, **kw)


def assert_security_headers(r, referrer="strict-origin-when-cross-origin"):
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == referrer


def test_root_redirects_to_the_console_and_nothing_else(gw):
    r = get(gw, "/")
    assert r.status_code == 302 and r.headers["location"] == "/console/"
    assert get(gw, "/console").headers["location"] == "/console/"
    assert requests.post(gw.url + "/", timeout=10, allow_redirects=False).status_code != 302  # only GET/HEAD "/"
    assert get(gw, "/v1/models").status_code == 401  # the gateway still owns its paths
    assert get(gw, "/?x=1").status_code == 302


@pytest.mark.parametrize("route", ["/console/", "/console/login", "/console/admin/accounts/12", "/console/security"])
def test_routes_get_index_html_uncached(gw, route):
    r = get(gw, route)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    assert '<div id="app"' in r.text
    assert_security_headers(r)


@pytest.mark.parametrize("route", ["/console/reset", "/console/verify", "/console/set-password"])
def test_token_pages_send_no_referrer(gw, route):
    assert_security_headers(get(gw, route), referrer="no-referrer")


def test_index_refers_to_files_by_their_real_hash(gw):
    html = get(gw, "/console/").text
    refs = re.findall(r'"/console/([^"?]+)\?v=([0-9a-f]{12})"', html)
    assert {"app.js", "app.css"} <= {p for p, _ in refs}
    assert "{{hash:" not in html
    for path, v in refs:
        r = get(gw, "/console/%s?v=%s" % (path, v))
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest()[:12] == v, path
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["etag"] == '"%s"' % hashlib.sha256(r.content).hexdigest()
        assert_security_headers(r)


def test_content_types_etag_and_revalidation(gw):
    for path, ctype in [("app.js", "text/javascript"), ("app.css", "text/css"), ("i18n/en.json", "application/json"),
                        ("icons/logo.svg", "image/svg+xml")]:
        r = get(gw, "/console/" + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype), path
        assert r.headers["cache-control"] == "no-cache", "no hash in the URL, no long cache"
        again = get(gw, "/console/" + path, headers={"if-none-match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert get(gw, "/console/app.js?v=000000000000").headers["cache-control"] == "no-cache"


def test_missing_files_are_404_and_nothing_outside_the_set_is_reachable(gw):
    for path in ["/console/nope.js", "/console/i18n/fr.json", "/console/pages/../app.jsx", "/console/.hidden.js"]:
        r = get(gw, path)
        assert r.status_code == 404, path
        assert_security_headers(r)
    # raw bytes, so no client normalises the dots away
    for raw in ["/console/../secrets", "/console/%2e%2e/maxgate.ini", "/console/..%2fsecrets", "/console//etc/passwd.txt"]:
        with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % raw).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        status = int(data.split(b" ", 2)[1])
        # only embedded files exist: at most the app's page, never a file from disk
        assert status != 200 or b'<div id="app"' in data, raw
        assert b"[server]" not in data, raw


def test_head_and_other_methods(gw):
    r = requests.head(gw.url + "/console/app.css", timeout=10)
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) == len(get(gw, "/console/app.css").content)
    r = requests.post(gw.url + "/console/login", timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert_security_headers(r)

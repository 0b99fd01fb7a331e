"""Process management for the black-box tests: maxgate-sim and maxgated on
free loopback ports in temporary directories.  Every process started here is
stopped by its owner's stop(), and its stderr is checked for sanitizer
reports."""
import json
import os
import random
import re
import signal
import socket
import subprocess
import tempfile
import time

import requests

# absolute: tests run binaries from temporary working directories
BIN = os.path.abspath(os.environ.get("MG_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "asan", "bin")))
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|runtime error:|LeakSanitizer")


# Polling interval of wait_for: short against the deadlines, long enough not
# to load a busy machine.
POLL_S = 0.02
# Default deadline for an asynchronous fact (a group commit, a 250 ms cache
# sync): generous, because on a busy 2-core machine with ASan a fact that
# usually takes milliseconds can take seconds; a passing wait costs nothing.
WAIT_S = 15


def wait_for(pred, timeout=WAIT_S, what="the condition"):
    """The one way a test waits for an asynchronous fact: polls pred() every
    POLL_S until it returns something truthy and returns that; past timeout
    seconds fails the test naming `what` and the last value seen.  Never
    assert such a fact right after the action that causes it.  For "nothing
    more was recorded", first wait for a later positive fact (a following
    request's own event or log line), then count."""
    deadline = time.monotonic() + timeout
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %g s waiting for %s (last: %r)" % (timeout, what, last))
        time.sleep(POLL_S)


# Ports for our own listeners come from below the kernel's ephemeral range
# (net.ipv4.ip_local_port_range, 32768-60999 on Debian): a port taken there
# can be handed to any outgoing connection before our server binds it.
PORT_LO, PORT_HI = 20000, 32768


def free_port():
    """A loopback port below the ephemeral range that is free right now.
    Prefer port 0 for a listener we start (Sim and Gateway do) and
    refused_port() for a port nobody listens on."""
    for _ in range(500):
        p = random.randrange(PORT_LO, PORT_HI)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                continue
            return p
    raise RuntimeError("no free port in %d-%d" % (PORT_LO, PORT_HI - 1))


_held = []
_started = []  # every process the harness started: the session's end stops what a failed test left


def stop_leftovers():
    """Stops processes a test started and never stopped (a failure in its
    set-up, before its try/finally); returns how many there were."""
    n = 0
    for p in _started:
        if p.poll() is None:
            n += 1
            _stop(p)
    _started.clear()
    return n


def refused_port():
    """A loopback port where a connection is refused for the whole test run:
    it stays bound (by this process, never listening), so nobody else can
    start listening on it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _held.append(s)
    return s.getsockname()[1]


def make_cert(dirname, name="cert", cn="127.0.0.1", san="IP:127.0.0.1,DNS:localhost"):
    """A self-signed certificate and key; returns (cert, key) paths."""
    crt, key = os.path.join(dirname, name + ".crt"), os.path.join(dirname, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=" + san, "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return crt, key


def _wait_line(proc, pattern, timeout=15):
    """Reads stdout lines until one matches; returns the match."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise RuntimeError("process exited early: " + proc.stderr.read())
            continue
        m = re.search(pattern, line)
        if m:
            return m
    raise RuntimeError("timed out waiting for " + pattern)


def _stop(proc, sig=signal.SIGTERM, timeout=15):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


# Distinct wording of the registry errors on the native shape (src/core/err.h).
ERROR_TEXT = {
    "KEY_UNKNOWN": "Unknown API key",
    "KEY_REVOKED": "has been revoked",
    "KEY_EXPIRED": "has expired",
    "ACCOUNT_SUSPENDED": "account is suspended",
    "KEY_MALFORMED": "Malformed API key",
}


class Sim:
    def __init__(self, region="global", keys=("upstream-key-1",), tls=True):
        self.dir = tempfile.mkdtemp(prefix="mgsim.")
        self.keys = list(keys)
        args = [os.path.join(BIN, "maxgate-sim"), "--listen", "127.0.0.1:0", "--region", region]
        for k in keys:
            args += ["--key", k]
        if tls:
            self.cert, key = make_cert(self.dir, "sim")
            args += ["--tls-listen", "127.0.0.1:0", "--tls-cert", self.cert, "--tls-key", key]
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(self.stderr_path, "w"), text=True,
                                     env={**os.environ, **SAN_ENV})
        _started.append(self.proc)
        self.url = _wait_line(self.proc, r"(http://[0-9.]+:\d+)").group(1)
        self.https_url = _wait_line(self.proc, r"(https://[0-9.]+:\d+)").group(1) if tls else None

    def requests(self):
        return requests.get(self.url + "/__sim/requests", timeout=5).json()

    def reset(self):
        requests.post(self.url + "/__sim/reset", timeout=5)

    def stop(self):
        _stop(self.proc)
        err = open(self.stderr_path).read()
        assert not SANITIZER_RE.search(err), err


class Gateway:
    """maxgated with its own config, database and secrets in a temp dir."""

    def __init__(self, channels, extra=None, env=None, tls=False, start=True):
        self.dir = tempfile.mkdtemp(prefix="mgd.")
        self.env = {**os.environ, **SAN_ENV, **(env or {})}
        self.port = None  # port 0: the kernel's choice, read from "listening on" at each start
        self.config = os.path.join(self.dir, "maxgate.ini")
        self.access_log = os.path.join(self.dir, "access.log")
        self.tls = tls
        sections = {
            "server": {"listen": "127.0.0.1:0", "threads": "2", "access_log": "access.log",
                       "drain_timeout_ms": "5000"},
            "upstream": {"cooldown_ms": "60000"},
            # the simulator's behaviour models (sim-429, sim-drop, ...) are chat models an operator
            # would have to price like any other: unpriced, the gateway refuses them (BL-1)
            "price.sim-*": {"input_per_mtok": "0.30", "output_per_mtok": "1.20", "cached_per_mtok": "0.06"},
        }
        if tls:
            crt, key = make_cert(self.dir, "server")
            sections["server"]["tls_cert"], sections["server"]["tls_key"] = crt, key
            self.cert = crt
        for (name, region, url, key_env, weight) in channels:
            sections["channel." + name] = {"region": region, "base_url": url, "key_env": key_env,
                                           "weight": str(weight)}
        for sec, kv in (extra or {}).items():
            sections.setdefault(sec, {}).update(kv)
        with open(self.config, "w") as f:
            for sec, kv in sections.items():
                f.write("[%s]\n" % sec)
                for k, v in kv.items():
                    f.write("%s = %s\n" % (k, v))
        self.admin_run("init")
        self.proc = None
        if start:
            self.start()

    @property
    def url(self):
        return ("https" if self.tls else "http") + "://127.0.0.1:%d" % self.port

    def admin_run(self, *args, input=None, check=True, env=None):
        r = subprocess.run([os.path.join(BIN, "maxgated"), "--config", self.config, *args], capture_output=True,
                           text=True, env={**self.env, **(env or {})}, input=input, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("maxgated %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return r

    def admin(self, *args, **kw):
        return self.admin_run("admin", *args, **kw)

    def create_user(self, email):
        return int(self.admin("user", "create", "--email", email).stdout.strip())

    ADMIN_PASSWORD = "Adm1n!Test#Pw9xQ"

    def make_admin(self, email="root@example.com", password=ADMIN_PASSWORD):
        """An admin account that can sign in to the platform (admin_email / admin_password)."""
        self.admin("user", "create", "--email", email, "--admin", "--password-stdin", input=password + "\n")
        self.admin_email, self.admin_password = email, password
        return email, password

    def create_key(self, email, region="gl", scopes=None, name="test", extra=(), env=None):
        args = ["key", "create", "--email", email, "--name", name, "--region", region, *extra]
        if scopes:
            args += ["--scopes", scopes]
        key = self.admin(*args, env=env).stdout.strip()
        if self.proc is not None:
            self.wait_key_state(key, lambda code: code != "KEY_UNKNOWN")
        return key

    def key_error(self, key):
        """The registry error a quota call with this key gets, or None."""
        r = requests.get(self.url + "/v1/token_plan/remains", headers={"authorization": "Bearer " + key},
                         timeout=10, verify=getattr(self, "cert", None))
        return None if r.status_code == 200 else self.error_name(r)

    @staticmethod
    def error_name(r):
        doc = r.json()
        msg = doc.get("base_resp", {}).get("status_msg", "")
        for name, needle in ERROR_TEXT.items():
            if needle in msg:
                return name
        return "OTHER:" + msg

    def wait_key_state(self, key, pred, timeout=WAIT_S):
        """Waits until the server's key cache (synced every 250 ms) shows
        pred(error name or None); returns that state."""
        seen = []

        def reached():
            seen.append(self.key_error(key))
            return (seen[-1],) if pred(seen[-1]) else None
        return wait_for(reached, timeout, "key %s... to reach the expected state (seen: %s)"
                        % (key[:19], sorted(set(map(str, seen)))))[0]

    def start(self):
        """Starts maxgated and waits until it listens (on a new port each time)."""
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = subprocess.Popen([os.path.join(BIN, "maxgated"), "--config", self.config, "serve"],
                                     stdout=subprocess.PIPE, stderr=open(self.stderr_path, "a"), text=True,
                                     env=self.env)
        _started.append(self.proc)
        self.port = int(_wait_line(self.proc, r"maxgated listening on \w+://[0-9.]+:(\d+)").group(1))

    def usage(self, request_id=None):
        args = ["usage", "list", "--json", "--limit", "1000"]
        if request_id:
            args += ["--request-id", request_id]
        out = self.admin(*args).stdout
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def wait_usage(self, request_id, timeout=WAIT_S):
        """The usage rows of a request, once the writer has committed them."""
        return wait_for(lambda: self.usage(request_id), timeout, "the usage event of request " + request_id)

    def wait_recorded(self, request_id, timeout=WAIT_S):
        """Waits until a request's own usage event and access-log line are
        there: the later positive fact to wait for before asserting that
        nothing else was recorded (the writer commits events in order)."""
        self.wait_usage(request_id, timeout)
        self.wait_access_line(request_id, timeout)

    def logs(self):
        text = open(self.stderr_path).read()
        if os.path.exists(self.access_log):
            text += open(self.access_log).read()
        return text

    def access_lines(self):
        if not os.path.exists(self.access_log):
            return []
        return [json.loads(l) for l in open(self.access_log) if l.strip()]

    def wait_access_line(self, request_id, timeout=WAIT_S):
        """The access-log lines of a request, once written."""
        return wait_for(lambda: [l for l in self.access_lines() if l.get("request_id") == request_id], timeout,
                        "the access-log line of request " + request_id)

    def wait_log(self, needle, timeout=WAIT_S):
        """The server and access logs, once they contain needle."""
        return wait_for(lambda: (lambda t: t if needle in t else None)(self.logs()), timeout,
                        "%r in the server log" % needle)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        rc = _stop(self.proc, sig)
        self.proc = None
        err = open(self.stderr_path).read()
        assert not SANITIZER_RE.search(err), err
        return rc


def chat(gw, key, path="/v1/chat/completions", body=None, headers=None, auth="bearer", stream=False, **kw):
    body = body if body is not None else {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hello"}]}
    if stream:
        body = dict(body, stream=True)
    h = {"content-type": "application/json"}
    if auth == "bearer":
        h["authorization"] = "Bearer " + key
    elif auth == "x-api-key":
        h["x-api-key"] = key
    elif auth == "api-key":
        h["api-key"] = key
    h.update(headers or {})
    return requests.post(gw.url + path, data=json.dumps(body), headers=h, timeout=30, stream=stream, **kw)

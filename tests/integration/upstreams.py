"""Small loopback servers the upstream-client tests talk to: an upstream that
answers with scripted bytes, and an HTTP CONNECT proxy.  Each runs in a
thread, records what it saw, and stops when asked."""
import base64
import select
import socket
import threading


class _Listener:
    """A loopback listening socket on port 0 whose accept loop hands each
    connection to self._handle in a thread of its own."""

    def __init__(self, backlog=128):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self._accepted()
            threading.Thread(target=self._handle, args=(c,), daemon=True).start()

    def _accepted(self):
        pass

    def stop(self):
        self.stopping = True
        self.sock.close()


class Scripted(_Listener):
    """An upstream whose answers are raw bytes.  `answers` is a list (one per
    request, reused cyclically) of bytes, or of callables taking the request
    bytes and returning bytes.  After each answer the connection stays open
    unless close_after is set; counts connections and requests."""

    def __init__(self, answers, close_after=False, close_idle=False):
        self.answers = answers
        self.close_after = close_after
        self.close_idle = close_idle
        self.connections = 0
        self.requests = []
        self.open_now = 0
        self.max_open = 0
        self.lock = threading.Lock()
        super().__init__()

    def _accepted(self):
        with self.lock:
            self.connections += 1
            self.open_now += 1
            self.max_open = max(self.max_open, self.open_now)

    @staticmethod
    def _read_request(c):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = c.recv(65536)
            if not chunk:
                return None
            rest += chunk
        return head + b"\r\n\r\n" + rest

    def _handle(self, c):
        try:
            while not self.stopping:
                req = self._read_request(c)
                if req is None:
                    return
                with self.lock:
                    n = len(self.requests)
                    self.requests.append(req)
                ans = self.answers[n % len(self.answers)]
                c.sendall(ans(req) if callable(ans) else ans)
                if self.close_after or self.close_idle:
                    return
        except OSError:
            pass
        finally:
            with self.lock:
                self.open_now -= 1
            c.close()


def json_answer(body=b'{"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5},'
                     b'"base_resp":{"status_code":0,"status_msg":"success"}}', extra=b""):
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n%s"
            % (len(body), extra, body))


class ConnectProxy(_Listener):
    """An HTTP CONNECT proxy on loopback: records each CONNECT target and its
    Proxy-Authorization header; `refuse` answers 403 instead."""

    def __init__(self, refuse=False):
        self.refuse = refuse
        self.targets = []
        self.auth = []
        super().__init__(backlog=64)

    def _handle(self, c):
        up = None
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n")[0].decode()
            lines = head.split("\r\n")
            method, target, _ = lines[0].split(" ")
            auth = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("proxy-authorization:")]
            self.targets.append(target)
            self.auth.append(auth[0] if auth else None)
            if method != "CONNECT" or self.refuse:
                c.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                return
            host, port = target.rsplit(":", 1)
            up = socket.create_connection((host.strip("[]"), int(port)))
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            socks = [c, up]
            while not self.stopping:
                r, _, _ = select.select(socks, [], [], 1.0)
                for s in r:
                    d = s.recv(65536)
                    if not d:
                        return
                    (up if s is c else c).sendall(d)
        except OSError:
            pass
        finally:
            c.close()
            if up is not None:
                up.close()


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

#!/usr/bin/python3
"""Memory rows of `make bench` (bench/run.sh, docs/benchmarks.md); standard library only.

  streams.py open  PORT AUTH PID --n 2000 [--tokens T --delay-ms D]
      opens N streamed chat requests at once through the proxy on PORT, waits until every one has
      received its first SSE event, keeps reading them (so no backpressure builds) and samples the
      VmRSS of process PID before and while they are open.
      prints: opened failed before_kib open_kib secs_to_open

  streams.py stall PORT AUTH PID --sim-pid SPID --n 20 [--tokens T]
      starts N long streams (T tokens, 100000 = 25 MB) with a tiny SO_RCVBUF, reads the response
      head and then never reads again; waits until the proxy's VmRSS and the simulator's bytes
      written (/proc/SPID/io wchar) have both stopped moving (or a deadline), then closes.
      prints: before_kib peak_kib final_kib upstream_bytes secs settled(1|0)

Nothing here sleeps for a result: every wait is a condition sampled with a deadline.
"""
import argparse
import asyncio
import socket
import sys
import time

BODY = b'{"model":"MiniMax-M2.7","stream":true,"messages":[{"role":"user","content":"hello, benchmark"}]}'
SAMPLE_S = 0.2          # sampling period of RSS / wchar
STABLE_SAMPLES = 10     # "stopped moving" = this many samples in a row within the tolerances below
RSS_TOLERANCE_KIB = 256
WCHAR_TOLERANCE = 64 * 1024
CONNECT_AT_ONCE = 256   # connections being opened at the same time (maxgated's listen backlog is 1024)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def wchar(pid):
    if pid is None:
        return 0
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise RuntimeError("no wchar for pid %d" % pid)


def request(port, auth, tokens, delay_ms):
    head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nx-sim-tokens: %d\r\n" % (port, auth, tokens))
    if delay_ms:
        head += "x-sim-delay-ms: %d\r\n" % delay_ms
    head += "Content-Length: %d\r\n\r\n" % len(BODY)
    return head.encode() + BODY


def wait_stable(pid, sim_pid, deadline_s):
    """Samples (rss, wchar) until both stop moving or the deadline; returns (samples, settled)."""
    samples = []
    end = time.monotonic() + deadline_s
    while True:
        samples.append((rss_kib(pid), wchar(sim_pid)))
        last = samples[-STABLE_SAMPLES:]
        if len(last) == STABLE_SAMPLES:
            rss = [s[0] for s in last]
            wc = [s[1] for s in last]
            if max(rss) - min(rss) <= RSS_TOLERANCE_KIB and max(wc) - min(wc) <= WCHAR_TOLERANCE:
                return samples, True
        if time.monotonic() >= end:
            return samples, False
        time.sleep(SAMPLE_S)


async def open_streams(a):
    req = request(a.port, a.auth, a.tokens, a.delay_ms)
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    stop = asyncio.Event()
    opened = asyncio.Event()
    state = {"opened": 0, "failed": 0, "ended": 0}
    writers = []

    def settled_one(ok):
        state["opened" if ok else "failed"] += 1
        if state["opened"] + state["failed"] == a.n:
            opened.set()

    async def one():
        try:
            async with gate:
                reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
                writers.append(writer)
                writer.write(req)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), a.deadline_s)
                if b" 200 " not in head.split(b"\r\n", 1)[0]:
                    raise RuntimeError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
                await asyncio.wait_for(reader.readuntil(b"\n\n"), a.deadline_s)  # first SSE event
        except Exception as e:  # a refused, reset or non-200 stream counts as failed
            if state["failed"] == 0:
                print("streams.py: first failure: %r" % e, file=sys.stderr)
            settled_one(False)
            return
        settled_one(True)
        while not stop.is_set():
            try:
                if not await reader.read(65536):
                    state["ended"] += 1
                    return
            except Exception:
                return

    rss0 = wait_stable(a.pid, None, a.deadline_s)[0][-1][0]  # start from a quiet proxy
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(one()) for _ in range(a.n)]
    await asyncio.wait_for(opened.wait(), a.deadline_s * 2)
    secs = time.monotonic() - t0
    peak = 0
    for _ in range(STABLE_SAMPLES):  # while all are open: the highest of a few samples
        peak = max(peak, rss_kib(a.pid))
        await asyncio.sleep(SAMPLE_S)
    if state["ended"]:
        print("streams.py: %d streams ended while measuring (make them longer)" % state["ended"], file=sys.stderr)
    stop.set()
    for w in writers:
        w.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print("%d %d %d %d %.1f" % (state["opened"], state["failed"], rss0, peak, secs))


def stall(a):
    req = request(a.port, a.auth, a.tokens, 0)
    before, _ = wait_stable(a.pid, a.sim_pid, a.deadline_s)  # start from a quiet proxy and simulator
    rss0, w0 = before[-1]
    socks = []
    try:
        for _ in range(a.n):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # set before connect: sets the window
            s.settimeout(a.deadline_s)
            s.connect(("127.0.0.1", a.port))
            s.sendall(req)
            head = b""
            while b"\r\n\r\n" not in head:
                d = s.recv(256)
                if not d:
                    sys.exit("streams.py: connection closed before the response head")
                head += d
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                sys.exit("streams.py: %s" % head.split(b"\r\n", 1)[0].decode(errors="replace"))
            socks.append(s)  # and never read again
        t0 = time.monotonic()
        samples, settled = wait_stable(a.pid, a.sim_pid, a.deadline_s)
        secs = time.monotonic() - t0
    finally:
        for s in socks:
            s.close()
    peak = max(s[0] for s in samples)
    rss1, w1 = samples[-1]
    print("%d %d %d %d %.1f %d" % (rss0, peak, rss1, w1 - w0, secs, settled))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["open", "stall"])
    p.add_argument("port", type=int)
    p.add_argument("auth")
    p.add_argument("pid", type=int, help="process whose VmRSS is measured")
    p.add_argument("--sim-pid", type=int, help="simulator, whose bytes written tell when upstream stopped")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--tokens", type=int, default=100000)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--deadline-s", type=float, default=50.0)
    a = p.parse_args()
    if a.mode == "open":
        asyncio.run(open_streams(a))
    else:
        stall(a)


if __name__ == "__main__":
    main()

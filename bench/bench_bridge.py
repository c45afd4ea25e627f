"""bench bridge: the bridge against a raw pyzmq ROUTER/DEALER echo measured in the same run.

    python3 master_forge.py bench bridge [--n 2000] [--tokens 2000] [--window 32]

Both servers are separate processes on local (ipc) sockets: the raw echo is a ROUTER that sends
each frame straight back; the bridge is a real ``serve --file`` service answering
STATUS_REQUEST (decode → worker → handler → encode → I/O thread) with the scripted test
responder for streams. Printed: round-trip latency p50/p99 (synchronous), messages/s (with
``--window`` requests in flight), each ÷ the raw echo; and the per-token cost of streaming
(time of an N-token answer minus a 1-token answer, ÷ (N-1)) ÷ one raw echo round trip.
Goal: latency ratio ≤ 3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zmq

REPO = Path(__file__).resolve().parent.parent

ECHO = """
import sys, zmq
ctx = zmq.Context()
r = ctx.socket(zmq.ROUTER)
r.bind(sys.argv[1])
print("ready", flush=True)
while True:
    frames = r.recv_multipart()
    if frames[1] == b"STOP":
        break
    r.send_multipart(frames)
"""


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _raw_socket(endpoint: str) -> zmq.Socket:
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.connect(endpoint)
    return d


PAYLOAD = b'{"protocol":2,"request_id":"x","command":"STATUS_REQUEST"}'


def _raw_rtts(d: zmq.Socket, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        d.send(PAYLOAD)
        d.recv()
        out.append(time.perf_counter() - t0)
    return out


def _bridge_rtts(c, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.status()
        out.append(time.perf_counter() - t0)
    return out


def _raw_rate(d: zmq.Socket, n: int, window: int) -> float:
    t0 = time.perf_counter()
    sent = got = 0
    while got < n:
        while sent < n and sent - got < window:
            d.send(PAYLOAD)
            sent += 1
        d.recv()
        got += 1
    return n / (time.perf_counter() - t0)


def _bridge_rate(c, n: int, window: int) -> float:
    from telos.bridge import protocol as P
    t0 = time.perf_counter()
    inflight: list = []
    sent = done = 0
    while done < n:
        while sent < n and len(inflight) < window:
            inflight.append(c.submit(P.StatusRequest()))
            sent += 1
        inflight.pop(0).result()
        done += 1
    return n / (time.perf_counter() - t0)


def measure(raw_ep: str, bridge_ep: str, n: int, window: int, tokens: int, blocks: int = 10) -> dict:
    """Raw and bridge measured in alternating blocks, so both see the same machine load."""
    from telos.bridge.client import BridgeClient
    d = _raw_socket(raw_ep)
    with BridgeClient(bridge_ep, curve=None, timeout=60) as c:
        c.wait_ready(120)
        deadline = time.monotonic() + 60   # let the first status refresh (it loads the areas) finish
        while not c.status().memory and time.monotonic() < deadline:
            time.sleep(0.2)
        _raw_rtts(d, 200), _bridge_rtts(c, 200)            # warm-up
        raw_all, br_all, ratios = [], [], []
        per = max(1, n // blocks)
        for _ in range(blocks):
            r, b = _raw_rtts(d, per), _bridge_rtts(c, per)
            raw_all += r
            br_all += b
            ratios.append(statistics.median(b) / statistics.median(r))
        raw_rates, br_rates = [], []
        for _ in range(3):
            raw_rates.append(_raw_rate(d, n, window))
            br_rates.append(_bridge_rate(c, n, window))

        def stream(k: int) -> float:
            t = time.perf_counter()
            got = sum(1 for _ in c.ask(f"b {k} 0"))
            assert got == k, (got, k)
            return time.perf_counter() - t
        one = statistics.median(stream(1) for _ in range(20))
        many = statistics.median(stream(tokens) for _ in range(3))
    d.send(b"STOP")
    time.sleep(0.05)
    d.close()
    return {"raw": {"p50": _pct(raw_all, .5), "p99": _pct(raw_all, .99),
                    "rate": statistics.median(raw_rates)},
            "bridge": {"p50": _pct(br_all, .5), "p99": _pct(br_all, .99),
                       "rate": statistics.median(br_rates)},
            "ratio_p50": statistics.median(ratios),
            "per_token": (many - one) / (tokens - 1), "tokens_per_s": tokens / many}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench bridge")
    ap.add_argument("--n", type=int, default=2000, help="requests per measurement (default 2000)")
    ap.add_argument("--window", type=int, default=32, help="requests in flight for messages/s")
    ap.add_argument("--tokens", type=int, default=2000, help="tokens in the long stream")
    args = ap.parse_args(argv)
    d = Path(tempfile.mkdtemp(prefix="bb", dir="/tmp"))
    home = d / "home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TELOS_HOME": str(home),
           "TELOS_RESPONDER": "tests.service.scripted:factory", "TELOS_METRICS": "off",
           "OMP_NUM_THREADS": "1"}
    env.pop("TELOS_ZEO", None)
    raw_ep, bridge_ep = f"ipc://{d}/echo.sock", f"ipc://{d}/bridge.sock"
    echo = subprocess.Popen([sys.executable, "-c", ECHO, raw_ep], stdout=subprocess.PIPE, text=True)
    svc = subprocess.Popen([sys.executable, "-m", "telos.cli", "serve", "--file", "--endpoint",
                            bridge_ep], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        echo.stdout.readline()
        print(f"bench bridge: n={args.n}, window={args.window}, stream of {args.tokens} tokens "
              f"(local sockets; raw = pyzmq ROUTER echo in its own process)", flush=True)
        m = measure(raw_ep, bridge_ep, args.n, args.window, args.tokens)
    finally:
        svc.terminate()
        echo.kill()
        svc.wait(60)
        echo.wait(10)
    us = 1e6
    raw, br = m["raw"], m["bridge"]
    print(f"{'measure':<28}{'raw echo':>14}{'bridge':>14}{'ratio':>10}")
    print(f"{'round trip p50 (us)':<28}{raw['p50'] * us:>14.1f}{br['p50'] * us:>14.1f}{br['p50'] / raw['p50']:>10.2f}")
    print(f"{'round trip p99 (us)':<28}{raw['p99'] * us:>14.1f}{br['p99'] * us:>14.1f}{br['p99'] / raw['p99']:>10.2f}")
    print(f"{'messages/s (window)':<28}{raw['rate']:>14.0f}{br['rate']:>14.0f}{raw['rate'] / br['rate']:>10.2f}  (raw ÷ bridge)")
    print(f"{'per streamed token (us)':<28}{raw['p50'] * us:>14.1f}{m['per_token'] * us:>14.1f}"
          f"{m['per_token'] / raw['p50']:>10.2f}  (÷ one raw round trip)")
    print(f"streaming: {m['tokens_per_s']:.0f} tokens/s through the bridge")
    ok = m["ratio_p50"] <= 3
    print(f"latency ratio (median of {10} alternating blocks): {m['ratio_p50']:.2f} — goal <= 3 "
          f"{'met' if ok else 'NOT met'}")
    return 0

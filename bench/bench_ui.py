"""bench ui: frames per second while 2,000 tokens stream in, and token-to-widget latency.

A real stack on a temporary home (ZEO + ``serve`` + the Ollama stand-in answering a 2,000-token
reply through the real ``ollama`` client) and the real UI in this process (SDL offscreen when no
display). Measured in the same run:

* baselines: frames per second of the idle UI (connected, nothing streaming; Kivy draws only
  what changed) and of the same window forced to redraw every frame (a one-pixel change) — the
  ceiling the GL renderer allows (with Mesa's software llvmpipe on a busy CPU it is low);
* streaming: frames per second while the 2,000 tokens arrive — printed as a ratio to idle;
* latency: for every token, from its arrival off the bridge (the client's I/O thread, i.e. as it
  leaves the local socket) to the end of the first frame whose widget tree shows it (the
  streaming bubble's text has reached it) — median / p95 / max, also in baseline frame times;
* scrolling (:mod:`ui_scroll`): the Thoughts timeline holding 10,000 thoughts of the image
  (committed by a shell while the UI runs, arriving as pushes) and the chat holding a long conversation,
  each scrolled by the same pixels per frame, alternately — frames/s of each and their ratio.

* the memory map (``--map N``, default 10,000; 0 skips it): N memories loaded over the bridge
  into the map view, then frames per second while it pans, printed beside the chat's streaming
  frame rate of the same run, and the median time of a zoom (:mod:`bench.ui_map`).

``master_forge.py bench ui [--tokens N] [--rate TOKENS_PER_S] [--map N] [--thoughts N] [--exchanges N]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


_STANDIN_CHILD = """
import sys
from tests.ollama_standin import OllamaStandIn
reply = sys.stdin.readline().rstrip("\\n")
with OllamaStandIn(default_reply=reply, delay=float(sys.argv[1])) as srv:
    print(srv.url, flush=True)
    sys.stdin.read()          # until the bench closes our stdin
"""


def _words(n: int) -> str:
    vocab = ("the image remembers every thought it commits and forgets the ones that fail ; "
             "prototypes delegate to parents , methods are source , personas speak in turn").split()
    return " ".join(vocab[i % len(vocab)] for i in range(n))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench ui", description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=400.0, help="tokens per second from the model (default 400)")
    ap.add_argument("--map", type=int, default=10_000, metavar="N",
                    help="memories on the map for the pan measure (default 10,000; 0: skip)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary home")
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of the streaming phase to FILE (the timeline's scrolling: FILE.scroll)")
    ap.add_argument("--trace", action="store_true", help="print the latency of every 100th token")
    ap.add_argument("--thoughts", type=int, default=10_000,
                    help="thoughts in the image for the timeline's scrolling (default 10,000; 0: skip)")
    ap.add_argument("--exchanges", type=int, default=300,
                    help="question/answer pairs in the chat for its scrolling (default 300)")
    ap.add_argument("--scroll-seconds", type=float, default=4.0, help="per scrolling run (default 4)")
    ap.add_argument("--step", type=float, default=40.0, help="pixels scrolled per frame (default 40)")
    args = ap.parse_args(argv)

    from tests.ui.stack import Stack

    reply = _words(args.tokens)
    pieces = re.findall(r"\s*\S+|\s+", reply)          # how the stand-in splits its reply
    ends, total = [], 0
    for p in pieces:
        total += len(p)
        ends.append(total)

    tmp = Path(tempfile.mkdtemp(prefix="telos-bench-ui-"))
    # the model runs in its own process, as a real Ollama server would (not in the UI's process)
    standin = subprocess.Popen([sys.executable, "-c", _STANDIN_CHILD, str(1.0 / args.rate)],
                               cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    standin.stdin.write(reply + "\n")
    standin.stdin.flush()
    url = standin.stdout.readline().strip()
    stack = Stack(tmp / "home", url)
    try:
        print(f"starting a stack in {tmp} (ZEO, service, Ollama stand-in) …", flush=True)
        stack.start_zeo()
        stack.configure_image()
        stack.start_service()
        return _measure(stack, reply, ends, args)
    finally:
        stack.stop()
        standin.stdin.close()
        standin.wait(10)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def _measure(stack, reply: str, ends: list[int], args) -> int:
    from ui import env

    env.prepare(home=stack.home, headless=None if not env.is_headless() else True)
    from kivy.base import EventLoop

    from telos.bridge import protocol as P
    from ui.app import TelosApp
    from ui.client import InboxClient
    from ui.link import Link

    arrivals: dict[int, float] = {}
    lock = threading.Lock()

    def on_receive(item) -> None:                       # client I/O thread
        if isinstance(item, P.PersonaResponsePartial):
            now = time.perf_counter()
            with lock:
                arrivals[item.seq] = now

    client = InboxClient(stack.endpoint, on_receive=on_receive)
    link = Link(client, endpoint=client.endpoint)
    app = TelosApp(link)
    EventLoop.ensure_window()
    app._run_prepare()
    deadline = time.monotonic() + 60
    while not (link.connected and link.last_status is not None):
        if time.monotonic() > deadline:
            print("the UI did not connect to the service", file=sys.stderr)
            return 1
        EventLoop.idle()
    chat = app.root.ids.chat

    # warm-up query: the service loads its responder, the UI its fonts
    rid = chat.submit("warm up")
    while chat.chatlog.pending:
        EventLoop.idle()
    chat.clear()
    arrivals.clear()

    # --- baseline: idle frames ----------------------------------------------------------------
    idle_frames, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 3.0:
        EventLoop.idle()
        idle_frames += 1
    idle_fps = idle_frames / (time.perf_counter() - t0)

    # --- baseline 2: the window redrawn every frame (a one-pixel change), no tokens ---------------
    from kivy.graphics import Color, Rectangle
    with app.root.canvas.after:
        Color(0, 0, 0, 0.01)
        dot = Rectangle(pos=(0, 0), size=(1, 1))
    redraw_frames, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 3.0:
        dot.pos = (redraw_frames % 2, 0)
        EventLoop.idle()
        redraw_frames += 1
    redraw_fps = redraw_frames / (time.perf_counter() - t0)
    app.root.canvas.after.remove(dot)

    # --- streaming ---------------------------------------------------------------------------
    rid = chat.submit("stream")
    shown: dict[int, float] = {}
    next_seq = 0
    frames, t_first, t_last = 0, None, None
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    while True:
        EventLoop.idle()
        now = time.perf_counter()
        shown_len, _ = app.root.ids.chat.ids.chat_view.visible_text(rid)
        while next_seq < len(ends) and ends[next_seq] <= shown_len:
            shown[next_seq] = now
            next_seq += 1
        if t_first is None and arrivals:
            t_first = now
        if t_first is not None:
            frames += 1
        if not chat.chatlog.pending and next_seq >= len(ends):
            t_last = now
            break
        if now - start > 300:
            print(f"timed out: {next_seq}/{len(ends)} tokens shown", file=sys.stderr)
            return 1
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    stream_fps = frames / (t_last - t_first)
    lat = sorted((shown[s] - arrivals[s]) * 1000 for s in shown if s in arrivals)
    idle_ms = 1000 / idle_fps
    entry = next(e for e in chat.chatlog.entries if e.request_id == rid and e.kind == "persona")
    # grounded chat appends the sources it was given ("\n\nSources: [p1] prototype Object")
    assert entry.text.partition("\n\nSources: ")[0] == reply, \
        "the streamed text differs from what the model sent"

    if args.trace:
        for s_ in range(0, len(ends), 100):
            if s_ in shown and s_ in arrivals:
                print(f"  token {s_:5d}: arrived +{(arrivals[s_] - arrivals[0]) * 1000:7.0f} ms, "
                      f"shown after {(shown[s_] - arrivals[s_]) * 1000:6.0f} ms")

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    print(f"tokens streamed           : {len(lat)} of {len(ends)} "
          f"(model rate {args.rate:.0f}/s, {t_last - t_first:.2f} s on screen)")
    print(f"idle UI (baseline)        : {idle_fps:6.1f} frames/s  ({idle_ms:.1f} ms per frame)")
    print(f"redraw every frame (base) : {redraw_fps:6.1f} frames/s  (what the GL renderer allows)")
    print(f"while streaming           : {stream_fps:6.1f} frames/s  = {stream_fps / idle_fps:.2f} × idle, "
          f"{stream_fps / redraw_fps:.2f} × redraw baseline")
    print(f"chat rows rewritten       : {chat.ids.chat_view.syncs} times for {entry.tokens} tokens "
          f"({entry.tokens / max(1, chat.ids.chat_view.syncs):.1f} tokens per redraw)")
    redraw_ms = 1000 / redraw_fps
    print(f"token → widget tree       : median {statistics.median(lat):.1f} ms, p95 {q(0.95):.1f} ms, "
          f"max {lat[-1]:.1f} ms  = {statistics.median(lat) / redraw_ms:.2f} / {q(0.95) / redraw_ms:.2f} "
          f"redraw-baseline frames")
    if args.map:      # after the chat: memories would ground its answer (a sources line)
        from bench.ui_map import measure_map, seed_memories
        t0 = time.perf_counter()
        held = seed_memories(stack, args.map)
        print(f"memories stored           : {held:,} (synthetic embeddings) in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        m = measure_map(app, args.map)
        print(f"memory map                : {m['points']:,} points loaded over the bridge in "
              f"{m['load_s']:.1f} s (MEMORY_MAP pages, first projection included)")
        print(f"map panning               : {m['pan_fps']:6.1f} frames/s  (chat while streaming "
              f"{stream_fps:.1f}, redraw baseline {redraw_fps:.1f}) = {m['pan_fps'] / redraw_fps:.2f} "
              f"× redraw baseline")
        print(f"map zoom (vertices again) : median {m['zoom_ms']:.1f} ms per zoom step")
    if args.thoughts:
        _scrolling(app, link, args, stack)
    app.dispatch("on_stop")
    return 0


def _sibling(name: str):
    """The module bench/NAME.py (the bench directory is not a package)."""
    import importlib.util
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _scrolling(app, link, args, stack) -> None:
    print(f"committing {args.thoughts:,} thoughts by a shell; the timeline receives them live …",
          flush=True)
    r = _sibling("ui_scroll").measure(app, link, stack, thoughts=args.thoughts, exchanges=args.exchanges,
                                      seconds=args.scroll_seconds, step_px=args.step,
                                      profile=f"{args.profile}.scroll" if args.profile else None)
    runs = lambda xs: ", ".join(f"{x:.1f}" for x in xs)     # noqa: E731
    print(f"  {r['listed']:,} thoughts in the timeline after {r['seeded_s']:.0f} s "
          f"({r['pushes']} THOUGHTS_COMMITTED pushes)")
    print(f"scrolling, {args.step:.0f} px a frame, {args.scroll_seconds:.0f} s a run, alternating:")
    print(f"  chat     ({r['chat_rows']:,} rows)     : {r['chat_fps']:6.1f} frames/s  (runs {runs(r['chat_runs'])})")
    print(f"  timeline ({r['listed']:,} thoughts) : {r['timeline_fps']:6.1f} frames/s  "
          f"(runs {runs(r['timeline_runs'])})")
    print(f"  timeline ÷ chat            : {r['timeline_fps'] / r['chat_fps']:.2f}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

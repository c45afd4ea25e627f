"""The UI entry point: environment, logging, client, link, app — and the screenshot mode.

``python -m telos.cli ui`` (``master_forge.py ui``) calls :func:`run` with the parsed options.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--view", choices=("chat", "inspector", "memory", "timeline", "history",
                                           "backups", "status", "map", "kernel"),
                        default="chat", help="the view to open (default: chat; history: of --inspect "
                                             "NAME, default Config, with its newest two revisions compared)")
    parser.add_argument("--screenshot", metavar="PATH", type=Path,
                        help="render the view against the running service, save a PNG and exit")
    parser.add_argument("--after", metavar="SECONDS", type=float, default=2.0,
                        help="with --screenshot: wait at least this long before shooting (default 2)")
    parser.add_argument("--patience", metavar="SECONDS", type=float, default=30.0,
                        help="with --screenshot: wait at most this much longer for the view to be ready")
    parser.add_argument("--query", metavar="TEXT", help="send this to the chat once connected")
    parser.add_argument("--persona", metavar="NAME", help="persona for --query (default: auto)")
    parser.add_argument("--inspect", metavar="NAME", help="open this prototype in the inspector")
    parser.add_argument("--search", metavar="TEXT", help="search memory for this once connected")
    parser.add_argument("--as-of", metavar="THOUGHT", dest="as_of",
                        help="with --view inspector: show --inspect NAME as of this thought (read-only)")
    parser.add_argument("--endpoint", metavar="URL",
                        help="bridge endpoint (default: TELOS_BRIDGE or $TELOS_HOME/run/bridge.sock)")
    parser.add_argument("--size", metavar="WxH", default="1180x760", help="window size (default 1180x760)")
    parser.add_argument("--headless", action="store_true",
                        help="render offscreen even when a display exists (SDL offscreen driver)")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1180x760") from None
    return w, h


def run(args: argparse.Namespace) -> int:
    from telos import config, logsetup
    from ui import env

    home = config.telos_home()
    logsetup.configure("ui", home=home)
    if env.is_headless() and not (args.screenshot or args.headless):
        log.error("no display (DISPLAY / WAYLAND_DISPLAY are not set): nothing could show the UI. "
                  "Use --screenshot PATH to render a view to a file, --headless to run offscreen "
                  "anyway, or run it on a desktop (or under xvfb-run).")
        return 2
    env.prepare(home=home, headless=True if args.headless or env.is_headless() else None,
                size=_size(args.size))

    from ui.app import TelosApp
    from ui.client import InboxClient
    from ui.link import Link
    from telos.errors import TelosError

    try:
        client = InboxClient(args.endpoint, home=home)
    except TelosError as exc:
        log.error("cannot reach the bridge: %s", exc)
        return 2
    link = Link(client, endpoint=client.endpoint)
    app = TelosApp(link, view=args.view)
    job = None
    state = {"query": None}

    def when_connected() -> None:
        root = app.root
        if args.query and state["query"] is None:
            state["query"] = root.ids.chat.submit(args.query, persona=args.persona)
        if args.search and args.view == "map":
            state["map_search"] = True
        elif args.search and not root.ids.memory.ids.memory_results.data:
            root.ids.memory.search(args.search)
        if args.view == "inspector":
            root.ids.inspector.load_registry()
            if args.as_of and not root.ids.inspector.as_of:
                root.ids.inspector.open_as_of(args.as_of, name=args.inspect or "Config")
        if args.view == "history" and not root.ids.history.object_id:
            root.ids.history.open(name=args.inspect or "Config")

    def ready() -> bool:
        root = app.root
        if not link.connected or link.last_status is None:
            return False
        if args.view == "chat":
            return not args.query or (state["query"] is not None and not root.ids.chat.chatlog.pending)
        if args.view == "inspector":
            return root.ids.inspector.current is not None
        if args.view == "timeline":
            return root.ids.timeline.replies > 0
        if args.view == "history":
            h = root.ids.history
            return h.replies > 0 and (h.diffs > 0 or len(h.revisions) < 1)
        if args.view == "memory":
            return not args.search or root.ids.memory.replies > 0
        if args.view == "backups":
            return root.ids.backups.replies > 0          # the list of sets arrived
        if args.view == "status":
            return root.ids.status_page.renders > 0
        if args.view == "map":                           # the points arrived (and the hits)
            memory_map = root.ids.memory_map
            if memory_map.loads and state.get("map_search") is True:
                state["map_search"] = memory_map.search(args.search)
            return memory_map.loads > 0 and (not args.search or memory_map.searches > 0)
        if args.view == "kernel":
            return root.ids.kernel.catch_ups > 0         # the recent kernel events arrived
        return True

    def on_start(*_a) -> None:
        if args.inspect:
            app.root.ids.inspector.auto_open = args.inspect
        link.on_found(when_connected)
        if job is not None:
            job.start()

    if args.screenshot:
        from ui.screenshot import ScreenshotJob
        job = ScreenshotJob(app, args.screenshot, after=args.after, patience=args.patience, ready=ready)
    app.bind(on_start=on_start)
    app.run()
    if args.query and state["query"] is not None:
        _report_answer(app.root.ids.chat.chatlog, state["query"])
    if job is not None:
        if job.saved is None:
            log.error("no screenshot was taken")
            return 1
        print(job.saved)
        return job.exit_status or 0
    return 0


def _report_answer(chatlog, request_id: str) -> None:
    """For scripts: what the chat received for ``--query``, on stderr (stdout has the PNG path)."""
    import json
    import sys
    entry = next((e for e in chatlog.entries if e.request_id == request_id and e.kind != "user"),
                 None)
    info = {"request_id": request_id, "kind": entry.kind if entry else None,
            "persona": entry.persona if entry else None,
            "streamed_tokens": entry.tokens if entry else 0,
            "complete": bool(entry and not entry.streaming),
            "text": entry.text if entry else ""}
    sys.stderr.write("ui answer: " + json.dumps(info) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="telos-ui", description="The TelOS Morphic desktop client")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

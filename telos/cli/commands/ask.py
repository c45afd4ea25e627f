"""``ask``: ask the personas a question; the answer streams onto the terminal.

    master_forge.py ask "TEXT" [--persona NAME] [--backend auto|ollama|embedded]
    master_forge.py ask --status
"""

from __future__ import annotations

import json
import sys
import threading
import time

from telos.cli.attach import add_local_flag, open_for_cli, service_client
from telos.cli.statusline import StatusLine, progress_text


SILENCE_S = 10.0    # give up when the service says nothing at all for this long


def _ask_service(client, text: str, persona: str | None, max_tokens: int | None) -> int:
    with client, StatusLine(sys.stderr) as line:
        call = client.ask(text, persona=persona, timeout=SILENCE_S, max_tokens=max_tokens,
                          on_progress=lambda p: line.show(progress_text(p)))
        first = True
        for part in call:
            if first:
                line.clear()
                print(f"{part.persona_id} (through the service):", file=sys.stderr, flush=True)
                first = False
            sys.stdout.write(part.token)
            sys.stdout.flush()
        call.result()                            # raises with the service's error, if any
    sys.stdout.write("\n")
    return 0


def _watch(turn, line: StatusLine, first: threading.Event, every: float = 0.5) -> None:
    """Until the first token: what the local model is doing (converting, loading), on stderr."""
    t0 = time.monotonic()
    while not first.wait(every):
        p = turn.progress()
        line.show(f"{p.text()} ({time.monotonic() - t0:.0f} s)")


def run(args) -> int:
    if args.text and not args.status and not args.backend:
        client = service_client(args)
        if client is not None:
            return _ask_service(client, " ".join(args.text), args.persona, args.max_tokens)
    from telos.llm.orchestrator import Orchestrator
    from telos.llm.select import choose_backend

    image = open_for_cli()
    try:
        backend = choose_backend(image, prefer=args.backend) if args.backend else None
        orch = Orchestrator.for_image(image, backend=backend)
        if args.status:
            print(json.dumps(orch.status(), indent=2, default=str))
            return 0
        if not args.text:
            print("error: nothing to ask (give TEXT or --status)", file=sys.stderr)
            return 2
        text = " ".join(args.text)
        options = {"num_predict": args.max_tokens or 256}
        if args.temperature is not None:
            options["temperature"] = args.temperature
        turn = orch.ask(text, persona=args.persona, options=options)
        with StatusLine(sys.stderr) as line:
            first = threading.Event()
            watcher = threading.Thread(target=_watch, args=(turn, line, first), daemon=True)
            watcher.start()
            for token in turn:
                if not first.is_set():
                    first.set()
                    watcher.join()
                    line.clear()
                    print(f"{turn.persona.name} ({turn.model} via {orch.backend.name}):",
                          file=sys.stderr, flush=True)
                sys.stdout.write(token)
                sys.stdout.flush()
            first.set()
        sys.stdout.write("\n")
        return 0
    finally:
        image.close()


def register(sub) -> None:
    p = sub.add_parser("ask", help="ask a persona; the answer streams as it is generated",
                       description="Route TEXT to a persona (ALFRED, BRICK, ROBIN, BABS; or "
                                   "--persona) and stream its answer. Uses Ollama when it is "
                                   "configured or reachable, else the embedded model "
                                   "(Config.embedded_model: SmolLM2 by default).")
    p.add_argument("text", nargs="*", help="the question")
    p.add_argument("--persona", help="ALFRED | BRICK | ROBIN | BABS (default: routed by content)")
    p.add_argument("--backend", choices=("auto", "ollama", "embedded"),
                   help="override the image's Config.llm_backend for this call")
    p.add_argument("--max-tokens", type=int, default=None, help="longest answer (default 256)")
    p.add_argument("--temperature", type=float, default=None,
                   help="sampling temperature (default: the backend's; 0 = greedy)")
    p.add_argument("--status", action="store_true",
                   help="print the backend, model per persona and VRAM use, then exit")
    add_local_flag(p)
    p.set_defaults(func=run)

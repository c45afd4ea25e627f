"""``ui``: the Morphic desktop client (Kivy), talking to the running service over the bridge.

``master_forge.py ui --screenshot PATH [--view chat|inspector|memory|timeline|history|backups|status|map|kernel]
[--after SECONDS]`` renders a view against the running service, saves a PNG and exits (0; 3 when
the view never became ready, e.g. the service was not running — the picture then shows that).
"""

from __future__ import annotations


def run(args) -> int:
    from ui.main import run as run_ui   # imports Kivy only when the UI is really started

    return run_ui(args)


def register(sub) -> None:
    from ui.main import add_arguments

    p = sub.add_parser("ui", help="the Morphic desktop client (chat, inspector, memory, timeline, backups, status)",
                       description="Start the Kivy client against the running service "
                                   "(`master_forge.py serve`). Headless machines render with SDL's "
                                   "offscreen driver; --screenshot saves a PNG and exits.")
    add_arguments(p)
    p.set_defaults(func=run, log_name="ui")

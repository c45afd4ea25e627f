"""``run``: what the bare ``python3 master_forge.py`` does after forging — start the system, then
the UI when there is a display, else say how to attach."""

from __future__ import annotations

import os

NO_DISPLAY = """\
TelOS is running (bridge {bridge}).
There is no display here (DISPLAY / WAYLAND_DISPLAY unset), so no desktop UI. Attach with:
  python3 master_forge.py shell            a Python shell on the live image
  python3 master_forge.py ask "..."        ask a persona
  python3 master_forge.py status           what runs, and its health
Stop everything with: python3 master_forge.py stop"""


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args) -> int:
    from telos import config
    from telos.service import control
    home = config.telos_home()
    print(f"starting TelOS in {home} (supervisord: ZEO + service) ...", flush=True)
    info = control.start(home, wait=args.wait)
    if not info["ready"]:
        print(f"the service did not become ready: {info.get('error', '')}\n"
              f"see `python3 master_forge.py status` and {config.log_dir(home)}/service.out")
        return 1
    if args.no_ui or not has_display():
        print(NO_DISPLAY.format(bridge=info["bridge"]))
        return 0
    try:
        from telos.cli.commands import ui
    except ImportError:
        print(NO_DISPLAY.format(bridge=info["bridge"]))
        return 0
    from telos.cli import build_parser
    ui_args = build_parser().parse_args(["ui"])
    code = ui.run(ui_args)
    print("the UI closed; TelOS keeps running. Stop it with: python3 master_forge.py stop")
    return code


def register(sub) -> None:
    p = sub.add_parser("run", help="start TelOS (supervisord) and the UI when a display exists",
                       description="Start supervisord with ZEO and the service, wait until it answers, "
                                   "then open the desktop UI if there is a display; otherwise print "
                                   "how to attach (shell, ask) and how to stop.")
    p.add_argument("--no-ui", action="store_true", help="don't start the UI")
    p.add_argument("--wait", type=float, default=180.0, help="seconds to wait for the service (default 180)")
    p.set_defaults(func=run, log_name="control")

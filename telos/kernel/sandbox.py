"""Step 5 of the cognitive cycle: a trial of generated code in a sandbox subprocess.

The trial runs ``python -I -S -c <_sandbox_child.py>``:

- isolated interpreter (no site-packages, no user site, no ``PYTHON*`` variables), an **empty
  environment**, a fresh private **temporary working directory** (mode 0700, owned by the
  trial's user) removed afterwards; its output goes to files in another directory it cannot
  reach;
- in a **new session / process group**, killed as a group (SIGKILL) on the wall-clock timeout;
- in its own **network namespace** (no interfaces) when the kernel allows it;
- as **nobody** (uid/gid 65534, no groups): the child drops privileges itself after importing
  what it needs (the interpreter may live under a 0700 home nobody cannot read). When it
  cannot — the parent is not root, or the drop fails — the trial is **refused** (fail closed),
  unless the ``TELOS_SANDBOX_NO_DROP=1`` setting (development machines only) allows running it
  as the calling user;
- ``setrlimit`` on CPU seconds, address space, file size, open files and processes (NPROC 0);
- an audit hook refusing file opens, new imports, ``os``/``subprocess``/``socket`` calls and
  frame introspection;
- the method is compiled and budgeted exactly as in the image (:mod:`telos.execution`);
- only JSON crosses back, on stdout, carrying a per-trial nonce; nothing is ever unpickled.

The receiver crosses in as a copy with the real receiver's type name (``UvmObject``), ``repr``
and visible data slots (as JSON values; objects become ``None``), and its method sources; the
call's real arguments must be JSON values too. The child reports its uid, gid and network in
:attr:`TrialResult.details`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import RestrictedPython

import telos
from telos import config
from telos.errors import GenerationError
from telos.execution import budget

log = logging.getLogger(__name__)

STEP = "trial"
_CHILD = (Path(__file__).with_name("_sandbox_child.py")).read_text()
NOBODY = 65534
MAX_OUTPUT = 1 << 20
# where the child finds telos.execution and RestrictedPython (imported before the drop)
_PATHS = [str(Path(telos.__file__).resolve().parent.parent),
          str(Path(RestrictedPython.__file__).resolve().parent.parent)]


def _euid() -> int:
    return os.geteuid()


def _no_drop_allowed() -> bool:
    return config.get("sandbox_no_drop")


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 3
    wall_seconds: float = 10.0
    memory_bytes: int = 512 * 2**20
    file_bytes: int = 1 << 20
    open_files: int = 32


@dataclass
class TrialResult:
    value: Any
    stdout: str = ""
    details: dict = field(default_factory=dict)


def to_json_value(value: Any, *, depth: int = 0) -> Any:
    """A JSON copy of a slot value: persistent containers become lists/dicts; anything else that
    JSON cannot carry (objects, functions) becomes ``None``. Never raises."""
    if depth > 20:
        return None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Mapping) or hasattr(value, "items") and hasattr(value, "keys"):
        try:
            return {str(k): to_json_value(v, depth=depth + 1) for k, v in value.items()}
        except Exception:  # noqa: BLE001 - an odd mapping: carry nothing rather than fail
            return None
    if isinstance(value, (list, tuple, set, frozenset)) or type(value).__name__ in (
            "PersistentList", "TreeSet", "OOTreeSet"):
        return [to_json_value(v, depth=depth + 1) for v in value]
    return None


def _strict_json(value: Any, what: str) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise GenerationError(STEP, f"{what} cannot be copied into the sandbox (only JSON "
                                    f"values can): {exc}") from exc


def _method_entry(value) -> list:
    """``source`` (restricted) or ``(source, trusted)`` → ``[source, trusted]``."""
    if isinstance(value, str):
        return [value, False]
    source, trusted = value
    return [str(source), bool(trusted)]


def run_trial(source: str, selector: str, *, slots: Mapping[str, Any] | None = None,
              methods: Mapping[str, Any] | None = None, args: Sequence = (),
              kwargs: Mapping[str, Any] | None = None, name: str | None = None,
              receiver_repr: str | None = None, limits: Limits = Limits(),
              trusted: bool = False) -> TrialResult:
    """Run ``source`` (one ``def selector``) on a copy of the receiver; return its JSON value.

    ``methods`` maps the receiver's other method names to their source (restricted) or to
    ``(source, trusted)``. Raises GenerationError(step="trial") when the method raises, runs
    out of time, memory or budget, returns something that is not JSON, the process dies, or
    the sandbox cannot drop privileges (fail closed). ``trusted=True`` compiles the method as
    plain Python (tests of the process-level fences; the kernel never passes it).
    """
    drop = _euid() == 0
    allow_no_drop = _no_drop_allowed()
    if not drop and not allow_no_drop:
        raise GenerationError(STEP, f"the sandbox cannot run trials as nobody because this "
                                    f"process is not root (uid {_euid()}); set "
                                    f"TELOS_SANDBOX_NO_DROP=1 only on a development machine",
                              selector=selector)
    nonce = secrets.token_hex(16)
    payload = {
        "nonce": nonce, "selector": selector, "source": source, "name": name,
        "trusted": bool(trusted),
        "repr": receiver_repr or f"<{name or 'UvmObject'} {{{', '.join(slots or {})}}}>",
        "slots": {k: to_json_value(v) for k, v in (slots or {}).items()},
        "methods": {k: _method_entry(v) for k, v in (methods or {}).items() if k != selector},
        "args": _strict_json(list(args), "an argument"),
        "kwargs": _strict_json(dict(kwargs or {}), "a keyword argument"),
        "limits": {"cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes,
                   "file_bytes": limits.file_bytes, "open_files": limits.open_files},
        "budget": dict(vars(budget.LIMITS[0])),
        "paths": _PATHS,
        "uid": NOBODY if drop else -1, "gid": NOBODY if drop else -1,
        "allow_no_drop": allow_no_drop,
    }
    data = json.dumps(payload).encode()
    workdir = Path(tempfile.mkdtemp(prefix="telos-trial-"))
    outdir = Path(tempfile.mkdtemp(prefix="telos-trial-out-"))
    try:
        if drop:
            os.chown(workdir, NOBODY, NOBODY)
        out_path, err_path = outdir / "out", outdir / "err"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = _spawn(out, err, workdir)
            killed = False
            try:
                proc.communicate(data, timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                killed = True
                _kill_group(proc)
        rc = proc.returncode
        raw = _read_capped(out_path)
        err_text = _read_capped(err_path).decode("utf-8", "replace")[-800:]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(outdir, ignore_errors=True)
    if killed:
        raise GenerationError(STEP, f"timeout: the method did not finish in "
                                    f"{limits.wall_seconds:g} s (killed)", selector=selector)
    if rc and rc < 0:
        sig = signal.Signals(-rc).name
        why = {"SIGXCPU": f"CPU time limit of {limits.cpu_seconds} s exceeded",
               "SIGKILL": "killed (memory or time limit)",
               "SIGXFSZ": f"file size limit of {limits.file_bytes} bytes exceeded",
               "SIGSEGV": "crashed"}.get(sig, "killed")
        raise GenerationError(STEP, f"the trial process died by {sig}: {why}", selector=selector)
    result = _parse(raw, nonce, selector)
    if result is None:
        raise GenerationError(STEP, f"the trial process gave no result (exit {rc}): "
                                    f"{err_text.strip()[-300:] or 'no output'}", selector=selector)
    if result.get("kind") == "privileges":
        raise GenerationError(STEP, f"the sandbox refused to run the trial because it could not "
                                    f"drop privileges to nobody: {result.get('error')}; set "
                                    f"TELOS_SANDBOX_NO_DROP=1 only on a development machine",
                              selector=selector)
    if not result.get("ok"):
        raise GenerationError(STEP, str(result.get("error") or "the method failed"),
                              selector=selector)
    return TrialResult(result.get("value"), str(result.get("stdout", "")), result)


def _spawn(out, err, workdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _CHILD], stdin=subprocess.PIPE,
        stdout=out, stderr=err, cwd=workdir, env={"TMPDIR": str(workdir)},
        start_new_session=True, close_fds=True)


def _read_capped(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_OUTPUT + 1)[:MAX_OUTPUT]
    except OSError:
        return b""


def _parse(raw: bytes, nonce: str, selector: str) -> dict | None:
    """The child's one JSON object, if it carries our nonce (else None). JSON only."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("nonce") != nonce:
        return None
    return doc


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:  # pragma: no cover - a different uid that we cannot signal
        proc.kill()
    proc.wait()

"""Step 5 of the cognitive cycle: a trial of generated code in a sandbox subprocess.

The trial runs ``python -I -S -c <_sandbox_child.py>``:

- isolated interpreter (no site-packages, no user site, no ``PYTHON*`` variables), an **empty
  environment**, a fresh **temporary working directory** removed afterwards;
- in a **new session / process group**, killed as a group (SIGKILL) on the wall-clock timeout;
- as ``nobody`` when we are root (so file permissions and ``RLIMIT_NPROC`` apply);
- ``setrlimit`` on CPU seconds, address space, file size, open files and processes (set by the
  child on itself before any untrusted code runs);
- an audit hook refusing file opens, new imports, ``os``/``subprocess``/``socket`` calls and
  frame introspection;
- only JSON crosses back, on stdout, carrying a per-trial nonce; nothing is ever unpickled.

The receiver crosses in as a copy: its visible data slots as JSON values (objects become
``None``) and its method sources; the call's real arguments must be JSON values too.
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

from telos.errors import GenerationError
from telos.kernel.policy import ALLOWED_MODULES

log = logging.getLogger(__name__)

STEP = "trial"
_CHILD = (Path(__file__).with_name("_sandbox_child.py")).read_text()
NOBODY = 65534
MAX_OUTPUT = 1 << 20
_CAN_DROP = [True]   # becomes False once nobody was found unable to run the interpreter


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


def run_trial(source: str, selector: str, *, slots: Mapping[str, Any] | None = None,
              methods: Mapping[str, str] | None = None, args: Sequence = (),
              kwargs: Mapping[str, Any] | None = None, name: str | None = None,
              limits: Limits = Limits()) -> TrialResult:
    """Run ``source`` (one ``def selector``) on a copy of the receiver; return its JSON value.

    Raises GenerationError(step="trial") when the method raises, runs out of time or memory,
    returns something that is not JSON, or the process dies.
    """
    nonce = secrets.token_hex(16)
    payload = {
        "nonce": nonce, "selector": selector, "source": source, "name": name,
        "slots": {k: to_json_value(v) for k, v in (slots or {}).items()},
        "methods": {k: v for k, v in (methods or {}).items() if k != selector},
        "args": _strict_json(list(args), "an argument"),
        "kwargs": _strict_json(dict(kwargs or {}), "a keyword argument"),
        "limits": {"cpu_seconds": limits.cpu_seconds, "memory_bytes": limits.memory_bytes,
                   "file_bytes": limits.file_bytes, "open_files": limits.open_files},
        "allowed_imports": sorted(ALLOWED_MODULES),
    }
    data = json.dumps(payload).encode()
    workdir = Path(tempfile.mkdtemp(prefix="telos-trial-"))
    drop = os.geteuid() == 0 and _CAN_DROP[0]
    try:
        if drop:
            os.chown(workdir, NOBODY, NOBODY)
        out_path, err_path = workdir / ".out", workdir / ".err"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = _spawn(drop, out, err, workdir)
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
    if not result.get("ok"):
        raise GenerationError(STEP, str(result.get("error") or "the method failed"),
                              selector=selector)
    return TrialResult(result.get("value"), str(result.get("stdout", "")), result)


def _spawn(drop: bool, out, err, workdir: Path) -> subprocess.Popen:
    extra = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if drop else {}
    try:
        return subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHILD], stdin=subprocess.PIPE,
            stdout=out, stderr=err, cwd=workdir, env={}, start_new_session=True,
            close_fds=True, **extra)
    except PermissionError:
        if not drop:
            raise
        # nobody cannot execute this interpreter (e.g. it lives under /root): run as ourselves;
        # the audit hook and the rlimits still hold, but RLIMIT_NPROC is not enforced for root
        _CAN_DROP[0] = False
        log.warning("sandbox: %s is not executable as nobody; trials run as uid %d",
                    sys.executable, os.geteuid())
        return _spawn(False, out, err, workdir)


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

"""An interactive Python shell attached to the live image.

Bound names: ``image``, ``root``, ``transaction`` (this session's transaction manager),
``commit(note)``, ``abort()``, ``UvmObject``, ``mirror``, ``prototypes`` and every prototype
whose registry name is an identifier, and ``service``: the running service, reached over the
bridge (``service.send("Rectangle", "area")`` has the *service* evaluate the message — and its
kernel write the method — and commit; ``service.ask(text)``, ``service.status()``). Tab completion activates ghosts first, so slots of objects
not yet loaded complete too. Leaving with uncommitted changes asks before discarding them.
"""

from __future__ import annotations

import code
import logging
import sys
import traceback
from pathlib import Path

from telos.image import Image
from telos.reflect import mirror
from telos.uvm import UvmObject

log = logging.getLogger(__name__)


def namespace(image: Image) -> dict:
    def commit(note: str = "shell") -> None:
        """Commit this session's changes as one thought with ``note``."""
        image.commit(note)
        print(f"committed ({note})")

    def abort() -> None:
        """Discard this session's uncommitted changes."""
        image.abort()

    ns = {
        "image": image,
        "root": image.root,
        "transaction": image.transaction_manager,
        "commit": commit,
        "abort": abort,
        "UvmObject": UvmObject,
        "mirror": mirror,
        "prototypes": image.prototypes,
        "service": ServiceLink(),
    }
    for name in list(image.prototypes):
        if name.isidentifier() and name not in ns:
            ns[name] = image.prototypes[name]
    return ns


class ServiceLink:
    """The running service as seen from the shell (a bridge client, connected on first use)."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._client = None

    def _c(self):
        if self._client is None:
            from telos.bridge.client import running_service
            from telos.errors import BridgeUnavailable
            self._client = running_service(timeout=2.0)
            if self._client is None:
                raise BridgeUnavailable("no service answers for this home; start it with "
                                        "`python3 master_forge.py start`")
            self._client.timeout = self.timeout
        return self._client

    def send(self, name: str, selector: str, *args, **kwargs):
        """Have the service send ``selector`` to the prototype ``name`` and commit; the value
        (as JSON when it has one, else its repr)."""
        result = self._c().send_message(selector, *args, name=name, **kwargs).result()
        return result.value if result.value is not None else result.value_repr

    def ask(self, text: str, persona: str | None = None) -> str:
        return self._c().ask(text, persona=persona).result().full_text

    def status(self):
        return self._c().status()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __repr__(self) -> str:
        return "<the running service: send(name, selector, *args), ask(text), status()>"


def banner(image: Image, ns: dict) -> str:
    where = f"ZEO {image.store.zeo}" if image.store.is_zeo else (
        str(image.store.path) if image.store.path else image.store.spec.describe())
    protos = sorted(k for k, v in ns.items() if isinstance(v, UvmObject))
    return (f"TelOS shell — attached to {where}\n"
            f"  image, root, prototypes, transaction, commit(note), abort(), UvmObject, mirror,\n"
            f"  service (the running service: send(name, selector), ask(text), status())\n"
            f"  prototypes: {', '.join(protos)}\n"
            "  changes are yours until commit(); Tab completes slots; Ctrl-D leaves.")


def run_code(image: Image, source: str) -> int:
    """``shell -c``: run source with the shell's bindings; 1 and the traceback on error."""
    ns = namespace(image)
    try:
        exec(compile(source, "<shell -c>", "exec"), ns)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except BaseException:
        traceback.print_exc()
        image.abort()
        return 1
    finally:
        ns["service"].close()
    if image.has_changes():
        print("warning: uncommitted changes were discarded (call commit() to keep them)",
              file=sys.stderr)
        image.abort()
    return 0


def _completer(ns: dict):
    import rlcompleter
    return rlcompleter.Completer(ns).complete  # UvmObject.__dir__ activates ghosts


def interact(image: Image, history: Path | None = None) -> int:
    ns = namespace(image)
    try:
        import readline
        readline.set_completer(_completer(ns))
        readline.parse_and_bind("tab: complete")
        if history is not None and history.exists():
            readline.read_history_file(history)
    except ImportError:  # no readline: still a working shell
        readline = None  # type: ignore[assignment]
    console = code.InteractiveConsole(ns)
    text = banner(image, ns)
    try:
        while True:
            try:
                console.interact(banner=text, exitmsg="")
            except SystemExit:
                pass
            text = ""
            if not image.has_changes():
                break
            print("\nYou have uncommitted changes in the image.", file=sys.stderr)
            try:
                answer = input("Discard them and leave? [y/N] ").strip().lower()
            except EOFError:
                answer = "y"
            if answer == "y":
                image.abort()
                break
            print("Back in the shell: commit(note) keeps them, abort() drops them.")
    finally:
        if readline is not None and history is not None:
            try:
                readline.write_history_file(history)
            except OSError:
                log.warning("could not write shell history to %s", history)
    return 0

"""``config [NAME ...] [--json] [-v]``: every setting, its current value and where it came from.

The settings are the one table of :mod:`telos.config`. Image settings (slots of ``Config``) are
read from the image, opened read-only: through ZEO when one runs for this home (or
``TELOS_ZEO``), else the image file. With no image reachable, one line says why and only the
process settings are listed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from telos import config
from telos.errors import ConfigError, TelosError
from telos.reflect import mirror


def _open_image():
    """``(image, description)`` read-only, reached as every command reaches it
    (:func:`telos.cli.attach.open_for_cli`), or ``(None, why not)``."""
    from telos import storage
    from telos.cli.attach import open_for_cli, running_zeo
    try:
        spec = storage.configured()
        if spec.is_file and not running_zeo() and not spec.target.exists():
            return None, f"no image at {spec.target}"
        image = open_for_cli(read_only=True, awaken=False, zeo_timeout=5.0)
    except TelosError as exc:
        return None, str(exc)
    zeo = running_zeo()
    return image, (f"through ZEO at {zeo} (read-only)" if zeo
                   else f"{image.store.spec.describe()} (read-only)")


def _rows(names: list[str], image: Any) -> list[dict]:
    rows = []
    for s in config.SETTINGS:
        if names and s.name not in names:
            continue
        if s.scope == config.IMAGE and image is None and not names:
            continue
        row = {"name": s.name, "scope": s.scope, "env": s.env, "slot": s.slot,
               "default": s.display(s.default), "expects": s.convert.expects,
               "help": s.help}
        try:
            v = config.lookup(s.name, image)
        except ConfigError as exc:
            row.update(value=None, source="invalid", where="", error=str(exc))
        else:
            row.update(value=s.display(v.value), source=v.source, where=v.where)
        rows.append(row)
    return rows


def _shown(value: Any) -> str:
    return "-" if value is None else str(value)


def _source(row: dict) -> str:
    if row["source"] == "env":
        return f"env {row['where']}"
    if row["source"] == "image":
        return f"image {row['where']}"
    return row["source"]


def run(args) -> int:
    unknown = [n for n in args.names if n not in {s.name for s in config.SETTINGS}]
    if unknown:
        print(f"error: no setting {', '.join(unknown)} (see `master_forge.py config`)",
              file=sys.stderr)
        return 2
    image, where = _open_image()
    try:
        rows = _rows(args.names, image)
        extra = []
        if image is not None and image.config is not None:
            extra = sorted(set(mirror(image.config).data()) - {s.name for s in config.SETTINGS})
    finally:
        if image is not None:
            image.close()
    bad = [r for r in rows if r["source"] == "invalid"]
    if args.json:
        print(json.dumps({"image": where if image is not None else None,
                          "image_error": None if image is not None else where,
                          "settings": rows, "config_slots_not_in_table": extra},
                         indent=2, default=str))
        return 1 if bad else 0
    if image is not None:
        print(f"image: {where}")
    else:
        print(f"image: not reachable ({where}); listing the process settings only")
    width = max((len(r["name"]) for r in rows), default=4)
    vwidth = min(40, max((len(_shown(r["value"])) for r in rows), default=5))
    for r in rows:
        if r["source"] == "invalid":
            print(f"{r['name']:<{width}}  INVALID: {r['error']}")
        else:
            print(f"{r['name']:<{width}}  {_shown(r['value']):<{vwidth}}  {_source(r)}")
        if args.verbose:
            names = " / ".join(x for x in (r["env"], r["slot"] and f"Config.{r['slot']}") if x)
            print(f"{'':<{width}}    {names}; {r['expects']}; default {_shown(r['default'])}")
            print(f"{'':<{width}}    {r['help']}")
    if extra:
        print(f"Config slots not in the table (read by nothing): {', '.join(extra)}")
    return 1 if bad else 0


def register(sub) -> None:
    p = sub.add_parser("config", help="list every setting with its value and source",
                       description="Every setting of the one table (telos/config.py): its "
                                   "current value and where it comes from — an environment "
                                   "variable, a slot of the image's Config, or the default. "
                                   "Precedence: environment, then the image, then the default. "
                                   "Exit status 1 when a value is invalid.")
    p.add_argument("names", nargs="*", metavar="NAME", help="only these settings")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also each setting's variable or slot, what it expects, its default "
                        "and help")
    p.set_defaults(func=run, log_name="control")

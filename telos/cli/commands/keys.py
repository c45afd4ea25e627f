"""``keys``: the bridge's CURVE keys and its allow-list with roles (rw / ro)."""

from __future__ import annotations

from pathlib import Path

from telos import config
from telos.bridge import keys


def _list(home: Path, args) -> int:
    d = keys.ensure_keys(home)
    print(f"server public key: {d / 'server.key'} ({keys.server_public(home)[:8].decode()}…)")
    rows = keys.entries(home)
    if not rows:
        print("allow-list: empty (no client can use a tcp bridge)")
    for e in rows:
        print(f"  {e.role}  {e.name:<24} {e.public[:8].decode()}…  {e.path}")
    return 0


def _new(home: Path, args) -> int:
    keys.ensure_keys(home)
    keys.new_client(home, args.name, authorize=not args.no_allow, role=args.role)
    d = keys.keys_dir(home)
    print(f"created {d / (args.name + '.key_secret')} (the client's key pair; keep it secret)")
    print(f"give the client machine, in its $TELOS_HOME/keys/: {args.name}.key_secret as "
          f"client.key_secret, and server.key")
    print("allow-list: " + ("not added (use `keys allow`)" if args.no_allow else
                            f"added as {args.role}"))
    return 0


def _allow(home: Path, args) -> int:
    keys.ensure_keys(home)
    target = keys.authorize_key(home, Path(args.cert), args.name, role=args.role)
    print(f"allowed {target.stem} as {args.role} ({target}); the running service applies it at "
          f"the client's next request")
    return 0


def _revoke(home: Path, args) -> int:
    for path in keys.revoke(home, args.name):
        print(f"removed {path}")
    return 0


def run(args) -> int:
    return args.action(config.telos_home(), args)


def register(sub) -> None:
    p = sub.add_parser(
        "keys", help="CURVE keys of the bridge and the client allow-list (roles rw / ro)",
        description="Every tcp bridge endpoint (loopback included) needs CURVE: a client is served "
                    "only when its public key is on the allow-list, $TELOS_HOME/keys/authorized "
                    "(rw: may change the image, run methods, ask personas, shut down) or "
                    "$TELOS_HOME/keys/readonly (ro: ping, status, list, inspect, search, VSA "
                    "queries). The ipc socket needs no key: the home is private to its user.")
    p.set_defaults(func=run, action=_list)
    ks = p.add_subparsers(dest="keys_command", metavar="ACTION")
    ks.add_parser("list", help="the server key and the allow-list (default)").set_defaults(action=_list)
    n = ks.add_parser("new", help="create a client key pair (and allow it)")
    n.add_argument("name", help="the client's name (letters, digits, _ . -): key:NAME in the audit log")
    n.add_argument("--role", choices=keys.ROLES, default=keys.RW, help="rw (default) or ro")
    n.add_argument("--no-allow", action="store_true", help="create it without adding it to the allow-list")
    n.set_defaults(action=_new)
    a = ks.add_parser("allow", help="add a client's public certificate to the allow-list, or change its role")
    a.add_argument("cert", help="the client's public certificate (NAME.key, ZeroMQ's format)")
    a.add_argument("--name", help="name in the allow-list (default: the file's stem)")
    a.add_argument("--role", choices=keys.ROLES, default=keys.RW, help="rw (default) or ro")
    a.set_defaults(action=_allow)
    r = ks.add_parser("revoke", help="remove a client from the allow-list")
    r.add_argument("name")
    r.set_defaults(action=_revoke)

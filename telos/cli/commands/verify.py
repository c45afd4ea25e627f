"""``verify``: manifests, hash chain, every file, repozo -V, and a restore drill."""

from __future__ import annotations

from telos.cli.attach import open_for_cli


def run(args) -> int:
    image = open_for_cli()
    try:
        report = image.backups.verify(drill=args.drill)
    finally:
        image.close()
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def register(sub) -> None:
    p = sub.add_parser("verify", help="verify backups with a restore drill",
                       description="Check every manifest (MAC, hash chain, HEAD), every file "
                                   "(sha256), repozo -V, then restore into a temporary directory "
                                   "(repozo -R -w, fstest, fsrefs, open, counts).")
    p.add_argument("--drill", choices=("newest", "chains", "all", "none"), default="newest",
                   help="which sets to restore in the drill (default: the newest)")
    p.set_defaults(func=run)

"""``curate``: one mnemonic-curation thought (cluster recent memories, define, link concepts)."""

from __future__ import annotations

import json

from telos.cli.attach import open_for_cli


def run(args) -> int:
    image = open_for_cli()
    try:
        from telos.vsa.curation import curate
        report = curate(image, persona=args.persona, threshold=args.threshold,
                        min_size=args.min_size, since=args.since)
        print(json.dumps({"considered": report.considered, "clusters": report.clusters,
                          "created": report.created, "skipped_small": report.skipped_small,
                          "thought": report.thought}, indent=2))
        return 0
    finally:
        image.close()


def register(sub) -> None:
    p = sub.add_parser("curate", help="abstract clusters of recent memories into concepts",
                       description="Cluster recent ContextFractals by embedding, ask a persona "
                                   "for a definition of each cluster, create linked "
                                   "ConceptFractals with hypervectors. Idempotent; a failure "
                                   "commits nothing.")
    p.add_argument("--persona", default="ALFRED")
    p.add_argument("--threshold", type=float, default=0.3, help="cosine to a cluster's centroid")
    p.add_argument("--min-size", type=int, default=2, help="smallest cluster to abstract")
    p.add_argument("--since", type=float, default=None, help="only memories of the last N seconds")
    p.set_defaults(func=run, log_name="curate")

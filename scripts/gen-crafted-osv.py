#!/usr/bin/env python3
"""Writes one crafted OSV record, the shape of issue 12 item 7, to measure import and match.

Usage:
  scripts/gen-crafted-osv.py affected N OUT.json   one record, N distinct affected PyPI packages
  scripts/gen-crafted-osv.py aliases N OUT.json    one record on PyPI `requests` (the demo
                                                   image's), with N CVE aliases

Neither shape occurs in real data (the largest real records list a few hundred packages and
a few dozen aliases); both are what a hostile or broken feed could send. Time them with

  /usr/bin/time -v plimsoll db import --db /tmp/x.db OUT.json
  /usr/bin/time -v plimsoll image demo/demo.tar --db /tmp/x.db --offline -f json -o /dev/null

The output is deterministic.
"""

import json
import sys


def record(rid, affected, aliases):
    return {
        "schema_version": "1.6.0",
        "id": rid,
        "modified": "2025-01-01T00:00:00Z",
        "published": "2025-01-01T00:00:00Z",
        "aliases": aliases,
        "summary": "crafted record",
        "affected": affected,
    }


def entry(name, fixed):
    return {
        "package": {"ecosystem": "PyPI", "name": name},
        "ranges": [
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
        ],
    }


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("affected", "aliases"):
        sys.exit(__doc__)
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind == "affected":
        rec = record(
            f"CRAFTED-AFFECTED-{n}",
            [entry(f"crafted-package-{i}", "1.0") for i in range(n)]
            + [entry("requests", "2.32.0")],
            [],
        )
    else:
        rec = record(
            f"CRAFTED-ALIASES-{n}",
            [entry("requests", "2.32.0")],
            [f"CVE-2099-{i:06d}" for i in range(n)],
        )
    with open(out, "w") as f:
        json.dump(rec, f)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates a full-size, synthetic OSV corpus for benchmarks, shaped on real records.

Usage: scripts/gen-full-db.py [--records N] [--seed S] INVENTORY.json OUT.zip

osv.dev cannot be reached from the benchmark machine, so the "full DB" of scripts/bench.sh
is built from this corpus with `plimsoll db import OUT.zip --db FILE`. It is synthetic: the
ids, names and versions are made up, but each record has the shape and size of its real
kind (fields, affected entries per release, ranges, versions lists, severities, details
text), and the mix follows OSV's (roughly, mid-2025: Debian and Ubuntu CVE records are the
bulk, then Alpine, GHSA across the language ecosystems, PYSEC, GO, RUSTSEC, and malicious
npm packages), about 200,000 records in all. So the database size, its page cache footprint
and the cost of each lookup are realistic, and so is the number of hits for the image:

- INVENTORY.json is `plimsoll inventory IMAGE --format json` of the image to scan. Every
  Debian source package in it gets DEBIAN-CVE records (a heavy-tailed count: a few have
  hundreds, most a handful), mostly fixed before the installed version, some unfixed, a few
  fixed after it; some also get a DSA. Every language package (PyPI, npm, Go, crates.io,
  RubyGems, Maven, NuGet, Packagist) may get GHSA records, some matching.
- Then records for tens of thousands of other (made-up) packages fill each ecosystem to its
  share.

The output is deterministic for a given inventory, count and seed. One JSON file per record
in a deflate zip, as the OSV bucket's all.zip.
"""

import argparse
import json
import random
import re
import sys
import zipfile

DEBIAN = ["Debian:11", "Debian:12", "Debian:13"]
CODENAME = {"Debian:11": "bullseye", "Debian:12": "bookworm", "Debian:13": "trixie"}
UBUNTU = ["Ubuntu:20.04:LTS", "Ubuntu:22.04:LTS", "Ubuntu:24.04:LTS", "Ubuntu:Pro:18.04:LTS"]
ALPINE = ["Alpine:v3.18", "Alpine:v3.19", "Alpine:v3.20", "Alpine:v3.21"]
URGENCY = [("unimportant", 30), ("low", 25), ("medium", 15), ("high", 5), ("not yet assigned", 25)]
V3 = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
]
# Shares of the non-image part, per kind (records).
SHARES = [
    ("debian", 0.30),
    ("dsa", 0.04),
    ("ubuntu", 0.24),
    ("alpine", 0.10),
    ("ghsa", 0.14),
    ("pysec", 0.025),
    ("go", 0.02),
    ("rustsec", 0.01),
    ("mal", 0.08),
    ("redhat", 0.035),
]
GHSA_ECO = [("npm", 30), ("Maven", 20), ("PyPI", 16), ("Go", 10), ("Packagist", 10),
            ("RubyGems", 5), ("NuGet", 5), ("crates.io", 4)]
WORDS = ("lib core net http xml json ssl crypt zip image font text parse util tool gtk qt "
         "perl python ruby node java audio video mail print sql cache auth log web ui data "
         "time file term sys kde gnome x11 media codec proto rpc grpc yaml toml markdown").split()


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def details(rng, name):
    n = rng.randint(2, 6)
    s = (f"A flaw was found in {name}. A remote attacker could send a crafted request that "
         "triggers an out-of-bounds read or a use-after-free, leading to a crash or "
         "possibly code execution. ")
    return (s * n)[: rng.randint(150, 900)]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cve_seq = 0
        self.out = []
        self.ghsa_seen = set()

    def cve(self):
        self.cve_seq += 1
        year = 1999 + self.cve_seq % 27
        return f"CVE-{year}-{10000 + self.cve_seq}"

    def ghsa(self):
        a = "23456789cfghjmpqrvwx"
        while True:
            g = "GHSA-" + "-".join("".join(self.rng.choice(a) for _ in range(4)) for _ in range(3))
            if g not in self.ghsa_seen:
                self.ghsa_seen.add(g)
                return g

    def dates(self):
        y = self.rng.randint(2016, 2026)
        m = self.rng.randint(1, 12)
        d = self.rng.randint(1, 28)
        pub = f"{y}-{m:02}-{d:02}T{self.rng.randint(0, 23):02}:15:00Z"
        mod = f"{min(y + 1, 2026)}-{m:02}-{d:02}T{self.rng.randint(0, 23):02}:15:00.123456Z"
        return pub, mod

    def emit(self, rec):
        self.out.append(rec)

    def severity(self):
        return [{"type": "CVSS_V3", "score": self.rng.choice(V3)}]

    # --- version helpers ------------------------------------------------------------------
    def deb_older(self, v):
        epoch, rest = (v.split(":", 1) if re.match(r"^\d+:", v) else (None, v))
        m = [x for x in re.finditer(r"\d+", rest) if int(x.group()) > 0]
        if m and self.rng.random() < 0.8:
            x = m[0]
            rest = rest[: x.start()] + str(int(x.group()) - 1) + rest[x.end():]
        else:
            rest = rest + "~~"
        return f"{epoch}:{rest}" if epoch else rest

    def deb_newer(self, v):
        return f"{v}+deb12u{self.rng.randint(1, 9)}"

    def deb_random(self):
        r = self.rng
        return f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}-{r.randint(1, 5)}"

    def lang_version(self):
        r = self.rng
        return f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}"

    @staticmethod
    def lang_newer(v):
        m = re.match(r"v?(\d+)", v)
        return f"{int(m.group(1)) + 1}.0.0" if m else "99.0.0"

    # --- record kinds ---------------------------------------------------------------------
    def debian_cve(self, name, installed=None):
        r = self.rng
        cve = self.cve()
        pub, mod = self.dates()
        urg = weighted(r, URGENCY)
        affected = []
        for eco in DEBIAN:
            events = [{"introduced": "0"}]
            if installed and eco == "Debian:12":
                fate = r.random()
                if fate < 0.82:
                    events.append({"fixed": self.deb_older(installed)})
                elif fate < 0.95:
                    pass  # unfixed: every version affected
                else:
                    events.append({"fixed": self.deb_newer(installed)})
            elif r.random() < 0.85:
                events.append({"fixed": self.deb_random()})
            affected.append({
                "package": {"ecosystem": eco, "name": name,
                            "purl": f"pkg:deb/debian/{name}?arch=source&distro={CODENAME[eco]}"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "ecosystem_specific": {"urgency": urg},
                "database_specific": {"source": "https://security-tracker.debian.org/tracker/data/json"},
            })
        self.emit({"schema_version": "1.7.0", "id": f"DEBIAN-{cve}", "published": pub,
                   "modified": mod, "upstream": [cve], "details": details(r, name),
                   "affected": affected,
                   "references": [{"type": "ADVISORY", "url": f"https://security-tracker.debian.org/tracker/{cve}"}]})
        return cve

    def dsa(self, name, cves, installed=None):
        r = self.rng
        pub, mod = self.dates()
        kind = "DSA" if r.random() < 0.6 else "DLA"
        self.cve_seq += 1
        ident = f"{kind}-{1000 + self.cve_seq}-{r.randint(1, 3)}"
        fixed = self.deb_older(installed) if installed else self.deb_random()
        self.emit({"schema_version": "1.7.0", "id": ident, "published": pub, "modified": mod,
                   "upstream": cves, "summary": f"{name} - security update",
                   "details": details(r, name),
                   "affected": [{"package": {"ecosystem": "Debian:12" if kind == "DSA" else "Debian:11",
                                             "name": name},
                                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]})

    def ubuntu(self, name):
        r = self.rng
        cve = self.cve()
        pub, mod = self.dates()
        affected = []
        for eco in r.sample(UBUNTU, r.randint(1, len(UBUNTU))):
            versions = [f"{r.randint(1, 5)}.{k}-{r.randint(1, 4)}ubuntu{r.randint(0, 3)}" for k in range(r.randint(3, 25))]
            fixed = [{"fixed": f"{r.randint(1, 9)}.0-1ubuntu0.1"}] if r.random() < 0.7 else []
            affected.append({"package": {"ecosystem": eco, "name": name,
                                         "purl": f"pkg:deb/ubuntu/{name}?arch=source"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}] + fixed}],
                             "versions": versions,
                             "ecosystem_specific": {"binaries": [{"binary_name": f"lib{name}1",
                                                                  "binary_version": "1.0-1ubuntu0.1"}],
                                                    "availability": "No subscription required"}})
        self.emit({"schema_version": "1.7.0", "id": f"UBUNTU-{cve}", "published": pub, "modified": mod,
                   "upstream": [cve], "details": details(r, name),
                   "severity": [{"type": "Ubuntu", "score": weighted(r, [("negligible", 2), ("low", 4), ("medium", 5), ("high", 1)])},
                                {"type": "CVSS_V3", "score": r.choice(V3)}],
                   "affected": affected})

    def alpine(self, name):
        r = self.rng
        cve = self.cve()
        pub, mod = self.dates()
        affected = [{"package": {"ecosystem": eco, "name": name, "purl": f"pkg:apk/alpine/{name}?arch=source"},
                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"{self.lang_version()}-r{r.randint(0, 4)}"}]}]}
                    for eco in r.sample(ALPINE, r.randint(1, len(ALPINE)))]
        self.emit({"schema_version": "1.7.0", "id": f"ALPINE-{cve}", "published": pub, "modified": mod,
                   "upstream": [cve], "details": details(r, name), "affected": affected})

    def redhat(self, name):
        r = self.rng
        pub, mod = self.dates()
        cve = self.cve()
        ident = f"RHSA-{r.randint(2019, 2026)}:{10000 + self.cve_seq}"
        self.emit({"schema_version": "1.7.0", "id": ident, "published": pub, "modified": mod,
                   "upstream": [cve], "summary": f"Important: {name} security update",
                   "details": details(r, name),
                   "affected": [{"package": {"ecosystem": "Red Hat:enterprise_linux:9::appstream", "name": name,
                                             "purl": f"pkg:rpm/redhat/{name}"},
                                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"0:{self.lang_version()}-1.el9_4"}]}]}]})

    def ghsa_record(self, eco, name, installed=None, prefix_alias=None):
        r = self.rng
        cve = self.cve()
        pub, mod = self.dates()
        g = self.ghsa()
        if installed:
            fixed = self.lang_newer(installed) if r.random() < 0.35 else "0.0.1"
        else:
            fixed = self.lang_version()
        rng_events = [{"introduced": "0"}, {"fixed": fixed}]
        aliases = [cve] + ([prefix_alias] if prefix_alias else [])
        self.emit({"schema_version": "1.7.0", "id": g, "published": pub, "modified": mod,
                   "aliases": aliases, "summary": f"{name} vulnerable to crafted input",
                   "details": details(r, name), "severity": self.severity(),
                   "affected": [{"package": {"ecosystem": eco, "name": name},
                                 "ranges": [{"type": "SEMVER" if eco in ("npm", "Go", "crates.io") else "ECOSYSTEM",
                                             "events": rng_events}],
                                 "database_specific": {"source": "https://github.com/github/advisory-database"}}],
                   "references": [{"type": "ADVISORY", "url": f"https://nvd.nist.gov/vuln/detail/{cve}"},
                                  {"type": "PACKAGE", "url": f"https://example.invalid/{name}"}],
                   "database_specific": {"cwe_ids": ["CWE-20"], "severity": r.choice(["LOW", "MODERATE", "HIGH", "CRITICAL"]),
                                         "github_reviewed": True, "github_reviewed_at": mod, "nvd_published_at": pub}})
        return g, cve

    def simple_lang(self, prefix, eco, name, seq):
        r = self.rng
        pub, mod = self.dates()
        cve = self.cve()
        year = 2018 + seq % 9
        self.emit({"schema_version": "1.7.0", "id": f"{prefix}-{year}-{seq}", "published": pub, "modified": mod,
                   "aliases": [cve], "details": details(r, name),
                   "affected": [{"package": {"ecosystem": eco, "name": name},
                                 "ranges": [{"type": "SEMVER" if eco != "PyPI" else "ECOSYSTEM",
                                             "events": [{"introduced": "0"}, {"fixed": self.lang_version()}]}],
                                 "ecosystem_specific": {"imports": [{"path": name, "symbols": ["Parse", "Decode"]}]} if eco == "Go" else {}}]})

    def malicious(self, name, seq):
        pub, mod = self.dates()
        self.emit({"schema_version": "1.7.0", "id": f"MAL-2025-{seq}", "published": pub, "modified": mod,
                   "summary": f"Malicious code in {name} (npm)",
                   "details": "\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis\n"
                              "The package executes a payload at install time.",
                   "affected": [{"package": {"ecosystem": "npm", "name": name},
                                 "versions": [self.lang_version()],
                                 "database_specific": {"malicious-packages-origins": [{"source": "ossf-package-analysis"}]}}]})


def pool_name(rng, eco, i):
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    if eco == "Maven":
        return f"org.{a}{i % 500}:{b}-{a}{i}"
    if eco == "Go":
        return f"github.com/{a}{i % 700}/{b}{i}"
    if eco == "npm" and i % 5 == 0:
        return f"@{a}{i % 300}/{b}-{i}"
    if eco == "Packagist":
        return f"{a}{i % 400}/{b}{i}"
    return f"{a}{b}{i}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("inventory")
    ap.add_argument("out")
    a = ap.parse_args()
    inv = json.load(open(a.inventory))
    g = Gen(a.seed)
    r = g.rng

    # The image's own packages.
    sources = {}
    lang = {}
    for p in inv.get("packages", []):
        eco = p.get("ecosystem") or ""
        if eco.startswith("Debian"):
            src = (p.get("source") or {}).get("name") or p["name"]
            ver = (p.get("source") or {}).get("version") or p.get("version")
            if ver:
                sources.setdefault(src, ver)
        elif eco and p.get("version"):
            lang.setdefault((eco, p["name"]), p["version"])
    image_records = 0
    for src, ver in sorted(sources.items()):
        n = min(600, int(r.paretovariate(1.1) * 6))
        cves = [g.debian_cve(src, ver) for _ in range(n)]
        image_records += n
        if cves and r.random() < 0.3:
            g.dsa(src, cves[: r.randint(1, min(4, len(cves)))], ver)
            image_records += 1
    for (eco, name), ver in sorted(lang.items()):
        if r.random() < 0.3:
            for _ in range(r.randint(1, 4)):
                g.ghsa_record(eco, name, ver)
                image_records += 1

    # The rest of the corpus, over made-up packages, by share.
    left = max(0, a.records - len(g.out))
    for kind, share in SHARES:
        n = int(left * share / sum(s for _, s in SHARES))
        # Tens of thousands of packages: a record per package on average 2-3 (Debian,
        # Ubuntu), fewer for language ecosystems.
        if kind in ("debian", "ubuntu", "alpine", "dsa", "redhat"):
            names = [pool_name(r, "deb", i) for i in range(max(1, n // 3))]
            for i in range(n):
                name = names[int(len(names) * r.random() ** 2)]
                if kind == "debian":
                    g.debian_cve(name)
                elif kind == "dsa":
                    g.dsa(name, [g.cve()])
                elif kind == "ubuntu":
                    g.ubuntu(name)
                elif kind == "alpine":
                    g.alpine(name)
                else:
                    g.redhat(name)
        elif kind == "ghsa":
            for i in range(n):
                eco = weighted(r, GHSA_ECO)
                g.ghsa_record(eco, pool_name(r, eco, r.randint(0, n)))
        elif kind == "pysec":
            for i in range(n):
                g.simple_lang("PYSEC", "PyPI", pool_name(r, "PyPI", r.randint(0, n)), i)
        elif kind == "go":
            for i in range(n):
                g.simple_lang("GO", "Go", pool_name(r, "Go", r.randint(0, n)), i)
        elif kind == "rustsec":
            for i in range(n):
                g.simple_lang("RUSTSEC", "crates.io", pool_name(r, "crates.io", r.randint(0, n)), i)
        elif kind == "mal":
            for i in range(n):
                g.malicious(pool_name(r, "npm", i), i)

    with zipfile.ZipFile(a.out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for rec in g.out:
            z.writestr(f"{rec['id']}.json", json.dumps(rec, indent=1))
    kinds = {}
    for rec in g.out:
        k = rec["id"].split("-")[0]
        kinds[k] = kinds.get(k, 0) + 1
    print(f"{len(g.out)} records ({image_records} about the image's {len(sources)} Debian source "
          f"packages and {len(lang)} language packages): "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])),
          file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes an OCI image layout holding one gzip layer of many tiny files.

Usage: gen-many-files-image.py OUTDIR [--files N] [--per-dir M]

The layer has N regular files (default 1,000,000) of 20-60 bytes each, M per directory
(default 1,000), under many/dNNNN/fNNNNNN.txt, plus the directories themselves. The tar is
written with hand-made ustar headers (fast, deterministic: fixed mtime, uid 0) and
compressed with pigz when present (gzip otherwise). The layout gets the tag `latest`.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys


def header(name: str, size: int, typeflag: bytes, mode: int) -> bytes:
    n = name.encode()
    assert len(n) <= 100, name
    h = bytearray(512)
    h[0 : len(n)] = n
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % 1700000000
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[265:269] = b"root"
    h[297:301] = b"root"
    csum = sum(h)
    h[148:156] = b"%06o\0 " % csum
    return bytes(h)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--per-dir", type=int, default=1_000)
    a = ap.parse_args()

    out = a.outdir
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    tmp_gz = os.path.join(out, "layer.tar.gz.tmp")

    gz_cmd = ["pigz", "-6", "-c"] if shutil.which("pigz") else ["gzip", "-6", "-c"]
    with open(tmp_gz, "wb") as gz_out:
        proc = subprocess.Popen(gz_cmd, stdin=subprocess.PIPE, stdout=gz_out)
        diff = hashlib.sha256()
        buf = bytearray()

        def emit(b: bytes) -> None:
            buf.extend(b)
            if len(buf) >= 1 << 20:
                diff.update(buf)
                proc.stdin.write(buf)
                buf.clear()

        emit(header("many/", 0, b"5", 0o755))
        for i in range(a.files):
            if i % a.per_dir == 0:
                emit(header("many/d%04d/" % (i // a.per_dir), 0, b"5", 0o755))
            data = b"file %d of the many-files test image\n" % i
            emit(header("many/d%04d/f%07d.txt" % (i // a.per_dir, i), len(data), b"0", 0o644))
            emit(data + b"\0" * (-len(data) % 512))
        emit(b"\0" * 1024)
        diff.update(buf)
        proc.stdin.write(buf)
        proc.stdin.close()
        if proc.wait() != 0:
            print("compressor failed", file=sys.stderr)
            return 1

    h = hashlib.sha256()
    with open(tmp_gz, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    layer_digest = h.hexdigest()
    layer_size = os.path.getsize(tmp_gz)
    os.replace(tmp_gz, os.path.join(blobs, layer_digest))

    def put(obj) -> tuple[str, int]:
        data = json.dumps(obj, separators=(",", ":")).encode()
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return d, len(data)

    config = {
        "created": "2023-11-14T22:13:20Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]},
        "history": [
            {
                "created": "2023-11-14T22:13:20Z",
                "created_by": f"gen-many-files-image.py --files {a.files} --per-dir {a.per_dir}",
            }
        ],
    }
    cfg_d, cfg_n = put(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + cfg_d,
            "size": cfg_n,
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + layer_digest,
                "size": layer_size,
            }
        ],
    }
    man_d, man_n = put(manifest)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + man_d,
                "size": man_n,
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }
        ],
    }
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    print(f"{out}: layer sha256:{layer_digest} ({layer_size} bytes gzip), {a.files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

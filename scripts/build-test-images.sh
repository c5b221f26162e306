#!/usr/bin/env bash
# Builds real container images from Debian's packages, without a Docker daemon, for the
# end-to-end tests (crates/plimsoll/tests/e2e_real_images.rs) and scripts/bench.sh.
#
# Usage: scripts/build-test-images.sh [--many-files] [--no-big] [OUTDIR]   (default: images/)
#
# Needs root, debootstrap, umoci, skopeo and access to a Debian mirror ($DEBIAN_MIRROR,
# default http://deb.debian.org/debian). Idempotent: every step is skipped when its output
# exists, so a re-run takes seconds.
#
# Output, in OUTDIR:
#   oci/                   OCI layout (gzip layers) with the tags
#     base                 1 layer: debootstrap --variant=minbase bookworm
#     python               base + layer installing python3 (apt-get update; apt-get install)
#                          + layer deleting /usr/share/doc and /var/lib/apt/lists/* (whiteouts)
#     big                  python + layer installing build-essential and python3-dev, ~500 MB
#                          uncompressed, for the benchmark (skipped with --no-big)
#     apps                 python + a pip layer (requests and its deps, ecdsa), an npm app
#                          layer (/app: lodash, minimist, ip) and a layer with a Go binary and
#                          two cargo-auditable binaries; old, vulnerable versions on purpose,
#                          for the finding-set test (fixtures: crates/plimsoll/tests/fixtures/
#                          e2e-osv/README.md says which advisory each version is chosen for)
#   python.docker.tar      `python` as docker-archive (skopeo)
#   python.oci.tar         `python` as oci-archive (skopeo)
#   python.oci-dir/        `python` alone in an OCI layout (Trivy reads no oci-archive)
#   big.docker.tar, big.oci.tar, big.oci-dir/   the same for `big`
#   many-files/            (with --many-files) OCI layout, tag `latest`: one gzip layer of
#                          1,000,000 small files in 1,000 directories (~1 GB uncompressed)
#   work/                  rootfs and bundles used while building (may be deleted)
set -euo pipefail

MANY=0
BIG=1
OUT=
for a in "$@"; do
    case "$a" in
    --many-files) MANY=1 ;;
    --no-big) BIG=0 ;;
    -h | --help)
        sed -n '2,/^set /{/^#/p}' "$0"
        exit 0
        ;;
    -*)
        echo "unknown option $a" >&2
        exit 2
        ;;
    *) OUT=$a ;;
    esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/../images}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
mkdir -p "$OUT/work"
OUT=$(cd "$OUT" && pwd)
W=$OUT/work
LAYOUT=$OUT/oci

log() { echo "build-test-images: $*" >&2; }

for tool in debootstrap umoci skopeo; do
    command -v "$tool" >/dev/null || {
        log "$tool is missing (apt-get install -y $tool)"
        exit 1
    }
done
if [ "$(id -u)" != 0 ]; then
    log "must run as root (debootstrap, chroot and umoci unpack need it)"
    exit 1
fi

# Manifest digest of tag $1 of the layout, or nothing. (Read from index.json directly:
# `umoci ls | grep -q` fails at random under pipefail when grep's early exit kills umoci.)
tag_digest() {
    [ -e "$LAYOUT/index.json" ] || return 0
    python3 - "$LAYOUT/index.json" "$1" <<'EOF'
import json, sys
for m in json.load(open(sys.argv[1])).get("manifests") or []:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"])
EOF
}
has_tag() { [ -n "$(tag_digest "$1")" ]; }

# Runs a shell command in the chroot with network name resolution; /proc and /dev are
# mounted for the maintainer scripts and always unmounted again before umoci sees the tree.
in_chroot() {
    local root=$1 logf=$2
    shift 2
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    local rc=0
    LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$root" /bin/sh -ec "$*" >>"$logf" 2>&1 || rc=$?
    [ $rc = 0 ] || tail -30 "$logf" >&2
    umount "$root/dev" || umount -l "$root/dev"
    umount "$root/proc" || umount -l "$root/proc"
    return $rc
}

# Unpacks tag $1 into a fresh bundle $2.
unpack() {
    rm -rf "$2"
    umoci unpack --image "$LAYOUT:$1" "$2" >/dev/null
}

# --- rootfs --------------------------------------------------------------------------
if [ ! -e "$W/rootfs-base.done" ]; then
    log "debootstrap --variant=minbase $SUITE (a few minutes)"
    rm -rf "$W/rootfs-base"
    debootstrap --variant=minbase "$SUITE" "$W/rootfs-base" "$MIRROR" >"$W/debootstrap.log" 2>&1 || {
        tail -20 "$W/debootstrap.log" >&2
        exit 1
    }
    touch "$W/rootfs-base.done"
fi

# --- base ----------------------------------------------------------------------------
if [ ! -e "$LAYOUT/oci-layout" ]; then
    umoci init --layout "$LAYOUT"
fi
if ! has_tag base; then
    log "image base"
    umoci rm --image "$LAYOUT:empty" 2>/dev/null || true
    umoci new --image "$LAYOUT:empty"
    umoci config --image "$LAYOUT:empty" --os linux --architecture amd64 \
        --config.cmd /bin/bash --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --no-history
    unpack empty "$W/bundle-base"
    cp -a "$W/rootfs-base/." "$W/bundle-base/rootfs/"
    # debootstrap leaves the downloaded .debs in apt's cache; images ship without them.
    find "$W/bundle-base/rootfs/var/cache/apt/archives" -name '*.deb' -delete
    umoci repack --image "$LAYOUT:base" \
        --history.created_by "debootstrap --variant=minbase $SUITE $MIRROR" \
        "$W/bundle-base"
    umoci rm --image "$LAYOUT:empty"
    rm -rf "$W/bundle-base"
fi

# --- python: install layer, then a layer that deletes files ---------------------------
if ! has_tag python; then
    log "image python"
    umoci rm --image "$LAYOUT:python-wip" 2>/dev/null || true
    unpack base "$W/bundle-python"
    R=$W/bundle-python/rootfs
    CMD1="apt-get update && apt-get install -y --no-install-recommends python3 && apt-get clean"
    in_chroot "$R" "$W/python.log" "$CMD1"
    umoci repack --refresh-bundle --image "$LAYOUT:python-wip" \
        --history.created_by "/bin/sh -c $CMD1" "$W/bundle-python"
    CMD2="rm -rf /usr/share/doc /var/lib/apt/lists/*"
    in_chroot "$R" "$W/python.log" "$CMD2"
    umoci repack --image "$LAYOUT:python-wip" \
        --history.created_by "/bin/sh -c $CMD2" "$W/bundle-python"
    umoci tag --image "$LAYOUT:python-wip" python
    umoci rm --image "$LAYOUT:python-wip"
    rm -rf "$W/bundle-python"
fi

# --- big: a ~500 MB image for the benchmark ----------------------------------------------
if [ "$BIG" = 1 ] && ! has_tag big; then
    log "image big"
    umoci rm --image "$LAYOUT:big-wip" 2>/dev/null || true
    unpack python "$W/bundle-big"
    CMD3="apt-get update && apt-get install -y --no-install-recommends build-essential python3-dev python3-pip git perl && apt-get clean && rm -rf /var/lib/apt/lists/*"
    in_chroot "$W/bundle-big/rootfs" "$W/big.log" "$CMD3"
    umoci repack --image "$LAYOUT:big-wip" \
        --history.created_by "/bin/sh -c $CMD3" "$W/bundle-big"
    umoci tag --image "$LAYOUT:big-wip" big
    umoci rm --image "$LAYOUT:big-wip"
    rm -rf "$W/bundle-big"
fi
# --- apps: python + language packages from their own tools, and real binaries ----------
# pip and npm run on the host against their registries and install into the layer's tree;
# the Go and cargo-auditable binaries are the committed catalog test fixtures
# (crates/plimsoll-catalog/tests/fixtures/binaries/README.md says how each was built).
if ! has_tag apps; then
    log "image apps"
    umoci rm --image "$LAYOUT:apps-wip" 2>/dev/null || true
    unpack python "$W/bundle-apps"
    R=$W/bundle-apps/rootfs
    PIPPKGS="requests==2.31.0 urllib3==2.2.1 idna==3.6 certifi==2024.2.2 ecdsa==0.19.0"
    PIPCMD="pip install --no-deps $PIPPKGS"
    # shellcheck disable=SC2086 # one word per requirement
    python3 -m pip install -q --no-deps --no-compile --target "$R/usr/local/lib/python3.11/dist-packages" $PIPPKGS
    umoci repack --refresh-bundle --image "$LAYOUT:apps-wip" \
        --history.created_by "/bin/sh -c $PIPCMD" "$W/bundle-apps"
    mkdir -p "$R/app"
    NPMPKGS="lodash@4.17.20 minimist@1.2.5 ip@1.1.8"
    # shellcheck disable=SC2086 # one word per package
    (cd "$R/app" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund $NPMPKGS >/dev/null)
    umoci repack --refresh-bundle --image "$LAYOUT:apps-wip" \
        --history.created_by "/bin/sh -c cd /app && npm install $NPMPKGS" "$W/bundle-apps"
    FIX=$(cd "$(dirname "$0")/.." && pwd)/crates/plimsoll-catalog/tests/fixtures/binaries
    install -m 0755 "$FIX/go-hello" "$R/usr/local/bin/go-hello"
    install -m 0755 "$FIX/tiny-audit" "$R/usr/local/bin/tiny-audit"
    install -m 0755 "$FIX/vuln-audit" "$R/usr/local/bin/vuln-audit"
    umoci repack --image "$LAYOUT:apps-wip" \
        --history.created_by "COPY go-hello tiny-audit vuln-audit /usr/local/bin/ # buildkit" "$W/bundle-apps"
    umoci tag --image "$LAYOUT:apps-wip" apps
    umoci rm --image "$LAYOUT:apps-wip"
    rm -rf "$W/bundle-apps"
fi
umoci gc --layout "$LAYOUT"

# --- archives --------------------------------------------------------------------------
# Each copy records the manifest digest it was made from ($NAME.src) and is made again when
# the tag in the layout changed (a rebuilt image has new layers).
TAGS=python
[ "$BIG" = 1 ] && TAGS="python big"
for t in $TAGS; do
    d=$(tag_digest "$t")
    # docker-archive, oci-archive, and a one-image OCI layout (Trivy reads no oci-archive).
    for form in docker.tar oci.tar oci-dir; do
        dst=$OUT/$t.$form
        [ -e "$dst" ] && [ "$(cat "$dst.src" 2>/dev/null)" = "$d" ] && continue
        log "$t.$form"
        rm -rf "$dst" "$dst.tmp" "$dst.src"
        case $form in
        docker.tar) skopeo copy -q "oci:$LAYOUT:$t" "docker-archive:$dst.tmp:plimsoll-test/$t:latest" ;;
        oci.tar) skopeo copy -q "oci:$LAYOUT:$t" "oci-archive:$dst.tmp:$t" ;;
        oci-dir) skopeo copy -q "oci:$LAYOUT:$t" "oci:$dst.tmp:$t" ;;
        esac
        mv "$dst.tmp" "$dst"
        echo "$d" >"$dst.src"
    done
done

# --- many-files ------------------------------------------------------------------------
if [ "$MANY" = 1 ] && [ ! -e "$OUT/many-files/index.json" ]; then
    log "image many-files (1,000,000 files)"
    rm -rf "$OUT/many-files"
    python3 "$HERE/gen-many-files-image.py" "$OUT/many-files.tmp"
    mv "$OUT/many-files.tmp" "$OUT/many-files"
fi

log "done: $OUT"
ls -la "$OUT" >&2

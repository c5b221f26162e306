//! Unpackaged binaries for test images: ELF-shaped files carrying the version strings the
//! real builds carry, a Debian layer whose dpkg database owns one of them, and NVD records
//! for the matching step. `plimsoll/tests/binaries.rs` builds its image from these; a
//! combined image test can add [`unpackaged_layer`] and [`debian_base`] to its own.

use crate::LayerBuilder;

/// An ELF-shaped file: the first bytes of an x86-64 ELF header, filler standing for code,
/// then `strings` as a compiler lays out `.rodata` (each NUL-terminated), then more filler.
/// Only the version strings matter to a classifier; nothing here is executable.
pub fn elf(strings: &[&[u8]]) -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00".to_vec();
    v.resize(8192, 0x90);
    v.push(0);
    for s in strings {
        v.extend_from_slice(s);
        v.push(0);
    }
    v.resize(v.len() + 4096, 0xcc);
    v
}

/// A static BusyBox 1.36.1 as Alpine's and the `busybox` image's carry its banner.
pub fn busybox_1_36_1() -> Vec<u8> {
    elf(&[
        b"BusyBox v1.36.1 (2023-11-07 18:53:09 UTC) multi-call binary.",
        b"BusyBox is copyrighted by many authors between 1998-2015.",
        b"Usage: busybox [function [arguments]...]",
    ])
}

/// `libcrypto.so.3` of OpenSSL 3.0.11 (OPENSSL_VERSION_TEXT and its neighbours).
pub fn libcrypto_3_0_11() -> Vec<u8> {
    elf(&[
        b"crypto/evp/digest.c",
        b"OpenSSL 3.0.11 19 Sep 2023",
        b"built on: Tue Sep 19 13:02:26 2023 UTC",
        b"OPENSSLDIR: \"/usr/local/ssl\"",
        b"ENGINESDIR: \"/usr/local/lib64/engines-3\"",
    ])
}

/// The `openssl` tool of the same build (`openssl version` prints the text it was built with).
pub fn openssl_tool_3_0_11() -> Vec<u8> {
    elf(&[
        b"%s (Library: %s)\n",
        b"OpenSSL 3.0.11 19 Sep 2023",
        b"Usage: %s [options]",
    ])
}

/// Where [`unpackaged_layer`] puts each binary.
pub const BUSYBOX_PATH: &str = "bin/busybox";
pub const OPENSSL_TOOL_PATH: &str = "usr/local/bin/openssl";
pub const LIBCRYPTO_PATH: &str = "usr/local/lib64/libcrypto.so.3";
/// Debian's `libcrypto.so.3`, owned by `libssl3` in [`debian_base`].
pub const PACKAGED_LIBCRYPTO_PATH: &str = "usr/lib/x86_64-linux-gnu/libcrypto.so.3";

/// A Debian 12 base: os-release, a dpkg database with `libssl3` 3.0.11-1~deb12u2 whose file
/// list (`info/libssl3:amd64.list`) holds its `libcrypto.so.3`, and that library.
pub fn debian_base(l: LayerBuilder) -> LayerBuilder {
    l.file(
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
    )
    .file(
        "var/lib/dpkg/status",
        "Package: libssl3\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
         Installed-Size: 6165\nMaintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n\
         Architecture: amd64\nMulti-Arch: same\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\
         Depends: libc6 (>= 2.34)\nDescription: Secure Sockets Layer toolkit - shared libraries\n\n",
    )
    .file(
        "var/lib/dpkg/info/libssl3:amd64.list",
        "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
    )
    .file_mode(PACKAGED_LIBCRYPTO_PATH, libcrypto_3_0_11(), 0o644)
}

/// A static `busybox` copied in (no package database lists it).
pub fn busybox_layer(l: LayerBuilder) -> LayerBuilder {
    l.file_mode(BUSYBOX_PATH, busybox_1_36_1(), 0o755)
}

/// OpenSSL 3.0.11 built from source into `/usr/local` (no package database lists it).
pub fn unpackaged_layer(l: LayerBuilder) -> LayerBuilder {
    l.file_mode(OPENSSL_TOOL_PATH, openssl_tool_3_0_11(), 0o755)
        .file_mode(LIBCRYPTO_PATH, libcrypto_3_0_11(), 0o755)
}

/// NVD CVE JSON 2.0 records reduced to their facts: CVE-2023-5678 (OpenSSL: 3.0.0 up to
/// 3.0.13, and the 1.0.2, 1.1.1, 3.1 lines), CVE-2023-42366 (BusyBox 1.36.1 exactly) and
/// CVE-2022-48174 (BusyBox before 1.35.0). The same file `plimsoll-vulndb`'s tests import.
pub const NVD_RECORDS: &str =
    include_str!("../../plimsoll-vulndb/tests/fixtures/feeds/nvdcve-2.0-openssl-busybox.json");

//! Packages an earlier layer installed and a later one removed (`Catalog::with_removed`,
//! `--layers all`): a dpkg status rewritten without a package, an apk database likewise, a
//! dist-info deleted by a whiteout, an upgrade, and what is not listed (packages still in
//! the final filesystem, lockfile entries, anything without `with_removed`).

use plimsoll_catalog::{Catalog, Inventory, all_catalogers};
use plimsoll_image::walker::WalkOptions;
use plimsoll_image::{ImageSource, OpenOptions, open, scan_image};
use plimsoll_model::Package;
use plimsoll_testkit::ImageBuilder;
use plimsoll_testkit::layers::*;

fn inventory_of(img: &ImageBuilder, removed: bool) -> Inventory {
    let cat = Catalog::new(all_catalogers()).with_removed(removed);
    let dir = tempfile::tempdir().unwrap();
    img.write_oci_layout(dir.path(), None);
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("test", src, &OpenOptions::default()).unwrap();
    let opts = WalkOptions {
        interests: cat.interests(),
        ..Default::default()
    };
    let scan = scan_image(&image, &opts).unwrap();
    cat.inventory(&scan)
}

/// (name, version, added layer, removed layer) of every removed package.
fn spans(inv: &Inventory) -> Vec<(String, String, usize, usize)> {
    inv.removed
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.locations[0].layer.unwrap(),
                p.removed_in_layer.unwrap(),
            )
        })
        .collect()
}

fn names(v: &[Package]) -> Vec<&str> {
    v.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn purged_deb_and_uninstalled_dist_info_are_listed_with_both_layers() {
    let img = purged_image();
    let inv = inventory_of(&img, true);
    assert_eq!(
        names(&inv.packages),
        ["base-files", "zlib1g"],
        "{:#?}",
        inv.packages
    );
    assert_eq!(
        spans(&inv),
        [
            ("libssl3".into(), "3.0.11-1~deb12u2".into(), 1, 2),
            ("requests".into(), "2.31.0".into(), 1, 2),
        ]
    );
    let ssl = &inv.removed[0];
    assert_eq!(ssl.ecosystem, "Debian:12");
    assert_eq!(ssl.source.as_ref().unwrap().name, "openssl");
    assert_eq!(ssl.locations[0].path, DPKG_STATUS);
    assert_eq!(
        ssl.id,
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    );
    let req = &inv.removed[1];
    assert_eq!(
        (req.ecosystem.as_str(), req.kind.as_str()),
        ("PyPI", "python")
    );
    assert_eq!(req.locations[0].path, dist_info_path("requests", "2.31.0"));
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);

    // Without with_removed the inventory is the final filesystem's alone, and the same.
    let final_only = inventory_of(&img, false);
    assert!(final_only.removed.is_empty());
    assert_eq!(final_only.packages, inv.packages);
}

#[test]
fn dpkg_status_rewritten_without_a_package_in_a_later_layer() {
    let base = base_packages();
    let mut more = base.clone();
    more.push(("curl", "7.88.1-10+deb12u5", None));
    more.push(("libcurl4", "7.88.1-10+deb12u5", Some("curl")));
    let mut upgraded = base.clone();
    upgraded.push(("libcurl4", "7.88.1-10+deb12u8", Some("curl")));
    let img = ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.file("etc/os-release", DEBIAN_12_OS_RELEASE)
                .file(DPKG_STATUS, dpkg_status(&base))
        })
        .layer("RUN apt-get install curl", |l| {
            l.file(DPKG_STATUS, dpkg_status(&more))
        })
        .layer("RUN touch /etc/x", |l| l.file("etc/x", "x"))
        // curl removed, libcurl4 upgraded: the old libcurl4 is in layer 1's blob.
        .layer("RUN apt-get purge curl && apt-get upgrade", |l| {
            l.file(DPKG_STATUS, dpkg_status(&upgraded))
        });
    let inv = inventory_of(&img, true);
    assert_eq!(
        spans(&inv),
        [
            ("curl".into(), "7.88.1-10+deb12u5".into(), 1, 3),
            ("libcurl4".into(), "7.88.1-10+deb12u5".into(), 1, 3),
        ]
    );
    let new = inv.packages.iter().find(|p| p.name == "libcurl4").unwrap();
    assert_eq!(new.version, "7.88.1-10+deb12u8");
    assert_eq!(new.removed_in_layer, None);
    // Its id is the purl: no final package has it.
    assert!(
        inv.removed.iter().all(|p| !p.id.contains('#')),
        "{:#?}",
        inv.removed
    );
}

#[test]
fn apk_database_and_a_deleted_database() {
    let base = apk_entry("musl", "1.2.5-r0", "musl") + &apk_entry("zlib", "1.3.1-r1", "zlib");
    let with_curl = base.clone() + &apk_entry("libcurl", "8.9.1-r1", "curl");
    let img = ImageBuilder::new()
        .layer("ADD alpine-minirootfs /", |l| {
            l.file("etc/os-release", ALPINE_OS_RELEASE)
                .file(APK_INSTALLED, &base)
        })
        .layer("RUN apk add libcurl", |l| l.file(APK_INSTALLED, &with_curl))
        .layer("RUN apk del libcurl", |l| l.file(APK_INSTALLED, &base));
    let inv = inventory_of(&img, true);
    assert_eq!(names(&inv.packages), ["musl", "zlib"]);
    assert_eq!(spans(&inv), [("libcurl".into(), "8.9.1-r1".into(), 1, 2)]);
    assert_eq!(inv.removed[0].ecosystem, "Alpine:v3.20");
    assert_eq!(inv.removed[0].source.as_ref().unwrap().name, "curl");

    // `rm -rf /lib/apk` (a distroless-style cleanup): every package goes with the database,
    // removed by the layer whose whiteout deleted it.
    let img = img.layer("RUN rm -rf /lib/apk", |l| l.whiteout("lib/apk"));
    let inv = inventory_of(&img, true);
    assert!(inv.packages.is_empty(), "{:#?}", inv.packages);
    assert_eq!(
        spans(&inv),
        [
            ("libcurl".into(), "8.9.1-r1".into(), 1, 2),
            ("musl".into(), "1.2.5-r0".into(), 0, 3),
            ("zlib".into(), "1.3.1-r1".into(), 0, 3),
        ]
    );
}

#[test]
fn dist_info_deleted_by_a_whiteout_and_a_lockfile_is_not_a_removed_package() {
    let meta = dist_info_path("urllib3", "1.26.18");
    let img = ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.file("etc/os-release", DEBIAN_12_OS_RELEASE)
        })
        .layer("RUN pip install urllib3==1.26.18", |l| {
            l.file(&meta, dist_info_metadata("urllib3", "1.26.18"))
                .file("app/requirements.txt", "flask==2.2.0\n")
        })
        .layer(
            "RUN pip install -U urllib3 && rm app/requirements.txt",
            |l| {
                l.whiteout(&format!("{SITE}/urllib3-1.26.18.dist-info"))
                    .file(
                        &dist_info_path("urllib3", "2.2.2"),
                        dist_info_metadata("urllib3", "2.2.2"),
                    )
                    .whiteout("app/requirements.txt")
            },
        );
    let inv = inventory_of(&img, true);
    assert_eq!(spans(&inv), [("urllib3".into(), "1.26.18".into(), 1, 2)]);
    assert_eq!(inv.removed[0].locations[0].path, meta);
    assert_eq!(names(&inv.packages), ["urllib3"]);
    assert_eq!(inv.packages[0].version, "2.2.2");
}

#[test]
fn a_package_reinstalled_later_is_not_removed() {
    let base = base_packages();
    let mut with = base.clone();
    with.push(("jq", "1.6-2.1", None));
    let img = ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.file("etc/os-release", DEBIAN_12_OS_RELEASE)
                .file(DPKG_STATUS, dpkg_status(&with))
        })
        .layer("RUN apt-get purge jq", |l| {
            l.file(DPKG_STATUS, dpkg_status(&base))
        })
        .layer("RUN apt-get install jq", |l| {
            l.file(DPKG_STATUS, dpkg_status(&with))
        });
    let inv = inventory_of(&img, true);
    assert!(inv.removed.is_empty(), "{:#?}", inv.removed);
    let jq = inv.packages.iter().find(|p| p.name == "jq").unwrap();
    assert_eq!(jq.locations[0].layer, Some(2));
}

//! The fleet table of `plimsoll explore`, drawn from a fleet `plimsoll-explore` folded from
//! the realistic report of [`common::vuln_report`] and a report of a directory.

mod common;

use common::*;
use plimsoll_explore::{ExploreOptions, Explorer};
use plimsoll_model::{Artifact, ArtifactKind, EpssScore, Report};
use plimsoll_report::explore::{ExploreTableOptions, explore_table};

#[test]
fn table_fits_100_columns() {
    let mut image = vuln_report();
    image.artifact.name = "registry.example.com/payments/checkout-service:2024.11.3".into();
    image.artifact.digest =
        Some("sha256:4d70a30a50b3ec0529ff7c3efa951fe00e0214276b37cedd73ed46a06b4c93ef".into());
    let first = image
        .vulnerabilities
        .iter_mut()
        .find(|f| f.id == "CVE-2024-2961")
        .expect("the libc finding of the test report");
    first.kev = true;
    first.epss = Some(EpssScore {
        score: 0.944,
        percentile: 0.9996,
    });
    let dir = Report::new(Artifact::new(
        "/srv/www",
        ArtifactKind::Filesystem,
        "/srv/www",
    ));
    let mut explorer = Explorer::new(ExploreOptions::default());
    explorer.add("a.json", image);
    explorer.add("b.json", dir);
    let fleet = explorer.finish();

    let t = explore_table(&fleet, &ExploreTableOptions::default());
    assert!(t.contains("Top vulnerabilities across 2 images"), "{t}");
    assert!(t.contains("Images by risk"), "{t}");
    assert!(
        t.contains("CVE-2024-2961") && t.contains("KEV") && t.contains("EPSS 0.944"),
        "{t}"
    );
    // The reference is cut at the front: its end tells images apart.
    assert!(t.contains("#1 …kout-service:2024.11.3"), "{t}");
    assert!(
        t.contains("sha256:4d70a30a50b3") && t.contains("no digest"),
        "{t}"
    );
    assert!(
        t.contains("ties: the findings at or above 7.0 (≥7), then the sum") && t.contains("┆ ≥7 ┆"),
        "{t}"
    );
    for line in t.lines() {
        assert!(line.chars().count() <= 100, "{line:?}\n{t}");
    }
}

//! Arbitrary bytes as layer blobs (plain, gzip or zstd tar): up to three layers separated by
//! `plimsoll_fuzz::SEP`, walked with the production walker and merged in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_image::ImageScan;
use plimsoll_image::digest::{Algorithm, Hasher};
use plimsoll_image::walker::{Matcher, WalkContext, walk_layer};

fuzz_target!(|data: &[u8]| {
    let opts = plimsoll_fuzz::walk_options();
    let matcher = Matcher::new(&opts.interests).expect("fixed interests compile");
    let ctx = WalkContext::new(&matcher, &opts.limits);
    // A diff_id that cannot match, with the other algorithm, for the upper layers: the
    // mismatch path and sha512 hashing get exercised too.
    let bogus = Hasher::new(Algorithm::Sha512).finish();
    let walks = plimsoll_fuzz::split(data, 3)
        .into_iter()
        .enumerate()
        .map(|(i, blob)| walk_layer(i, blob, (i > 0).then_some(&bogus), &ctx))
        .collect();
    let scan = ImageScan::from_walks(walks);
    plimsoll_fuzz::check_scan(&scan);
});

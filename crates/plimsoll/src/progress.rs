//! A progress bar on standard error while layers stream, only on a terminal and never with
//! `--quiet` or `--no-progress`. The walker updates atomic counters; a thread draws them.

use crate::cli::OutputArgs;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plimsoll_image::WalkOptions;
use plimsoll_image::walker::Progress;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// Starts drawing if standard error is a terminal; attaches the counters to `walk`.
pub fn start(
    out: &OutputArgs,
    walk: &mut WalkOptions,
    total_bytes: u64,
    layers: usize,
) -> Option<Running> {
    if out.quiet || out.no_progress || !std::io::stderr().is_terminal() {
        return None;
    }
    let counters = Arc::new(Progress::default());
    walk.progress = Some(counters.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} layers {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            bar.set_position(counters.bytes.load(Ordering::Relaxed));
            bar.set_message(format!(
                "{}/{layers}",
                counters.layers_done.load(Ordering::Relaxed)
            ));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    Some(Running { stop, thread })
}

pub fn finish(r: Option<Running>) {
    if let Some(r) = r {
        r.stop.store(true, Ordering::Relaxed);
        let _ = r.thread.join();
    }
}

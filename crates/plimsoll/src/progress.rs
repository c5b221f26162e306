//! A progress bar on standard error while layers stream, only on a terminal and never with
//! `--quiet` or `--no-progress`. The walker updates atomic counters; a thread draws them.

use crate::cli::OutputArgs;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plimsoll_image::walker::Progress;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// What the binary shows while the engine scans: notes on standard error (unless
/// `--quiet`), and progress bars on a terminal.
pub struct Watcher {
    quiet: bool,
    bars: bool,
    walk: Mutex<Option<Running>>,
    download: Mutex<Option<Running>>,
}

impl Watcher {
    pub fn new(out: &OutputArgs) -> Watcher {
        Watcher {
            quiet: out.quiet,
            bars: !out.quiet && !out.no_progress && std::io::stderr().is_terminal(),
            walk: Mutex::new(None),
            download: Mutex::new(None),
        }
    }
}

impl plimsoll_scan::Observer for Watcher {
    fn note(&self, message: &str) {
        if !self.quiet {
            crate::diag::note(message);
        }
    }

    fn walk_started(&self, bytes: u64, layers: usize) -> Option<Arc<Progress>> {
        if !self.bars {
            return None;
        }
        let counters = Arc::new(Progress::default());
        *self.walk.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(start(counters.clone(), bytes, layers));
        Some(counters)
    }

    fn walk_finished(&self) {
        finish(self.walk.lock().unwrap_or_else(|e| e.into_inner()).take());
    }

    fn download_started(&self, progress: Arc<plimsoll_vulndb::fetch::Progress>) {
        if self.bars {
            *self.download.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(start_download(progress));
        }
    }

    fn download_finished(&self) {
        finish(
            self.download
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }
}

/// Draws the walk's counters.
fn start(counters: Arc<Progress>, total_bytes: u64, layers: usize) -> Running {
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
    Running { stop, thread }
}

/// Draws a database download's counters.
pub fn start_download(progress: Arc<plimsoll_vulndb::fetch::Progress>) -> Running {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} downloading {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        while !flag.load(Ordering::Relaxed) {
            bar.set_length(progress.bytes_total());
            bar.set_position(progress.bytes_done());
            bar.set_message(format!("{} files", progress.files_done()));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    Running { stop, thread }
}

pub fn finish(r: Option<Running>) {
    if let Some(r) = r {
        r.stop.store(true, Ordering::Relaxed);
        let _ = r.thread.join();
    }
}

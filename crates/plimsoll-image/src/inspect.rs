//! Streaming inspectors: analyzers that read every file they want while its layer streams,
//! keeping only small hits, never the file.
//!
//! A captured file ([`Interest`](crate::walker::Interest)) is held whole until analysis;
//! that suits package databases, not "every text file of the image". An [`Inspector`] is
//! asked about each regular file ([`Inspector::wants`], by path and size) and then reads
//! the file's bytes from the tar stream itself, in whatever bounded window it likes,
//! returning [`Hit`]s: a rule id, a line and a short detail the inspector has already made
//! safe to print and store (the secrets inspector redacts before a hit leaves it).
//!
//! Hits are part of a layer's walk, so they go into the layer cache with it; an inspector's
//! [`fingerprint`](Inspector::fingerprint) (its name, version and rules) goes into the
//! cache key, so a cached walk is reused only by a scan with the same rules.

use serde::{Deserialize, Serialize};
use std::io::{self, Read};

/// A reader of file contents while layers stream. Implementations must be cheap to ask
/// ([`wants`](Inspector::wants) runs for every file of every layer) and must bound their
/// own memory whatever the file.
pub trait Inspector: Send + Sync + std::fmt::Debug {
    /// Names the inspector, its version and its rules: two inspectors with the same
    /// fingerprint find the same hits in the same bytes.
    fn fingerprint(&self) -> String;
    /// Whether to read this file: its root-relative path, size, mode and first bytes.
    fn wants(&self, file: &Candidate<'_>) -> bool;
    /// Reads the file (the reader ends where the file ends) and returns what it found. An
    /// error is the stream's (a corrupt or truncated layer), never the inspector's opinion.
    fn inspect(&self, path: &str, data: &mut dyn Read) -> io::Result<Vec<Hit>>;
}

/// What an inspector is told about a regular file before it decides to read it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Root-relative path.
    pub path: &'a str,
    pub size: u64,
    /// Permission bits as the layer has them (`0o4755`: setuid, executable).
    pub mode: u32,
    /// The file's first bytes: [`HEAD_LEN`] of them, or the whole file when shorter (for
    /// magic numbers: `\x7fELF`, `#!`).
    pub head: &'a [u8],
}

impl Candidate<'_> {
    /// An executable or a script: an ELF file, a `#!` script, or any file with an execute
    /// bit.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0 || self.head.starts_with(b"\x7fELF") || self.head.starts_with(b"#!")
    }
}

/// Bytes of each file read before inspectors are asked (see [`Candidate::head`]).
pub const HEAD_LEN: usize = 64;

/// One thing an inspector found in a file. Stored in the layer cache and printed: it must
/// hold nothing the image should keep to itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The inspector's rule (`aws-access-key-id`).
    pub rule: String,
    /// 1-based line, 0 when lines mean nothing for the file.
    pub line: u64,
    /// What to show for it (a redacted match).
    pub detail: String,
}

/// The hits of one inspector in one file of one layer (files without hits are not listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub layer: usize,
    pub path: String,
    /// Index into [`WalkOptions::inspectors`](crate::walker::WalkOptions::inspectors).
    pub inspector: usize,
    pub hits: Vec<Hit>,
}

/// A file up to this size that several inspectors want is buffered once and read by each
/// in turn; a larger one is streamed to all of them at once, each on its own thread fed
/// through a small bounded channel ([`fan_out`]), so memory stays bounded either way and
/// no inspector misses a large executable that another also wants.
pub const MAX_SHARED_INSPECTION: u64 = 16 << 20;

/// Chunks in flight per inspector when a large file is streamed to several.
const FAN_OUT_CHUNKS: usize = 4;
/// Bytes per chunk when a large file is streamed to several inspectors.
const FAN_OUT_CHUNK: usize = 256 << 10;

/// A file some inspectors want: `known` is the whole file when it was already read (a
/// captured file), else `prefix` holds the bytes already taken from the stream.
pub(crate) struct Wanted<'a> {
    pub layer: usize,
    pub path: &'a str,
    pub size: u64,
    pub known: Option<&'a [u8]>,
    pub prefix: &'a [u8],
}

/// Streams one file (`prefix`, then the rest of `rest`) to every inspector of `wanting` at
/// once: each reads from its own bounded channel on a scoped thread while this thread reads
/// the layer. The stream is always read to its end (the walker continues at the next
/// entry); an inspector that stops early just stops receiving. Returns each inspector's
/// hits, in `wanting` order.
fn fan_out(
    inspectors: &[std::sync::Arc<dyn Inspector>],
    wanting: &[usize],
    path: &str,
    prefix: &[u8],
    rest: &mut dyn Read,
) -> io::Result<Vec<(usize, Vec<Hit>)>> {
    use std::sync::Arc;
    use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
    struct ChannelReader {
        rx: Receiver<Arc<[u8]>>,
        cur: Option<Arc<[u8]>>,
        pos: usize,
    }
    impl Read for ChannelReader {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            loop {
                if let Some(c) = &self.cur
                    && self.pos < c.len()
                {
                    let n = (c.len() - self.pos).min(out.len());
                    out[..n].copy_from_slice(&c[self.pos..self.pos + n]);
                    self.pos += n;
                    return Ok(n);
                }
                match self.rx.recv() {
                    Ok(c) => {
                        self.cur = Some(c);
                        self.pos = 0;
                    }
                    Err(_) => return Ok(0),
                }
            }
        }
    }
    std::thread::scope(|scope| {
        let mut senders: Vec<Option<SyncSender<Arc<[u8]>>>> = Vec::new();
        let mut handles = Vec::new();
        for &i in wanting {
            let (tx, rx) = sync_channel::<Arc<[u8]>>(FAN_OUT_CHUNKS);
            senders.push(Some(tx));
            let inspector = &inspectors[i];
            handles.push((
                i,
                scope.spawn(move || {
                    let mut r = ChannelReader {
                        rx,
                        cur: None,
                        pos: 0,
                    };
                    inspector.inspect(path, &mut r)
                }),
            ));
        }
        let mut feed = |chunk: Arc<[u8]>| {
            for s in senders.iter_mut() {
                if let Some(tx) = s
                    && tx.send(chunk.clone()).is_err()
                {
                    *s = None;
                }
            }
        };
        if !prefix.is_empty() {
            feed(Arc::from(prefix));
        }
        let mut buf = vec![0u8; FAN_OUT_CHUNK];
        let mut failed = None;
        loop {
            match rest.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => feed(Arc::from(&buf[..n])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        // End of file for every reader (the closure's borrow of `senders` ends above).
        drop(senders);
        let mut out = Vec::new();
        for (i, h) in handles {
            match h.join() {
                Ok(Ok(hits)) => out.push((i, hits)),
                Ok(Err(e)) => failed = failed.or(Some(e)),
                Err(_) => {
                    failed = failed.or(Some(io::Error::other(format!(
                        "{path}: an inspector failed"
                    ))))
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}

/// Runs the inspectors `wanting` (indexes into `inspectors`) over one file, reading on
/// from `rest` what `file` does not hold. Pushes the hits per inspector, and returns a note
/// when some inspector had to pass the file over.
pub(crate) fn run(
    inspectors: &[std::sync::Arc<dyn Inspector>],
    wanting: &[usize],
    file: &Wanted<'_>,
    rest: &mut dyn Read,
    out: &mut Vec<Inspected>,
) -> io::Result<Option<String>> {
    let Wanted {
        layer,
        path,
        size,
        known,
        prefix,
    } = *file;
    let mut push = |i: usize, hits: Vec<Hit>| {
        if !hits.is_empty() {
            out.push(Inspected {
                layer,
                path: path.to_string(),
                inspector: i,
                hits,
            });
        }
    };
    if let Some(data) = known {
        for &i in wanting {
            push(i, inspectors[i].inspect(path, &mut &data[..])?);
        }
        return Ok(None);
    }
    if let [only] = wanting {
        let mut r = io::Cursor::new(prefix).chain(rest);
        push(*only, inspectors[*only].inspect(path, &mut r)?);
        return Ok(None);
    }
    if size > MAX_SHARED_INSPECTION {
        for (i, hits) in fan_out(inspectors, wanting, path, prefix, rest)? {
            push(i, hits);
        }
        return Ok(None);
    }
    let mut data = Vec::with_capacity(size as usize);
    data.extend_from_slice(prefix);
    rest.take(MAX_SHARED_INSPECTION + 1 - prefix.len().min(MAX_SHARED_INSPECTION as usize) as u64)
        .read_to_end(&mut data)?;
    for &i in wanting {
        push(i, inspectors[i].inspect(path, &mut &data[..])?);
    }
    Ok(None)
}

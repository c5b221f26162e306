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

/// A file larger than this that several inspectors want is read by the first of them only
/// (the others would need the bytes buffered); one inspector streams any size.
pub const MAX_SHARED_INSPECTION: u64 = 16 << 20;

/// A file some inspectors want: `known` is the whole file when it was already read (a
/// captured file), else `prefix` holds the bytes already taken from the stream.
pub(crate) struct Wanted<'a> {
    pub layer: usize,
    pub path: &'a str,
    pub size: u64,
    pub known: Option<&'a [u8]>,
    pub prefix: &'a [u8],
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
        let first = wanting[0];
        let mut r = io::Cursor::new(prefix).chain(rest);
        push(first, inspectors[first].inspect(path, &mut r)?);
        return Ok(Some(format!(
            "{path}: {size} bytes, over {MAX_SHARED_INSPECTION} bytes: read by one inspector of {}",
            wanting.len()
        )));
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

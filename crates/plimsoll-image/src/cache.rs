//! Content-addressed blob cache.
//!
//! Blobs live at `<dir>/blobs/<algorithm>/<hex>`. A download streams into a temporary file in
//! `<dir>/tmp` while it is verified and walked; only a blob that reached its end and matched
//! its digest is renamed into place, so a partial or corrupt download never enters the cache,
//! and readers never see a half-written file (rename is atomic on one filesystem). Cached
//! blobs are verified again every time they are read.

use crate::digest::Digest;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct BlobCache {
    dir: PathBuf,
}

impl BlobCache {
    pub fn new(dir: impl Into<PathBuf>) -> BlobCache {
        BlobCache { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/plimsoll` (or the platform's equivalent).
    pub fn default_dir() -> PathBuf {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("plimsoll")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.dir
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    pub fn open(&self, digest: &Digest) -> Option<File> {
        File::open(self.blob_path(digest)).ok()
    }

    pub fn contains(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Wraps a verifying reader so that what it yields is written to the cache, and
    /// committed only when the reader reports a clean end of stream.
    pub fn tee<R: Read>(&self, digest: &Digest, verified: R) -> io::Result<CacheTee<R>> {
        let tmp_dir = self.tmp_dir();
        std::fs::create_dir_all(&tmp_dir)?;
        let dest = self.blob_path(digest);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = tempfile::Builder::new()
            .prefix("download-")
            .tempfile_in(&tmp_dir)?;
        Ok(CacheTee {
            inner: verified,
            tmp: Some(io::BufWriter::with_capacity(256 * 1024, tmp)),
            dest,
        })
    }
}

/// See [`BlobCache::tee`]. Dropping it before the end deletes the temporary file.
pub struct CacheTee<R> {
    inner: R,
    tmp: Option<io::BufWriter<tempfile::NamedTempFile>>,
    dest: PathBuf,
}

impl<R: Read> Read for CacheTee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                // A failed stream (digest mismatch, transport error) is never committed, even
                // if a later read reports end of stream: the walker drains a blob after an
                // error, and a verifying reader that failed has nothing more to say.
                self.tmp = None;
                return Err(e);
            }
        };
        if n == 0 {
            if let Some(w) = self.tmp.take()
                && let Ok(tmp) = w.into_inner()
            {
                // Another scan may have stored the same blob meanwhile: either copy is good.
                let _ = tmp.persist(&self.dest);
            }
        } else if let Some(w) = self.tmp.as_mut()
            && w.write_all(&buf[..n]).is_err()
        {
            // A full disk must not fail the scan: stop caching this blob.
            self.tmp = None;
        }
        Ok(n)
    }
}

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

    /// Whether a blob can be written: creates `tmp/` and a file in it. The error names the
    /// directory and the cause (permission denied, read-only filesystem, not a directory).
    pub fn check_writable(&self) -> Result<(), String> {
        let tmp_dir = self.tmp_dir();
        std::fs::create_dir_all(&tmp_dir)
            .and_then(|()| {
                tempfile::Builder::new()
                    .prefix(&crate::temp_prefix("probe-"))
                    .tempfile_in(&tmp_dir)
            })
            .map(drop)
            .map_err(|e| {
                format!(
                    "the cache directory {} cannot be written ({e})",
                    self.dir.display()
                )
            })
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
            .prefix(&crate::temp_prefix("download-"))
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

/// Wraps a verifying reader over a cached blob: if the blob fails verification (the cache
/// was tampered with or the disk corrupted it), it is deleted so the next scan fetches it
/// again, and the error says so.
pub struct EvictOnMismatch<R> {
    inner: R,
    path: PathBuf,
}

impl<R> EvictOnMismatch<R> {
    pub fn new(inner: R, path: PathBuf) -> Self {
        EvictOnMismatch { inner, path }
    }
}

impl<R: Read> Read for EvictOnMismatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if crate::digest::verify_error(&e).is_none() {
                return e;
            }
            let _ = std::fs::remove_file(&self.path);
            let kind = e.kind();
            match e
                .into_inner()
                .map(|i| i.downcast::<crate::digest::VerifyError>())
            {
                // Keep the VerifyError reachable (as the source) so that callers asking
                // `verify_error` still learn that the blob, not its format, is at fault.
                Some(Ok(cause)) => io::Error::new(
                    kind,
                    Evicted {
                        path: self.path.clone(),
                        cause: *cause,
                    },
                ),
                Some(Err(other)) => io::Error::new(kind, other),
                None => io::Error::from(kind),
            }
        })
    }
}

/// A cached blob failed verification and was deleted.
#[derive(Debug)]
struct Evicted {
    path: PathBuf,
    cause: crate::digest::VerifyError,
}

impl std::fmt::Display for Evicted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cached copy {} failed verification and was removed; rerun to fetch it again: {}",
            self.path.display(),
            self.cause
        )
    }
}

impl std::error::Error for Evicted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::VerifyingReader;

    #[test]
    fn tee_commits_only_verified_blobs_and_evicts_corrupt_ones() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(dir.path());
        let data = b"layer bytes".to_vec();
        let digest = Digest::sha256_of(&data);

        // A stream that fails verification leaves nothing behind.
        let wrong = Digest::sha256_of(b"other");
        let v = VerifyingReader::new(&data[..], Some(wrong.clone()), None);
        let mut tee = cache.tee(&wrong, v).unwrap();
        assert!(tee.read_to_end(&mut Vec::new()).is_err());
        drop(tee);
        assert!(!cache.contains(&wrong));
        assert_eq!(std::fs::read_dir(cache.tmp_dir()).unwrap().count(), 0);

        // A stream dropped half way leaves nothing either.
        let v = VerifyingReader::new(&data[..], Some(digest.clone()), None);
        let mut tee = cache.tee(&digest, v).unwrap();
        let mut half = [0u8; 4];
        tee.read_exact(&mut half).unwrap();
        drop(tee);
        assert!(!cache.contains(&digest));

        // A whole, verified stream is committed.
        let v = VerifyingReader::new(&data[..], Some(digest.clone()), None);
        let mut tee = cache.tee(&digest, v).unwrap();
        tee.read_to_end(&mut Vec::new()).unwrap();
        drop(tee);
        assert_eq!(std::fs::read(cache.blob_path(&digest)).unwrap(), data);

        // A cached blob corrupted on disk is evicted when read.
        std::fs::write(cache.blob_path(&digest), b"tampered!!!").unwrap();
        let f = cache.open(&digest).unwrap();
        let mut r = EvictOnMismatch::new(
            VerifyingReader::new(f, Some(digest.clone()), None),
            cache.blob_path(&digest),
        );
        let err = r.read_to_end(&mut Vec::new()).unwrap_err().to_string();
        assert!(err.contains("was removed"), "{err}");
        assert!(!cache.contains(&digest));
    }
}

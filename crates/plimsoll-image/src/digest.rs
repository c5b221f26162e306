//! Content digests (`sha256:<hex>`) and readers that verify them while data streams.
//!
//! Every blob plimsoll reads — from a registry, an archive, a layout or the cache — passes
//! through a [`VerifyingReader`], so a blob is checked in the same pass that parses it and a
//! mismatch is reported as soon as the blob ends, naming the blob. The OCI image spec allows
//! `sha256` and `sha512`; both are accepted.
//! <https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests>

use sha2::{Digest as _, Sha256, Sha512};
use std::fmt;
use std::io::{self, Read};

/// A validated content digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>` (or sha512). Anything else is refused: a digest
    /// becomes a file name in the cache and an archive path, so it must be exactly hex.
    pub fn parse(s: &str) -> Result<Digest, String> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| format!("invalid digest {s:?}: expected <algorithm>:<hex>"))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(format!("unsupported digest algorithm {alg:?} in {s:?}")),
        };
        if hex.len() != algorithm.hex_len()
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!(
                "invalid digest {s:?}: expected {} lowercase hex characters",
                algorithm.hex_len()
            ));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    pub fn sha256_of(data: &[u8]) -> Digest {
        let mut h = Hasher::new(Algorithm::Sha256);
        h.update(data);
        h.finish()
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// First 12 hex characters, as `docker images` shows IDs.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl std::str::FromStr for Digest {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

/// Incremental hasher for either algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }
    pub fn finish(self) -> Digest {
        let (algorithm, bytes) = match self {
            Hasher::Sha256(h) => (Algorithm::Sha256, h.finalize().to_vec()),
            Hasher::Sha512(h) => (Algorithm::Sha512, h.finalize().to_vec()),
        };
        Digest {
            algorithm,
            hex: hex_encode(&bytes),
        }
    }
}

pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Why a verified stream failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    #[error("digest mismatch: expected {expected}, content hashes to {actual}")]
    Mismatch { expected: Digest, actual: Digest },
    #[error("size mismatch: descriptor says {expected} bytes, blob has {actual}")]
    Size { expected: u64, actual: u64 },
    #[error("blob is larger than the descriptor's {expected} bytes")]
    TooLong { expected: u64 },
}

/// A reader that hashes what passes through and, at end of stream, fails with
/// [`io::ErrorKind::InvalidData`] (wrapping a [`VerifyError`]) if the digest or the declared
/// size does not match. It never yields more than `expected_size` bytes, so a blob that lies
/// about its size cannot make a reader consume unbounded data.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    expected: Option<Digest>,
    expected_size: Option<u64>,
    read: u64,
    verified: bool,
    computed: Option<Digest>,
    /// Once verification failed, every later read fails the same way, so no consumer can
    /// mistake the rest of a bad blob for a clean end.
    failed: Option<VerifyError>,
}

impl<R: Read> VerifyingReader<R> {
    /// Verifies `expected` (if any) and `expected_size` (if any); with neither it only
    /// computes the digest, available from [`VerifyingReader::digest`] after EOF.
    pub fn new(inner: R, expected: Option<Digest>, expected_size: Option<u64>) -> Self {
        let alg = expected.as_ref().map_or(Algorithm::Sha256, |d| d.algorithm);
        VerifyingReader {
            inner,
            hasher: Some(Hasher::new(alg)),
            expected,
            expected_size,
            read: 0,
            verified: false,
            computed: None,
            failed: None,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// True once the stream reached its end and matched.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// Reads and discards the rest of the stream, verifying it. Use when a consumer stops
    /// early (the tar end-of-archive marker may be followed by padding) but the blob must
    /// still be proven whole.
    pub fn finish(&mut self) -> io::Result<Digest> {
        let mut buf = vec![0u8; 64 * 1024];
        while self.read(&mut buf)? > 0 {}
        Ok(self
            .computed
            .clone()
            .unwrap_or_else(|| Digest::sha256_of(b"")))
    }

    /// The digest computed so far, once the stream has ended.
    pub fn digest(&self) -> Option<&Digest> {
        self.computed.as_ref()
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    fn finish_hash(&mut self) -> io::Result<()> {
        let Some(hasher) = self.hasher.take() else {
            return Ok(());
        };
        let actual = hasher.finish();
        if let Some(size) = self.expected_size
            && size != self.read
        {
            return Err(invalid(VerifyError::Size {
                expected: size,
                actual: self.read,
            }));
        }
        if let Some(expected) = &self.expected
            && *expected != actual
        {
            return Err(invalid(VerifyError::Mismatch {
                expected: expected.clone(),
                actual,
            }));
        }
        self.verified = true;
        self.computed = Some(actual);
        Ok(())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(f) = &self.failed {
            return Err(invalid(f.clone()));
        }
        if self.hasher.is_none() {
            return Ok(0);
        }
        // Ask for one byte more than the declared size allows, to notice a blob that is longer.
        let want = match self.expected_size {
            Some(size) => {
                let left = size.saturating_sub(self.read) + 1;
                buf.len().min(usize::try_from(left).unwrap_or(usize::MAX))
            }
            None => buf.len(),
        };
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            if let Err(e) = self.finish_hash() {
                self.failed = verify_error(&e).cloned();
                return Err(e);
            }
            return Ok(0);
        }
        if let Some(size) = self.expected_size
            && self.read + n as u64 > size
        {
            self.hasher = None;
            let e = VerifyError::TooLong { expected: size };
            self.failed = Some(e.clone());
            return Err(invalid(e));
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        self.read += n as u64;
        Ok(n)
    }
}

fn invalid(e: VerifyError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Extracts a [`VerifyError`] from an I/O error produced by a [`VerifyingReader`].
pub fn verify_error(e: &io::Error) -> Option<&VerifyError> {
    // Wrappers (the cache's eviction notice) keep the VerifyError as their source.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
    while let Some(err) = cur {
        if let Some(v) = err.downcast_ref::<VerifyError>() {
            return Some(v);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Digest::sha256_of(b"hello");
        assert_eq!(
            d.to_string(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(Digest::parse(&d.to_string()).unwrap(), d);
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Digest::parse(&format!("sha256:../{}", "a".repeat(61))).is_err());
    }

    #[test]
    fn verifying_reader_accepts_good_and_names_bad() {
        let data = b"some blob content".to_vec();
        let good = Digest::sha256_of(&data);
        let mut r = VerifyingReader::new(&data[..], Some(good.clone()), Some(data.len() as u64));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert!(r.is_verified());

        let bad = Digest::sha256_of(b"other");
        let mut r = VerifyingReader::new(&data[..], Some(bad), None);
        let err = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(matches!(
            verify_error(&err),
            Some(VerifyError::Mismatch { .. })
        ));
        // A failed blob never turns into a clean end of stream.
        let again = r.read(&mut [0u8; 16]).unwrap_err();
        assert!(matches!(
            verify_error(&again),
            Some(VerifyError::Mismatch { .. })
        ));

        let mut r = VerifyingReader::new(&data[..], Some(good.clone()), Some(5));
        let err = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(matches!(
            verify_error(&err),
            Some(VerifyError::TooLong { expected: 5 })
        ));

        let mut r = VerifyingReader::new(&data[..], Some(good), Some(100));
        let err = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(matches!(
            verify_error(&err),
            Some(VerifyError::Size { expected: 100, .. })
        ));
    }
}

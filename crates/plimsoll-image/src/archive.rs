//! Random access to the members of a tar archive (`docker save` output and oci-archive),
//! without unpacking it.
//!
//! One pass over the headers records each regular member's data offset and size; layers
//! are then read in parallel straight from the archive file. A gzip-compressed archive has
//! no random access, so it is first spooled, decompressed, to a temporary file (deleted when
//! the scan ends); layers inside it are still never unpacked.

use crate::error::{Error, Result};
use crate::source::ImageSource;
use crate::walker::{NormPath, TarMetadataBound, normalize_path};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Default bound on a gzip archive's decompressed size (`--max-archive-size`).
pub const DEFAULT_MAX_SPOOL: u64 = 64 << 30;

/// Most members an image archive may have: a docker-archive holds a few per layer.
const MAX_MEMBERS: usize = 1_000_000;
/// Links followed at most this many times to reach a member.
const MAX_LINK_HOPS: usize = 8;

/// Index of a tar archive's regular members.
pub struct ArchiveIndex {
    /// What the user named (for messages).
    pub input: String,
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
    /// Symbolic and hard links: name -> the member name they point to.
    links: HashMap<String, String>,
    /// Where the archive ends when it ends without the end-of-archive blocks (truncated).
    unterminated: Option<u64>,
    /// Holds the spooled, decompressed copy of a gzip archive alive.
    _spool: Option<tempfile::NamedTempFile>,
}

impl ArchiveIndex {
    /// Indexes `path`; `spool_dir` is where a gzip archive is decompressed to.
    pub fn open(path: &Path, spool_dir: &Path) -> Result<ArchiveIndex> {
        Self::open_with_limit(path, spool_dir, DEFAULT_MAX_SPOOL)
    }

    /// Like [`ArchiveIndex::open`], refusing to decompress a gzip archive to more than
    /// `max_spool` bytes on disk (a small hostile file can inflate a thousandfold).
    pub fn open_with_limit(path: &Path, spool_dir: &Path, max_spool: u64) -> Result<ArchiveIndex> {
        let spool = [Spool {
            dir: spool_dir.to_path_buf(),
            prefix: "archive-",
        }];
        Self::open_spooled(path, &spool, max_spool, &mut Vec::new())
    }

    /// Like [`ArchiveIndex::open_with_limit`], spooling a gzip archive into the first of
    /// `spools` where a file can be created; each one that cannot be used before it is named
    /// in `warnings`, with why.
    pub fn open_spooled(
        path: &Path,
        spools: &[Spool],
        max_spool: u64,
        warnings: &mut Vec<String>,
    ) -> Result<ArchiveIndex> {
        let input = path.display().to_string();
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut magic = [0u8; 2];
        let n = read_up_to(&mut f, &mut magic).map_err(|e| Error::io(path, e))?;
        f.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
        let (file_path, spool) = if n == 2 && magic == [0x1f, 0x8b] {
            let mut tmp = spool_file(&input, spools, warnings)?;
            let gz = flate2::read::MultiGzDecoder::new(BufReader::new(f));
            let n = io::copy(&mut gz.take(max_spool + 1), tmp.as_file_mut()).map_err(|e| {
                Error::invalid(
                    &input,
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        "truncated gzip archive: it ends inside its compressed stream".to_string()
                    } else {
                        format!("corrupt gzip archive: {e}")
                    },
                )
            })?;
            if n > max_spool {
                return Err(Error::Limit {
                    input: input.clone(),
                    what: "the decompressed archive".into(),
                    limit: max_spool,
                    flag: "--max-archive-size",
                });
            }
            (tmp.path().to_path_buf(), Some(tmp))
        } else {
            (path.to_path_buf(), None)
        };
        let t = index_tar(&input, &file_path, MAX_MEMBERS)?;
        Ok(ArchiveIndex {
            input,
            path: file_path,
            members: t.members,
            links: t.links,
            unterminated: t.unterminated,
            _spool: spool,
        })
    }

    /// The member `name`, following in-archive links (older `docker save` stores a layer
    /// shared by two images once and links the other `layer.tar` to it).
    fn lookup(&self, name: &str) -> Option<(u64, u64)> {
        let mut cur = name;
        for _ in 0..=MAX_LINK_HOPS {
            if let Some(m) = self.members.get(cur) {
                return Some(*m);
            }
            cur = self.links.get(cur)?;
        }
        None
    }

    pub fn contains(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    pub fn size(&self, name: &str) -> Option<u64> {
        self.lookup(name).map(|m| m.1)
    }

    /// The error for a member that is not there, saying why when the archive tells: a link
    /// that leads nowhere, or an archive cut short.
    pub fn missing(&self, name: &str) -> Error {
        Error::invalid(&self.input, self.missing_message(name))
    }

    /// [`ArchiveIndex::missing`]'s message, without the input's name.
    pub fn missing_message(&self, name: &str) -> String {
        let mut message = format!("member {name} is missing from the archive");
        if self.links.contains_key(name) {
            message.push_str(&format!(
                " (it is a link that does not lead to a file within {MAX_LINK_HOPS} hops)"
            ));
        }
        if let Some(end) = self.unterminated {
            message.push_str(&format!(
                "; the archive is truncated: it ends at byte {end} without the tar end-of-archive blocks"
            ));
        }
        message
    }

    /// Opens a member for reading.
    pub fn open_member(&self, name: &str) -> Result<impl Read + Send + use<>> {
        let (offset, size) = self.lookup(name).ok_or_else(|| self.missing(name))?;
        let mut f = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(BufReader::with_capacity(256 * 1024, f).take(size))
    }

    /// Reads a small member (JSON) whole, refusing more than `limit` bytes.
    pub fn read_member(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let size = self.size(name).unwrap_or(0);
        if size > limit {
            return Err(Error::invalid(
                &self.input,
                format!("member {name} is {size} bytes, more than the {limit} allowed"),
            ));
        }
        let mut buf = Vec::with_capacity(size as usize);
        self.open_member(name)?
            .read_to_end(&mut buf)
            .map_err(|e| Error::invalid(&self.input, format!("reading {name}: {e}")))?;
        Ok(buf)
    }
}

struct TarIndex {
    members: HashMap<String, (u64, u64)>,
    links: HashMap<String, String>,
    unterminated: Option<u64>,
}

/// One pass over the headers of the tar at `path`: regular members and links, refusing
/// more than `max_members` entries, and noticing an archive cut short (a member whose data
/// runs past the end, or no end-of-archive blocks after the last entry).
fn index_tar(input: &str, path: &Path, max_members: usize) -> Result<TarIndex> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let bound = TarMetadataBound::new();
    let mut archive = tar::Archive::new(bound.reader(BufReader::new(file)));
    let mut members = HashMap::new();
    let mut links = HashMap::new();
    let mut entries = archive
        .entries()
        .map_err(|e| Error::invalid(input, format!("not a tar archive: {e}")))?;
    let mut count = 0usize;
    // Where the last entry's data (padded to 512-byte blocks) ends, and its name.
    let mut end = 0u64;
    let mut last: Option<String> = None;
    let truncated = |at: u64, last: &Option<String>| {
        format!(
            "truncated tar archive: {} bytes, cut {}",
            len,
            match last {
                Some(l) => format!("after member {l} (at byte {at})"),
                None => "before its first member".to_string(),
            }
        )
    };
    while let Some(entry) = bound.next_entry(&mut entries) {
        let entry = entry.map_err(|e| {
            Error::invalid(
                input,
                if end >= len.saturating_sub(512) || e.kind() == io::ErrorKind::UnexpectedEof {
                    format!("{}: {e}", truncated(end, &last))
                } else {
                    format!("corrupt tar archive: {e}")
                },
            )
        })?;
        count += 1;
        if count > max_members {
            return Err(Error::invalid(
                input,
                format!(
                    "more than {max_members} members, the most an image archive may have: not an image archive"
                ),
            ));
        }
        let (pos, size) = (entry.raw_file_position(), entry.size());
        let name = match normalize_path(&entry.path_bytes()) {
            NormPath::Ok(name) => name,
            _ => continue,
        };
        if pos.saturating_add(size) > len {
            return Err(Error::invalid(
                input,
                format!(
                    "truncated tar archive: member {name} needs {size} bytes from byte {pos}, but the archive has {len}"
                ),
            ));
        }
        end = pos + size.div_ceil(512) * 512;
        let etype = entry.header().entry_type();
        if etype.is_file() || etype == tar::EntryType::Continuous {
            members.insert(name.clone(), (pos, size));
        } else if (etype.is_symlink() || etype.is_hard_link())
            && let Some(target) = entry.link_name_bytes()
        {
            let target = String::from_utf8_lossy(&target).into_owned();
            // A symbolic link is relative to its own directory; a hard link names a
            // member from the root. Either way it stays inside the archive: only its
            // member names are ever looked up.
            let resolved = if etype.is_symlink() {
                crate::walker::resolve_link(&name, &target)
            } else {
                crate::walker::resolve_link("", &format!("/{target}"))
            };
            links.insert(name.clone(), resolved);
        }
        last = Some(name);
    }
    if members.is_empty() {
        return Err(Error::invalid(
            input,
            if len == 0 {
                "empty file, not a tar archive".to_string()
            } else if last.is_some() {
                "a tar archive without any file in it".to_string()
            } else {
                "empty or not a tar archive".to_string()
            },
        ));
    }
    // A tar ends with two zero blocks; `docker save` and every tar writer put them there.
    let unterminated = (len < end.saturating_add(1024)).then_some(len);
    Ok(TarIndex {
        members,
        links,
        unterminated,
    })
}

/// A directory to decompress a gzip archive into, and the name prefix of the file (the
/// process id is added: see [`crate::temp_prefix`]).
#[derive(Debug, Clone)]
pub struct Spool {
    pub dir: PathBuf,
    pub prefix: &'static str,
}

fn spool_file(
    input: &str,
    spools: &[Spool],
    warnings: &mut Vec<String>,
) -> Result<tempfile::NamedTempFile> {
    let mut failed = Vec::new();
    for s in spools {
        let made = std::fs::create_dir_all(&s.dir).and_then(|()| {
            tempfile::Builder::new()
                .prefix(&crate::temp_prefix(s.prefix))
                .tempfile_in(&s.dir)
        });
        match made {
            Ok(tmp) => {
                warnings.extend(failed.iter().map(|f| {
                    format!(
                        "{f}; the gzip archive was decompressed to {} instead",
                        s.dir.display()
                    )
                }));
                return Ok(tmp);
            }
            Err(e) => failed.push(format!(
                "cannot create a temporary file in {}: {e}",
                s.dir.display()
            )),
        }
    }
    Err(Error::invalid(
        input,
        format!(
            "no place to decompress the gzip archive: {}",
            failed.join("; ")
        ),
    ))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Tells a docker-archive from an oci-archive by looking at the member names: `docker save`
/// writes `manifest.json` (Docker 25+ writes an OCI layout beside it), an oci-archive has
/// only `index.json` and `oci-layout`.
pub fn sniff(path: &Path, name: Option<String>) -> Result<ImageSource> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = [0u8; 2];
    let mut r = BufReader::new(f);
    let n = read_up_to(&mut r, &mut head).map_err(|e| Error::io(path, e))?;
    // A gzip archive is a `docker save | gzip`: that is the only compressed form in use.
    if n == 2 && head == [0x1f, 0x8b] {
        return Ok(ImageSource::DockerArchive {
            path: path.into(),
            name,
        });
    }
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let bound = TarMetadataBound::new();
    let mut archive = tar::Archive::new(bound.reader(BufReader::new(f)));
    let mut has_manifest = false;
    let mut has_index = false;
    let mut entries = archive.entries().map_err(|e| {
        Error::invalid(
            path.display().to_string(),
            format!("not a tar archive: {e}"),
        )
    })?;
    let mut i = 0;
    while let Some(entry) = bound.next_entry(&mut entries) {
        i += 1;
        let Ok(entry) = entry else { break };
        if let NormPath::Ok(p) = normalize_path(&entry.path_bytes()) {
            has_manifest |= p == "manifest.json";
            has_index |= p == "index.json";
        }
        if has_manifest || i > MAX_MEMBERS {
            break;
        }
    }
    match (has_manifest, has_index) {
        (true, _) => Ok(ImageSource::DockerArchive {
            path: path.into(),
            name,
        }),
        (false, true) => Ok(ImageSource::OciArchive {
            path: path.into(),
            name,
        }),
        _ => Err(Error::invalid(
            path.display().to_string(),
            "not an image archive: neither manifest.json (docker-archive) nor index.json (oci-archive) found",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More members than an image archive may have (1M; 5 here) is refused, naming the
    /// limit; as many is fine.
    #[test]
    fn too_many_members_names_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("many.tar");
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..6 {
            let mut h = tar::Header::new_gnu();
            h.set_size(1);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, format!("m{i}"), &b"x"[..]).unwrap();
        }
        std::fs::write(&p, b.into_inner().unwrap()).unwrap();
        let err = index_tar("many.tar", &p, 5)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("more than 5 members, the most an image archive may have"),
            "{err}"
        );
        let t = index_tar("many.tar", &p, 6).unwrap();
        assert_eq!((t.members.len(), t.unterminated), (6, None));
    }

    /// A gzip archive of a few KiB whose GNU long name claims 8 MiB: indexing must refuse it
    /// instead of reading the name into memory (the walker's bound, shared).
    #[test]
    fn huge_long_name_is_refused() {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(8 << 20);
        h.set_cksum();
        let mut tar = h.as_bytes().to_vec();
        tar.resize(512 + (8 << 20), b'a');
        let mut f = tar::Header::new_gnu();
        f.set_path("manifest.json").unwrap();
        f.set_entry_type(tar::EntryType::Regular);
        f.set_size(0);
        f.set_cksum();
        tar.extend_from_slice(f.as_bytes());
        tar.extend_from_slice(&[0; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &tar).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (name, data) in [("a.tar.gz", gz.finish().unwrap()), ("a.tar", tar)] {
            let p = dir.path().join(name);
            std::fs::write(&p, data).unwrap();
            let err = ArchiveIndex::open(&p, &dir.path().join("spool"))
                .err()
                .expect("refused");
            assert!(err.to_string().contains("long names"), "{err}");
            if name == "a.tar" {
                assert!(sniff(&p, None).is_err());
            }
        }
    }
}

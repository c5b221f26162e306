//! rpm header blobs as the package databases store them (no lead, no header magic):
//!
//! ```text
//! u32 be  il   number of index entries
//! u32 be  dl   length of the data store
//! il × { u32 be tag, u32 be type, i32 be offset, u32 be count }
//! dl bytes of data
//! ```
//!
//! Every offset and count is checked against the data store; nothing here can panic or
//! allocate more than the blob's own size.

/// rpm's own limits (`HEADER_TAGS_MAX`, `HEADER_DATA_MAX` in rpm's `header_internal.h`).
pub const MAX_TAGS: u32 = 0xffff;
pub const MAX_DATA: u32 = 0x0fff_ffff;

pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const LICENSE: u32 = 1014;
pub const ARCH: u32 = 1022;
pub const OLDFILENAMES: u32 = 1027;
pub const SOURCERPM: u32 = 1044;
pub const DIRINDEXES: u32 = 1116;
pub const BASENAMES: u32 = 1117;
pub const DIRNAMES: u32 = 1118;
pub const MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

/// A parsed header: the index and a borrowed data store.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    /// Parses a header blob. Trailing bytes after the data store are tolerated (some
    /// databases pad blobs), but the index and the data store must be complete.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, String> {
        let il = be32(blob, 0).ok_or("header blob shorter than 8 bytes")?;
        let dl = be32(blob, 4).ok_or("header blob shorter than 8 bytes")?;
        if il == 0 || il > MAX_TAGS {
            return Err(format!("header has {il} index entries"));
        }
        if dl > MAX_DATA {
            return Err(format!("header data store of {dl} bytes"));
        }
        let index_end = 8 + il as usize * 16;
        let data_end = index_end + dl as usize;
        if blob.len() < data_end {
            return Err(format!(
                "header blob of {} bytes, its index and data need {data_end}",
                blob.len()
            ));
        }
        let data = &blob[index_end..data_end];
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let at = 8 + i * 16;
            let (tag, ty, offset, count) = match (
                be32(blob, at),
                be32(blob, at + 4),
                be32(blob, at + 8),
                be32(blob, at + 12),
            ) {
                (Some(a), Some(b), Some(c), Some(d)) => (a, b, c, d),
                _ => return Err("truncated header index".into()),
            };
            // Region tags (62..=64) carry negative offsets into a trailer: not data we read.
            if (offset as i32) < 0 || offset as usize > data.len() {
                continue;
            }
            entries.push(Entry {
                tag,
                ty,
                offset: offset as usize,
                count: count as usize,
            });
        }
        Ok(Header { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().copied().find(|e| e.tag == tag)
    }

    /// Is the tag present at all?
    pub fn has(&self, tag: u32) -> bool {
        self.entry(tag).is_some()
    }

    /// `count` NUL-terminated strings from `offset`; an error if one runs past the store.
    fn strings_at(&self, e: Entry) -> Result<Vec<&'a str>, String> {
        // Each string takes at least one byte: a count larger than the store is corrupt.
        if e.count > self.data.len().saturating_sub(e.offset) {
            return Err(format!(
                "tag {}: {} strings past the data store",
                e.tag, e.count
            ));
        }
        let mut out = Vec::with_capacity(e.count);
        let mut at = e.offset;
        let data: &'a [u8] = self.data;
        for _ in 0..e.count {
            let rest = data.get(at..).ok_or("string past the data store")?;
            let len = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(|| format!("tag {}: unterminated string", e.tag))?;
            let s = std::str::from_utf8(&rest[..len])
                .map_err(|_| format!("tag {}: string is not UTF-8", e.tag))?;
            out.push(s);
            at += len + 1;
        }
        Ok(out)
    }

    /// A string tag (STRING, or the first of an I18NSTRING / STRING_ARRAY).
    pub fn string(&self, tag: u32) -> Result<Option<&'a str>, String> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        match e.ty {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                let e = Entry {
                    count: if e.ty == TYPE_STRING {
                        1
                    } else {
                        e.count.min(1)
                    },
                    ..e
                };
                Ok(self.strings_at(e)?.into_iter().next())
            }
            t => Err(format!("tag {tag}: type {t} where a string was expected")),
        }
    }

    /// A STRING_ARRAY tag; empty when absent.
    pub fn string_array(&self, tag: u32) -> Result<Vec<&'a str>, String> {
        let Some(e) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        match e.ty {
            TYPE_STRING_ARRAY | TYPE_I18NSTRING => self.strings_at(e),
            TYPE_STRING => self.strings_at(Entry { count: 1, ..e }),
            t => Err(format!("tag {tag}: type {t} where strings were expected")),
        }
    }

    /// An INT32 array tag; empty when absent.
    pub fn int32_array(&self, tag: u32) -> Result<Vec<u32>, String> {
        let Some(e) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        if e.ty != TYPE_INT32 {
            return Err(format!("tag {tag}: type {} where INT32 was expected", e.ty));
        }
        let end = e
            .count
            .checked_mul(4)
            .and_then(|n| n.checked_add(e.offset))
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| format!("tag {tag}: {} integers past the data store", e.count))?;
        Ok(self.data[e.offset..end]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The first value of an INT32 tag.
    pub fn int32(&self, tag: u32) -> Result<Option<u32>, String> {
        Ok(self.int32_array(tag)?.first().copied())
    }

    /// Installed file paths, root-relative (no leading `/`): `DIRNAMES[DIRINDEXES[i]] +
    /// BASENAMES[i]`, or the `OLDFILENAMES` of very old headers.
    pub fn files(&self) -> Result<Vec<String>, String> {
        let base = self.string_array(BASENAMES)?;
        if base.is_empty() {
            return Ok(self
                .string_array(OLDFILENAMES)?
                .into_iter()
                .map(|p| p.trim_start_matches('/').to_string())
                .collect());
        }
        let dirs = self.string_array(DIRNAMES)?;
        let idx = self.int32_array(DIRINDEXES)?;
        if idx.len() != base.len() {
            return Err(format!(
                "{} basenames but {} dirindexes",
                base.len(),
                idx.len()
            ));
        }
        base.iter()
            .zip(idx)
            .map(|(b, i)| {
                let d = dirs
                    .get(i as usize)
                    .ok_or_else(|| format!("dirindex {i} of {} dirnames", dirs.len()))?;
                Ok(format!("{d}{b}").trim_start_matches('/').to_string())
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, count, bytes) entries, as rpm lays them out.
    pub fn blob(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, count, bytes) in entries {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for v in [*tag, *ty, data.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub fn s(tag: u32, v: &str) -> (u32, u32, u32, Vec<u8>) {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        (tag, TYPE_STRING, 1, b)
    }

    pub fn sa(tag: u32, v: &[&str]) -> (u32, u32, u32, Vec<u8>) {
        let mut b = Vec::new();
        for x in v {
            b.extend_from_slice(x.as_bytes());
            b.push(0);
        }
        (tag, TYPE_STRING_ARRAY, v.len() as u32, b)
    }

    pub fn i32a(tag: u32, v: &[u32]) -> (u32, u32, u32, Vec<u8>) {
        (
            tag,
            TYPE_INT32,
            v.len() as u32,
            v.iter().flat_map(|x| x.to_be_bytes()).collect(),
        )
    }

    #[test]
    fn reads_tags_and_files() {
        let b = blob(&[
            s(NAME, "bash"),
            i32a(EPOCH, &[1]),
            sa(DIRNAMES, &["/usr/bin/", "/etc/"]),
            sa(BASENAMES, &["bash", "bashrc", "sh"]),
            i32a(DIRINDEXES, &[0, 1, 0]),
        ]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(NAME).unwrap(), Some("bash"));
        assert_eq!(h.int32(EPOCH).unwrap(), Some(1));
        assert_eq!(h.string(VERSION).unwrap(), None);
        assert_eq!(
            h.files().unwrap(),
            ["usr/bin/bash", "etc/bashrc", "usr/bin/sh"]
        );
    }

    #[test]
    fn corrupt_headers_are_errors() {
        let good = blob(&[
            s(NAME, "bash"),
            sa(DIRNAMES, &["/usr/bin/"]),
            sa(BASENAMES, &["bash"]),
            i32a(DIRINDEXES, &[0]),
        ]);
        // Truncated anywhere: an error (or, cut inside the data store, still an error).
        for n in 0..good.len() {
            assert!(Header::parse(&good[..n]).is_err(), "cut at {n}");
        }
        // A huge declared count of strings.
        let mut b = blob(&[sa(BASENAMES, &["x"])]);
        b[8 + 12..8 + 16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Header::parse(&b).unwrap().string_array(BASENAMES).is_err());
        // A huge integer count.
        let mut b = blob(&[i32a(EPOCH, &[1])]);
        b[8 + 12..8 + 16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Header::parse(&b).unwrap().int32(EPOCH).is_err());
        // An unterminated string.
        let mut b = blob(&[s(NAME, "x")]);
        let n = b.len();
        b[n - 1] = b'y';
        assert!(Header::parse(&b).unwrap().string(NAME).is_err());
        // A dirindex out of range.
        let b = blob(&[
            sa(DIRNAMES, &["/usr/bin/"]),
            sa(BASENAMES, &["bash"]),
            i32a(DIRINDEXES, &[7]),
        ]);
        assert!(Header::parse(&b).unwrap().files().is_err());
        // Absurd index and data sizes are refused before anything is allocated.
        let mut b = vec![0xff; 8];
        assert!(Header::parse(&b).is_err());
        b[..4].copy_from_slice(&1u32.to_be_bytes());
        assert!(Header::parse(&b).is_err());
    }
}

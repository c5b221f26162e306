//! Berkeley DB hash databases, read-only, as rpm ≤ 4.15 wrote `var/lib/rpm/Packages`
//! (CentOS/RHEL ≤ 8, Amazon Linux 2). Layout from Berkeley DB's `dbinc/db_page.h`:
//!
//! - page 0 is the hash metadata page: magic `0x061561` at 12 (its byte order gives the
//!   database's), page size at 20, `last_pgno` at 32, `max_bucket` at 72, and the
//!   `spares` table at 96 that maps a bucket to its page;
//! - every page starts with a 26-byte header: `pgno` at 8, `next_pgno` at 16, the entry
//!   count at 20, `hf_offset` at 22 (bytes used, on overflow pages) and the type at 25;
//! - a hash page (type 13, or 2 in old unsorted databases) has an array of 2-byte item
//!   offsets after its header; items alternate key, data, and an item runs to the previous
//!   item's offset (the first to the page end); its first byte is its kind: `H_KEYDATA` (1,
//!   bytes inline) or `H_OFFPAGE` (3: first overflow page at 4, total length at 8);
//! - overflow pages (type 7) hold `hf_offset` bytes each, chained by `next_pgno`.
//!
//! Buckets `0..=max_bucket` are walked with their overflow-bucket chains. Every page number
//! is range-checked, chains that loop are errors, and the bytes returned never exceed the
//! file's size, so a crafted file can neither panic the reader nor make it allocate more
//! than it holds.

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

struct Db<'a> {
    data: &'a [u8],
    page_size: usize,
    pages: usize,
    big_endian: bool,
}

impl<'a> Db<'a> {
    fn u32_at(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }

    fn u16_at(&self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }

    fn page(&self, pgno: u32) -> Result<&'a [u8], String> {
        let n = pgno as usize;
        if n >= self.pages {
            return Err(format!(
                "page {pgno} is outside the file ({} pages)",
                self.pages
            ));
        }
        Ok(&self.data[n * self.page_size..(n + 1) * self.page_size])
    }

    /// The bytes of an off-page item: `len` bytes from the overflow chain at `pgno`.
    fn overflow(
        &self,
        mut pgno: u32,
        len: usize,
        budget: &mut usize,
        seen: &mut [bool],
    ) -> Result<Vec<u8>, String> {
        if len > *budget {
            return Err(format!(
                "overflow item of {len} bytes exceeds what the file can hold"
            ));
        }
        *budget -= len;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            if pgno == 0 {
                return Err(format!(
                    "overflow chain ends after {} of {len} bytes",
                    out.len()
                ));
            }
            let p = self.page(pgno)?;
            // Each page belongs to one bucket chain or one item: a page reached twice is a
            // loop, or two items sharing pages.
            if std::mem::replace(&mut seen[pgno as usize], true) {
                return Err(format!(
                    "page {pgno} is reached twice (overflow chain loops)"
                ));
            }
            if p[25] != P_OVERFLOW {
                return Err(format!("page {pgno}: type {} in an overflow chain", p[25]));
            }
            let used = self.u16_at(p, 22).unwrap_or(0) as usize;
            let used = used.min(self.page_size - PAGE_HEADER).min(len - out.len());
            out.extend_from_slice(&p[PAGE_HEADER..PAGE_HEADER + used]);
            pgno = self.u32_at(p, 16).unwrap_or(0);
        }
        Ok(out)
    }

    /// An item's bytes, inline or off-page; `None` for kinds rpm does not use (duplicates).
    fn item(
        &self,
        item: &[u8],
        budget: &mut usize,
        seen: &mut [bool],
    ) -> Result<Option<Vec<u8>>, String> {
        match item.first() {
            Some(&H_KEYDATA) => {
                let v = &item[1..];
                if v.len() > *budget {
                    return Err("items exceed the file's size".into());
                }
                *budget -= v.len();
                Ok(Some(v.to_vec()))
            }
            Some(&H_OFFPAGE) => {
                let pgno = self.u32_at(item, 4).ok_or("short off-page item")?;
                let len = self.u32_at(item, 8).ok_or("short off-page item")? as usize;
                self.overflow(pgno, len, budget, seen).map(Some)
            }
            Some(_) => Ok(None),
            None => Err("empty hash item".into()),
        }
    }
}

/// A record: key bytes, value bytes.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// Smallest `i` with `2^i >= n` (Berkeley DB's `__db_log2`).
fn log2_ceil(n: u32) -> usize {
    let mut i = 0;
    while i < 32 && (1u64 << i) < n as u64 {
        i += 1;
    }
    i
}

/// Every (key, value) pair of a Berkeley DB hash database.
pub fn read(data: &[u8]) -> Result<Vec<KeyValue>, String> {
    if data.len() < 512 {
        return Err(format!(
            "{} bytes is too short for a Berkeley DB file",
            data.len()
        ));
    }
    let big_endian = if u32::from_le_bytes([data[12], data[13], data[14], data[15]]) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes([data[12], data[13], data[14], data[15]]) == HASH_MAGIC {
        true
    } else {
        return Err("not a Berkeley DB hash database (bad magic)".into());
    };
    let mut db = Db {
        data,
        page_size: 0,
        pages: 0,
        big_endian,
    };
    let meta = &data[..512];
    let page_size = db.u32_at(meta, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("invalid page size {page_size}"));
    }
    if meta[24] != 0 {
        return Err("encrypted Berkeley DB databases are not supported".into());
    }
    if meta[25] != P_HASHMETA {
        return Err(format!("page 0 has type {}, not hash metadata", meta[25]));
    }
    if meta[26] & 1 != 0 {
        return Err("checksummed Berkeley DB pages are not supported".into());
    }
    db.page_size = page_size;
    db.pages = data.len() / page_size;
    let last_pgno = db.u32_at(meta, 32).unwrap_or(0);
    if last_pgno as usize >= db.pages {
        return Err(format!(
            "truncated: last page is {last_pgno} but the file holds {} pages",
            db.pages
        ));
    }
    let max_bucket = db.u32_at(meta, 72).unwrap_or(0);
    if max_bucket >= last_pgno.max(1) {
        return Err(format!(
            "{max_bucket} buckets do not fit in {last_pgno} pages"
        ));
    }
    let spares: Vec<u32> = (0..32)
        .map(|i| db.u32_at(meta, 96 + 4 * i).unwrap_or(0))
        .collect();

    let mut out = Vec::new();
    let mut seen = vec![false; db.pages];
    // Never return more bytes than the file has: duplicated off-page references cannot
    // multiply memory.
    let mut budget = data.len();
    for bucket in 0..=max_bucket {
        let spare = spares[log2_ceil(bucket + 1).min(31)];
        let mut pgno = bucket
            .checked_add(spare)
            .ok_or_else(|| format!("bucket {bucket}: page number overflows"))?;
        while pgno != 0 {
            let p = db.page(pgno)?;
            if std::mem::replace(&mut seen[pgno as usize], true) {
                return Err(format!("page {pgno} is reached twice (bucket chain loops)"));
            }
            let ty = p[25];
            if ty == 0 && p.iter().all(|&b| b == 0) {
                // A bucket page never written: empty.
                break;
            }
            if ty != P_HASH && ty != P_HASH_UNSORTED {
                return Err(format!("page {pgno}: type {ty} where a hash page belongs"));
            }
            let n = db.u16_at(p, 20).unwrap_or(0) as usize;
            let index_end = PAGE_HEADER + 2 * n;
            if !n.is_multiple_of(2) || index_end > page_size {
                return Err(format!("page {pgno}: {n} entries"));
            }
            let mut prev = page_size;
            let mut key: Option<Option<Vec<u8>>> = None;
            for i in 0..n {
                let off = db.u16_at(p, PAGE_HEADER + 2 * i).unwrap_or(0) as usize;
                if off < index_end || off >= prev {
                    return Err(format!("page {pgno}: item {i} at offset {off}"));
                }
                let item = &p[off..prev];
                prev = off;
                let v = db.item(item, &mut budget, &mut seen)?;
                match key.take() {
                    None => key = Some(v),
                    Some(k) => {
                        if let (Some(k), Some(v)) = (k, v) {
                            out.push((k, v));
                        }
                    }
                }
            }
            pgno = db.u32_at(p, 16).unwrap_or(0);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2() {
        assert_eq!([1, 2, 3, 4, 5, 8, 9].map(log2_ceil), [0, 1, 2, 2, 3, 3, 4]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(read(&[]).is_err());
        assert!(read(&[0u8; 4096]).is_err());
        let mut meta = vec![0u8; 4096];
        meta[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        meta[20..24].copy_from_slice(&4096u32.to_le_bytes());
        meta[25] = P_HASHMETA;
        // last_pgno past the end of the file.
        meta[32..36].copy_from_slice(&5u32.to_le_bytes());
        assert!(read(&meta).unwrap_err().contains("truncated"));
    }
}

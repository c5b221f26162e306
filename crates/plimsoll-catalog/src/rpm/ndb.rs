//! rpm's own "ndb" package database, `Packages.db` (SUSE; rpm's `lib/backend/ndb/rpmpkg.c`).
//! All integers little-endian:
//!
//! - a 32-byte header: magic `RpmP`, version 0, generation, the number of 4 KiB slot pages,
//!   the next package index;
//! - the slot pages (the header occupies the first two slots): 16-byte slots of magic
//!   `Slot`, package index (0: free), block offset and block count, in 16-byte blocks;
//! - at `block offset × 16` a blob: a 16-byte head (magic `BlbS`, package index,
//!   generation, length), the header blob itself, then a 12-byte tail (Adler-32, length,
//!   magic `BlbE`).
//!
//! Offsets and lengths are checked against the file; the number of blobs is bounded by the
//! slot area and their total size by the file's (slots sharing blocks are an error).

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const SLOT_PAGE: usize = 4096;
const BLOCK: usize = 16;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Every (package index, header blob) of an ndb `Packages.db`.
pub fn read(data: &[u8]) -> Result<Vec<(u32, &[u8])>, String> {
    if data.len() < 32 || &data[..4] != HEADER_MAGIC {
        return Err("not an rpm ndb database (bad magic)".into());
    }
    let version = le32(data, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(format!("unsupported ndb version {version}"));
    }
    let slot_pages = le32(data, 12).unwrap_or(0) as usize;
    let slot_end = slot_pages
        .checked_mul(SLOT_PAGE)
        .filter(|&n| n > 0 && n <= data.len())
        .ok_or_else(|| format!("{slot_pages} slot pages do not fit in {} bytes", data.len()))?;
    let mut out = Vec::new();
    // Slots pointing at the same blocks would multiply what callers copy: the blobs
    // together may not be larger than the file.
    let mut budget = data.len();
    for at in (32..slot_end).step_by(16) {
        let slot = &data[at..at + 16];
        let pkg = le32(slot, 4).unwrap_or(0);
        if pkg == 0 {
            continue;
        }
        if &slot[..4] != SLOT_MAGIC {
            return Err(format!("slot at {at}: bad magic"));
        }
        let blk_off = le32(slot, 8).unwrap_or(0) as usize;
        let blk_cnt = le32(slot, 12).unwrap_or(0) as usize;
        let start = blk_off * BLOCK;
        let end = blk_off
            .checked_add(blk_cnt)
            .map(|n| n * BLOCK)
            .filter(|&end| end <= data.len())
            .ok_or_else(|| format!("package {pkg}: blocks outside the file"))?;
        if start < slot_end || end < start + BLOB_HEAD + BLOB_TAIL {
            return Err(format!(
                "package {pkg}: invalid block range {blk_off}+{blk_cnt}"
            ));
        }
        let blob = &data[start..end];
        if &blob[..4] != BLOB_MAGIC {
            return Err(format!("package {pkg}: bad blob magic"));
        }
        if le32(blob, 4) != Some(pkg) {
            return Err(format!("package {pkg}: blob belongs to another package"));
        }
        let len = le32(blob, 12).unwrap_or(0) as usize;
        if len > blob.len() - BLOB_HEAD - BLOB_TAIL {
            return Err(format!(
                "package {pkg}: blob of {len} bytes in {} blocks",
                blk_cnt
            ));
        }
        budget = budget
            .checked_sub(len)
            .ok_or("blobs larger than the file (slots share blocks)")?;
        out.push((pkg, &blob[BLOB_HEAD..BLOB_HEAD + len]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(read(b"").is_err());
        assert!(read(b"RpmP").is_err());
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(HEADER_MAGIC);
        h[12..16].copy_from_slice(&1u32.to_le_bytes());
        // One slot page declared, 64 bytes present.
        assert!(read(&h).is_err());
        h[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&h).is_err());
    }
}

//! The stored form of a pack (`finding_passes.packed`): its entries
//! (`PackEntry::write` in findings.rs), compressed.
//!
//! Layout: one format byte ([`LZ4_ENTRIES`]), the entries' length as a
//! little-endian `u32`, then the entries as one LZ4 block. A pack's entries
//! repeat the check ids' prefixes and the resource's name in their
//! messages: LZ4 keeps well under half of the bytes, and compressing costs
//! less than writing the rest twice (write-ahead log, then database) did
//! (docs/benchmarks.md). The format byte leaves room for another encoding.

/// The format byte of LZ4-compressed entries.
const LZ4_ENTRIES: u8 = 1;

/// The bytes before the compressed block.
const HEADER: usize = 5;

/// The most a pack may claim to hold, uncompressed. A resource's pack is a few
/// KiB (one entry per check); a length beyond this is a corrupt row, not an
/// allocation to attempt.
const MAX_RAW: usize = 64 << 20;

/// Compresses a pack's entries.
pub(crate) fn encode(raw: &[u8]) -> Vec<u8> {
    // A pack never nears 4 GiB (one entry per check of one resource); the
    // length saturates rather than wraps, and decoding then fails loudly.
    let len = u32::try_from(raw.len()).unwrap_or(u32::MAX);
    let mut out = vec![0; HEADER + lz4_flex::block::get_maximum_output_size(raw.len())];
    out[0] = LZ4_ENTRIES;
    out[1..HEADER].copy_from_slice(&len.to_le_bytes());
    // The buffer is sized for the worst case: compression cannot run out.
    let written = lz4_flex::block::compress_into(raw, &mut out[HEADER..]).unwrap_or(0);
    out.truncate(HEADER + written);
    out
}

/// The entries of a stored pack, or why they cannot be read.
pub(crate) fn decode(blob: &[u8]) -> Result<Vec<u8>, String> {
    let Some((&format, rest)) = blob.split_first() else {
        return Err("empty".into());
    };
    if format != LZ4_ENTRIES {
        return Err(format!("unknown format {format}"));
    }
    let (len, block) = rest.split_first_chunk::<4>().ok_or("truncated header")?;
    let len = usize::try_from(u32::from_le_bytes(*len)).unwrap_or(usize::MAX);
    if len > MAX_RAW {
        return Err(format!(
            "claims {len} bytes, more than the {MAX_RAW} a pack may hold"
        ));
    }
    let raw = lz4_flex::block::decompress(block, len).map_err(|e| format!("corrupt: {e}"))?;
    if raw.len() != len {
        return Err(format!(
            "holds {} bytes, not the {len} its header says",
            raw.len()
        ));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]
    use super::*;

    #[test]
    fn a_pack_reads_back_smaller() {
        let raw = br#"[{"c":"aws_s3_bucket_versioning_enabled","m":"Bucket `logs` keeps versions."},{"c":"aws_s3_bucket_encrypted","m":"Bucket `logs` is encrypted."}]"#.repeat(4);
        let blob = encode(&raw);
        assert!(
            blob.len() < raw.len() / 2,
            "{} of {}",
            blob.len(),
            raw.len()
        );
        assert_eq!(decode(&blob).unwrap(), raw);
        assert_eq!(decode(&encode(b"")).unwrap(), b"");
    }

    #[test]
    fn damaged_blobs_are_refused_with_a_reason() {
        let blob =
            encode(br#"[{"c":"aws_s3_bucket_encrypted","m":"Bucket `logs` is encrypted."}]"#);
        let refused = |b: &[u8]| decode(b).unwrap_err();
        assert_eq!(refused(&[]), "empty");
        assert!(refused(&[9, 0, 0, 0, 0]).contains("unknown format 9"));
        assert_eq!(refused(&blob[..3]), "truncated header");
        assert!(refused(&blob[..blob.len() - 4]).contains("corrupt"));
        // A length that would make the reader allocate 4 GiB.
        let mut huge = blob.clone();
        huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(refused(&huge).contains("more than"));
        // A length shorter than the block: not silently cut.
        let mut short = blob;
        short[1..5].copy_from_slice(&3u32.to_le_bytes());
        assert!(decode(&short).is_err());
    }
}

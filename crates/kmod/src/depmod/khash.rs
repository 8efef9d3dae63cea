//! The iteration order of kmod's `struct hash` (shared/hash.c), which fixes the order of
//! `modules.symbols` and of modules that `modules.order` does not list.
//!
//! A hash has a power-of-two number of buckets; a key goes to bucket `superfast(key) & (n - 1)`, and
//! each bucket keeps its keys sorted by `strcmp`. Iteration walks the buckets in order. So the order of
//! a set of distinct keys is: by bucket, then bytewise.

/// Paul Hsieh's SuperFastHash as kmod computes it: 16-bit reads in host (little-endian) order, and
/// the tail bytes read as signed `char`.
pub fn superfast(key: &[u8]) -> u32 {
    let len = key.len() as u32;
    let mut hash = len;
    let rem = key.len() & 3;
    let get16 = |k: &[u8]| u32::from(u16::from_le_bytes([k[0], k[1]]));
    let signed = |b: u8| b as i8 as i32 as u32;
    let mut chunks = key.chunks_exact(4);
    for c in &mut chunks {
        hash = hash.wrapping_add(get16(c));
        let tmp = (get16(&c[2..]) << 11) ^ hash;
        hash = (hash << 16) ^ tmp;
        hash = hash.wrapping_add(hash >> 11);
    }
    let tail = chunks.remainder();
    match rem {
        3 => {
            hash = hash.wrapping_add(get16(tail));
            hash ^= hash << 16;
            hash ^= signed(tail[2]) << 18;
            hash = hash.wrapping_add(hash >> 11);
        }
        2 => {
            hash = hash.wrapping_add(get16(tail));
            hash ^= hash << 11;
            hash = hash.wrapping_add(hash >> 17);
        }
        1 => {
            hash = hash.wrapping_add(signed(tail[0]));
            hash ^= hash << 10;
            hash = hash.wrapping_add(hash >> 1);
        }
        _ => {}
    }
    hash ^= hash << 3;
    hash = hash.wrapping_add(hash >> 5);
    hash ^= hash << 4;
    hash = hash.wrapping_add(hash >> 17);
    hash ^= hash << 25;
    hash = hash.wrapping_add(hash >> 6);
    hash
}

/// The sort key giving kmod's iteration order for a hash of `buckets` (a power of two) buckets.
pub fn order_key(key: &[u8], buckets: u32) -> (u32, &[u8]) {
    (superfast(key) & (buckets - 1), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Computed with kmod's C function on x86_64 (signed char tails included).
        let cases: [(&[u8], u32); 9] = [
            (b"", 0),
            (b"a", 291415938),
            (b"ab", 1366002500),
            (b"abc", 3535673738),
            (b"abcd", 3671636187),
            (b"crc32c", 2692647505),
            (b"snd_hda_intel", 1849698465),
            (b"\xe9t\xe9", 1774056205),
            (b"x\xff", 3371177469),
        ];
        for (key, want) in cases {
            assert_eq!(superfast(key), want, "{key:?}");
        }
        assert_eq!(order_key(b"crc32c", 2048).0, 2692647505 & 2047);
    }
}

//! Fuzzes the index reader: arbitrary bytes as an index file, then every
//! operation, plus cross-checks between `dump` and the lookups.
//!
//! The whole input is the file, so real index files are valid seeds (see
//! `../seed.sh`). Query keys come from the dump itself and from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkm_modindex::Index;

/// How many dumped keys are looked up again: fewer for big inputs (the real
/// index files are up to 1.2 MB), to keep the fuzzer fast.
fn checked_keys(len: usize) -> usize {
    if len <= 64 << 10 {
        64
    } else {
        8
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(idx) = Index::from_bytes(data) else {
        return;
    };
    let _ = idx.layout();

    // Keys from the input: its last bytes, and the bytes after the header.
    let tail = &data[data.len().saturating_sub(24)..];
    let head = &data[12..data.len().min(12 + 48)];
    for key in [tail, head, &b""[..]] {
        let _ = idx.lookup(key);
        let _ = idx.lookup_wild(key);
    }

    // The full dump must terminate; the first keys are looked up again.
    let limit = checked_keys(data.len());
    let mut checked = 0;
    for item in idx.dump() {
        let Ok((key, value)) = item else { break };
        if checked == limit {
            continue;
        }
        checked += 1;
        let exact = idx.lookup(&key);
        let wild = idx.lookup_wild(&key);
        // A query reaches a dumped key along the same path when the key has
        // no NUL (C strings) and no byte >= 0x80 (kmod's signed char quirk).
        if key.iter().all(|&b| b != 0 && b < 0x80) {
            let found = exact.expect("lookup of a dumped key failed");
            assert!(found.is_some(), "dumped key {key:?} not found");
            // Without pattern syntax the key matches itself as a pattern.
            if !key.iter().any(|b| b"*?[\\".contains(b)) {
                if let Ok(values) = wild {
                    assert!(
                        values.contains(&value),
                        "dumped key {key:?} value {value:?} missing from wildcard lookup"
                    );
                }
            }
        }
    }
});

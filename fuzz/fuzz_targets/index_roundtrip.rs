//! Fuzzes the index writer against the reader: the input becomes a list of (key, value, priority)
//! records, which are inserted into an `IndexBuilder` and written in both layouts; the reader must
//! read both back with every key's values in depmod's order, find every key, and report the layout.
//!
//! Input format: records separated by `\n`; in each, the first byte is the priority (0..=255), then
//! key and value separated by the first `\t`. Bytes ≥ 0x80 and NUL are refused by the writer, which
//! is checked too (no partial insert).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkm_modindex::{Index, IndexBuilder, Layout};

fuzz_target!(|data: &[u8]| {
    let mut b = IndexBuilder::new();
    let mut items: Vec<(&[u8], &[u8], u32)> = Vec::new();
    for rec in data.split(|&c| c == b'\n') {
        let Some((&p, rest)) = rec.split_first() else {
            continue;
        };
        let (key, value) = match rest.iter().position(|&c| c == b'\t') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &b""[..]),
        };
        let nodes = b.node_count();
        let bad = |s: &[u8]| s.iter().any(|&c| c == 0 || c >= 0x80);
        match b.insert(key, value, u32::from(p)) {
            Ok(_) => {
                assert!(!bad(key) && !bad(value));
                items.push((key, value, u32::from(p)));
            }
            Err(_) => {
                assert!(bad(key) || bad(value));
                assert_eq!(b.node_count(), nodes);
            }
        }
    }

    // The reader's view: keys sorted, each key's values in ascending priority, ties in insertion order.
    let mut expected: Vec<(&[u8], u32, &[u8])> = items.iter().map(|&(k, v, p)| (k, p, v)).collect();
    expected.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));

    let post = b.write(Layout::PostOrder).unwrap();
    let pre = b.write(Layout::PreOrder).unwrap();
    assert_eq!(post.len(), pre.len());
    assert_eq!(post.len(), b.file_size());
    for (layout, bytes) in [(Layout::PostOrder, &post), (Layout::PreOrder, &pre)] {
        let idx = Index::from_bytes(&bytes[..]).unwrap();
        if b.node_count() > 1 {
            assert_eq!(idx.layout(), layout);
        }
        let mut n = 0;
        for (item, want) in idx.dump().zip(&expected) {
            let (key, v) = item.unwrap();
            assert_eq!((&key[..], v.priority, v.value), *want);
            n += 1;
        }
        assert_eq!(n, expected.len());
        assert_eq!(idx.dump().count(), expected.len());
        for (i, &(key, _, value)) in expected.iter().enumerate() {
            if i > 0 && expected[i - 1].0 == key {
                continue;
            }
            assert_eq!(idx.lookup(key).unwrap(), Some(value));
        }
    }
});

//! Writer tests: kmod's exact bytes for a small index in both layouts, and writer → reader round trips.

use super::*;
use crate::trie::Index;

/// The worked example of the research notes: loop, fat, vfat (vfat depends on fat).
fn three_modules() -> IndexBuilder {
    let mut b = IndexBuilder::new();
    b.insert(b"loop", b"kernel/drivers/block/loop.ko:", 0)
        .unwrap();
    b.insert(b"fat", b"kernel/fs/fat/fat.ko:", 1).unwrap();
    b.insert(b"vfat", b"kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko", 2)
        .unwrap();
    b
}

fn be(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(data[at..at + 4].try_into().unwrap())
}

#[test]
fn kmod34_pre_order_bytes() {
    let out = three_modules().write(Layout::PreOrder).unwrap();
    assert_eq!(out.len(), 213);
    assert_eq!(
        &out[..12],
        &[0xb0, 0x07, 0xf4, 0x57, 0, 2, 0, 1, 0x20, 0, 0, 0x0c]
    );
    // root: first 'f', last 'v', 17 children
    assert_eq!(&out[12..14], b"fv");
    assert_eq!(be(&out, 0x0e), 0xC000_0052);
    assert_eq!(be(&out, 0x26), 0xC000_0073);
    assert_eq!(be(&out, 0x4e), 0xC000_009D);
    assert_eq!(&out[0x52..0x55], b"at\0");
    assert_eq!(&out[0x9d..0xa1], b"fat\0");
    assert_eq!(
        &out[0xa9..],
        b"kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\0"
    );
}

#[test]
fn kmod30_post_order_bytes() {
    let out = three_modules().write(Layout::PostOrder).unwrap();
    assert_eq!(out.len(), 213);
    assert_eq!(be(&out, 8), 0x2000_008F);
    assert_eq!(&out[0x0c..0x0f], b"at\0");
    assert_eq!(&out[0x2d..0x31], b"oop\0");
    assert_eq!(&out[0x57..0x5b], b"fat\0");
    assert_eq!(&out[0x8f..0x91], b"fv");
    assert_eq!(be(&out, 0x91), 0xC000_000C);
    assert_eq!(be(&out, 0x91 + 4 * 6), 0xC000_002D);
    assert_eq!(be(&out, 0x91 + 4 * 16), 0xC000_0057);
    let idx = Index::from_bytes(&out[..]).unwrap();
    assert_eq!(idx.layout(), Layout::PostOrder);
    assert_eq!(
        idx.lookup(b"vfat").unwrap(),
        Some(&b"kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko"[..])
    );
}

#[test]
fn empty_index() {
    let b = IndexBuilder::new();
    for layout in [Layout::PreOrder, Layout::PostOrder] {
        let out = b.write(layout).unwrap();
        assert_eq!(out.len(), 12);
        assert_eq!(be(&out, 8), 12);
        let idx = Index::from_bytes(&out[..]).unwrap();
        assert_eq!(idx.dump().count(), 0);
        assert_eq!(idx.lookup(b"").unwrap(), None);
    }
}

#[test]
fn values_sorted_as_kmod() {
    let mut b = IndexBuilder::new();
    assert!(!b.insert(b"k", b"a", 5).unwrap());
    assert!(!b.insert(b"k", b"b", 1).unwrap());
    assert!(!b.insert(b"k", b"c", 5).unwrap());
    assert!(b.insert(b"k", b"a", 9).unwrap());
    let out = b.write(Layout::PostOrder).unwrap();
    // stored: ascending priority, ties in reverse insertion order
    let stored = &out[12..];
    let expect: &[u8] = b"\0\0\0\x04\0\0\0\x01b\0\0\0\0\x05c\0\0\0\0\x05a\0\0\0\0\x09a\0";
    assert!(
        stored.windows(expect.len()).any(|w| w == expect),
        "{stored:?}"
    );
    let idx = Index::from_bytes(&out[..]).unwrap();
    let dumped: Vec<(u32, Vec<u8>)> = idx
        .dump()
        .map(|r| {
            let (_, v) = r.unwrap();
            (v.priority, v.value.to_vec())
        })
        .collect();
    assert_eq!(
        dumped,
        vec![
            (1, b"b".to_vec()),
            (5, b"a".to_vec()),
            (5, b"c".to_vec()),
            (9, b"a".to_vec())
        ]
    );
    assert_eq!(idx.lookup(b"k").unwrap(), Some(&b"b"[..]));
}

#[test]
fn bad_characters_are_refused() {
    let mut b = IndexBuilder::new();
    let e = b.insert(b"caf\xe9", b"x", 0).unwrap_err();
    assert!(matches!(e, WriteError::BadCharacter { byte: 0xe9, .. }));
    assert!(e.to_string().contains("=0xffffffe9 - only 7-bit ASCII"));
    assert!(b.insert(b"a", b"x\0y", 0).is_err());
    assert_eq!(b.node_count(), 1);
}

/// xorshift64*: deterministic pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A string over a small alphabet, so that keys share prefixes and split nodes often.
    fn string(&mut self, max: u64, alphabet: &[u8]) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize])
            .collect()
    }
}

/// The reader's view of what was inserted: keys sorted bytewise, each key's values in node order
/// (ascending priority, ties in insertion order).
fn model(items: &[(Vec<u8>, Vec<u8>, u32)]) -> Vec<(Vec<u8>, u32, Vec<u8>)> {
    let mut keys: Vec<&Vec<u8>> = items.iter().map(|i| &i.0).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let mut vals: Vec<(u32, Vec<u8>)> = items
            .iter()
            .filter(|i| &i.0 == k)
            .map(|i| (i.2, i.1.clone()))
            .collect();
        vals.sort_by_key(|v| v.0); // stable: ties stay in insertion order
        out.extend(vals.into_iter().map(|(p, v)| (k.clone(), p, v)));
    }
    out
}

pub(crate) fn check_round_trip(items: &[(Vec<u8>, Vec<u8>, u32)]) {
    let mut b = IndexBuilder::new();
    for (k, v, p) in items {
        b.insert(k, v, *p).unwrap();
    }
    let expected = model(items);
    let post = b.write(Layout::PostOrder).unwrap();
    let pre = b.write(Layout::PreOrder).unwrap();
    assert_eq!(post.len(), pre.len());
    assert_eq!(post.len(), b.file_size());
    for (layout, bytes) in [(Layout::PostOrder, &post), (Layout::PreOrder, &pre)] {
        let idx = Index::from_bytes(&bytes[..]).unwrap();
        let got: Vec<(Vec<u8>, u32, Vec<u8>)> = idx
            .dump()
            .map(|r| {
                let (k, v) = r.unwrap();
                (k, v.priority, v.value.to_vec())
            })
            .collect();
        assert_eq!(got, expected, "{layout:?}");
        if b.node_count() > 1 {
            assert_eq!(idx.layout(), layout);
        }
        for (k, _, _) in items {
            // lookup: the first value in node order (lowest priority, first inserted among those).
            let want = expected.iter().find(|e| &e.0 == k).map(|e| &e.2[..]);
            assert_eq!(idx.lookup(k).unwrap(), want);
        }
    }
}

#[test]
fn round_trip_random() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..400 {
        let alphabet: &[u8] = if case % 2 == 0 {
            b"ab"
        } else {
            b"abcxyz_-*?[]:09"
        };
        let n = rng.below(60);
        let items: Vec<(Vec<u8>, Vec<u8>, u32)> = (0..n)
            .map(|_| {
                (
                    rng.string(8, alphabet),
                    rng.string(5, b"uvw"),
                    rng.below(4) as u32,
                )
            })
            .collect();
        check_round_trip(&items);
    }
}

#[test]
fn round_trip_long_keys() {
    // Deep tries: one node per level (no recursion may overflow).
    let mut items = Vec::new();
    for len in (0..8_000).step_by(397) {
        items.push((vec![b'a'; len], b"v".to_vec(), len as u32));
        items.push(([vec![b'a'; len], b"b".to_vec()].concat(), b"w".to_vec(), 0));
    }
    check_round_trip(&items);
    let mut deep = IndexBuilder::new();
    for len in 1..3000 {
        deep.insert(&vec![b'z'; len], b"", 0).unwrap();
    }
    let out = deep.write(Layout::PreOrder).unwrap();
    let idx = Index::from_bytes(&out[..]).unwrap();
    assert_eq!(idx.dump().count(), 2999);
}

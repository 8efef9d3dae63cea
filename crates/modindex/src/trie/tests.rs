//! Unit tests with small hand-built index files.

use super::*;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------
// A tiny index writer (test only), with depmod's insertion semantics.

#[derive(Default, Debug)]
struct TNode {
    prefix: Vec<u8>,
    children: BTreeMap<u8, TNode>,
    /// In stored order.
    values: Vec<(u32, Vec<u8>)>,
}

/// depmod's rule: insert before the first value whose priority is >= ours.
fn add_value(values: &mut Vec<(u32, Vec<u8>)>, priority: u32, value: &[u8]) {
    let pos = values
        .iter()
        .position(|(p, _)| *p >= priority)
        .unwrap_or(values.len());
    values.insert(pos, (priority, value.to_vec()));
}

impl TNode {
    fn insert(&mut self, key: &[u8], value: &[u8], priority: u32) {
        let common = self
            .prefix
            .iter()
            .zip(key)
            .take_while(|(a, b)| a == b)
            .count();
        if common < self.prefix.len() {
            // Split: the tail of the prefix moves into a new child.
            let edge = self.prefix[common];
            let child = TNode {
                prefix: self.prefix[common + 1..].to_vec(),
                children: std::mem::take(&mut self.children),
                values: std::mem::take(&mut self.values),
            };
            self.prefix.truncate(common);
            self.children.insert(edge, child);
        }
        let rest = &key[common..];
        match rest.split_first() {
            None => add_value(&mut self.values, priority, value),
            Some((&ch, tail)) => match self.children.get_mut(&ch) {
                Some(child) => child.insert(tail, value, priority),
                None => {
                    let mut child = TNode {
                        prefix: tail.to_vec(),
                        ..TNode::default()
                    };
                    add_value(&mut child.values, priority, value);
                    self.children.insert(ch, child);
                }
            },
        }
    }

    fn flags(&self) -> u32 {
        let mut f = 0;
        if !self.prefix.is_empty() {
            f |= NODE_PREFIX;
        }
        if !self.children.is_empty() {
            f |= NODE_CHILDS;
        }
        if !self.values.is_empty() {
            f |= NODE_VALUES;
        }
        f
    }

    fn encode(&self, child_words: &BTreeMap<u8, u32>) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.prefix.is_empty() {
            out.extend_from_slice(&self.prefix);
            out.push(0);
        }
        if let (Some((&first, _)), Some((&last, _))) = (
            self.children.first_key_value(),
            self.children.last_key_value(),
        ) {
            out.push(first);
            out.push(last);
            for ch in first..=last {
                let w = child_words.get(&ch).copied().unwrap_or(0);
                out.extend_from_slice(&w.to_be_bytes());
            }
        }
        if !self.values.is_empty() {
            out.extend_from_slice(&(self.values.len() as u32).to_be_bytes());
            for (p, v) in &self.values {
                out.extend_from_slice(&p.to_be_bytes());
                out.extend_from_slice(v);
                out.push(0);
            }
        }
        out
    }

    fn node_len(&self) -> usize {
        let dummy: BTreeMap<u8, u32> = BTreeMap::new();
        self.encode(&dummy).len()
    }

    fn subtree_len(&self) -> usize {
        self.node_len()
            + self
                .children
                .values()
                .map(TNode::subtree_len)
                .sum::<usize>()
    }

    /// kmod >= 34: the node, then its children's subtrees in byte order.
    fn write_pre(&self, out: &mut Vec<u8>) -> u32 {
        let off = out.len();
        let mut next = off + self.node_len();
        let mut words = BTreeMap::new();
        for (&ch, child) in &self.children {
            words.insert(ch, child.flags() | next as u32);
            next += child.subtree_len();
        }
        out.extend(self.encode(&words));
        for child in self.children.values() {
            child.write_pre(out);
        }
        self.flags() | off as u32
    }

    /// kmod <= 33: the children's subtrees, then the node.
    fn write_post(&self, out: &mut Vec<u8>) -> u32 {
        let words: BTreeMap<u8, u32> = self
            .children
            .iter()
            .map(|(&ch, child)| (ch, child.write_post(out)))
            .collect();
        let off = out.len();
        out.extend(self.encode(&words));
        self.flags() | off as u32
    }
}

fn header(root: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&INDEX_MAGIC.to_be_bytes());
    out.extend_from_slice(&INDEX_VERSION.to_be_bytes());
    out.extend_from_slice(&root.to_be_bytes());
    out
}

/// Builds an index from (key, value, priority) insertions, in this order.
fn build(entries: &[(&str, &str, u32)], layout: Layout) -> Vec<u8> {
    let mut root = TNode::default();
    for (k, v, p) in entries {
        root.insert(k.as_bytes(), v.as_bytes(), *p);
    }
    let mut out = header(0);
    let word = match layout {
        Layout::PreOrder => root.write_pre(&mut out),
        Layout::PostOrder => root.write_post(&mut out),
        Layout::Other => unreachable!(),
    };
    out[8..12].copy_from_slice(&word.to_be_bytes());
    out
}

fn both(entries: &[(&str, &str, u32)]) -> [Index<Vec<u8>>; 2] {
    [Layout::PreOrder, Layout::PostOrder].map(|l| {
        let idx = Index::from_bytes(build(entries, l)).unwrap();
        assert_eq!(idx.layout(), l);
        idx
    })
}

fn strs(values: &[Value<'_>]) -> Vec<String> {
    values
        .iter()
        .map(|v| format!("{}:{}", v.priority, String::from_utf8_lossy(v.value)))
        .collect()
}

fn dump_lines<B: AsRef<[u8]>>(idx: &Index<B>) -> Vec<String> {
    idx.dump()
        .map(|r| {
            let (k, v) = r.unwrap();
            format!(
                "{} {}:{}",
                String::from_utf8_lossy(&k),
                v.priority,
                String::from_utf8_lossy(v.value)
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------

const DEP: &[(&str, &str, u32)] = &[
    ("loop", "kernel/drivers/block/loop.ko:", 0),
    ("fat", "kernel/fs/fat/fat.ko:", 1),
    ("vfat", "kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko", 2),
];

/// The builder reproduces kmod's own bytes for the worked example in the
/// research notes (kmod HEAD, pre-order, 213 bytes; kmod 30 root at 0x8f).
#[test]
fn builder_matches_kmod_bytes() {
    let pre = build(DEP, Layout::PreOrder);
    assert_eq!(pre.len(), 213);
    assert_eq!(
        &pre[..16],
        b"\xb0\x07\xf4\x57\x00\x02\x00\x01\x20\x00\x00\x0c\x66\x76\xc0\x00"
    );
    assert_eq!(&pre[0x4e..0x52], &[0xc0, 0, 0, 0x9d]);
    assert_eq!(
        &pre[0x9d..],
        b"fat\0\0\0\0\x01\0\0\0\x02kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\0"
    );
    let post = build(DEP, Layout::PostOrder);
    assert_eq!(post.len(), 213);
    assert_eq!(&post[8..12], &[0x20, 0, 0, 0x8f]);
    assert_eq!(&post[0x0c..0x0f], b"at\0");
}

#[test]
fn exact_lookup() {
    for idx in both(DEP) {
        assert_eq!(
            idx.lookup(b"loop").unwrap(),
            Some(&b"kernel/drivers/block/loop.ko:"[..])
        );
        assert_eq!(
            idx.lookup(b"fat").unwrap(),
            Some(&b"kernel/fs/fat/fat.ko:"[..])
        );
        assert_eq!(
            idx.lookup(b"vfat").unwrap(),
            Some(&b"kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko"[..])
        );
        for miss in [
            &b""[..],
            b"f",
            b"fa",
            b"fatx",
            b"lo",
            b"loops",
            b"vfa",
            b"x",
            b"\x80",
        ] {
            assert_eq!(idx.lookup(miss).unwrap(), None, "{miss:?}");
        }
        // The key ends at NUL, like a C string.
        assert!(idx.lookup(b"fat\0junk").unwrap().is_some());
    }
}

#[test]
fn exact_lookup_prefixes_and_ties() {
    let entries = [
        ("a", "A", 3),
        ("ab", "AB", 1),
        ("abc", "ABC-late", 5),
        ("abc", "ABC-first", 5),
        ("abc", "ABC-low", 4),
        ("abd", "ABD", 0),
        ("b", "B", 0),
    ];
    for idx in both(&entries) {
        assert_eq!(idx.lookup(b"a").unwrap(), Some(&b"A"[..]));
        assert_eq!(idx.lookup(b"ab").unwrap(), Some(&b"AB"[..]));
        assert_eq!(idx.lookup(b"abc").unwrap(), Some(&b"ABC-low"[..]));
        assert_eq!(idx.lookup(b"abd").unwrap(), Some(&b"ABD"[..]));
        assert_eq!(idx.lookup(b"abe").unwrap(), None);
        assert_eq!(idx.lookup(b"b").unwrap(), Some(&b"B"[..]));
    }
    // Equal lowest priorities: depmod stores the later insertion first, the
    // stdio reader puts it back last, so the first insertion wins.
    let entries = [("k", "one", 2), ("k", "two", 2), ("k", "three", 2)];
    for idx in both(&entries) {
        assert_eq!(idx.lookup(b"k").unwrap(), Some(&b"one"[..]));
        assert_eq!(dump_lines(&idx), ["k 2:one", "k 2:two", "k 2:three"]);
    }
}

#[test]
fn dump_order() {
    let entries = [
        ("b", "B", 0),
        ("a", "A2", 9),
        ("a", "A1", 1),
        ("ab", "AB", 0),
        ("a*", "ASTAR", 4),
        ("", "ROOT", 7),
        ("ba", "BA", 3),
    ];
    for idx in both(&entries) {
        assert_eq!(
            dump_lines(&idx),
            [
                " 7:ROOT",
                "a 1:A1",
                "a 9:A2",
                "a* 4:ASTAR",
                "ab 0:AB",
                "b 0:B",
                "ba 3:BA"
            ]
        );
    }
}

const ALIASES: &[(&str, &str, u32)] = &[
    ("usb:v1234p*", "usb_a", 7),
    ("usb:v*p5678*", "usb_b", 7),
    ("usb:v1234p5678", "usb_exact", 7),
    ("usb:v?234p5678", "usb_q", 2),
    ("usb:v[0-9]234p5678", "usb_br", 9),
    ("usb:v1234p567[89]", "usb_br2", 7),
    ("usb:v12*", "usb_12", 1),
    ("usb:*", "usb_any", 8),
    ("*", "everything", 8),
    ("pci:v00008086d*", "e1000", 5),
];

/// Expected order worked out by hand from kmod's walk (see the module docs):
/// matches are found in this order:
///   1. `*` (root wildcard child)                          everything 8
///   2. `usb:*` (wildcard child of "usb:")                 usb_any 8
///   3. `usb:v*p5678*` (wildcard child of "usb:v")         usb_b 7
///   4. `usb:v?234p5678`                                   usb_q 2
///   5. `usb:v[0-9]234p5678`                               usb_br 9
///   6. `usb:v12*` (wildcard child of "usb:v12")           usb_12 1
///   7. `usb:v1234p*` (wildcard child of "usb:v1234p")     usb_a 7
///   8. `usb:v1234p567[89]` (wildcard child "[" of "...567") usb_br2 7
///   9. `usb:v1234p5678` (end of key)                      usb_exact 7
///
/// They are then ordered by priority, later matches first among ties.
#[test]
fn wildcard_order() {
    for idx in both(ALIASES) {
        let got = idx.lookup_wild(b"usb:v1234p5678").unwrap();
        assert_eq!(
            strs(&got),
            [
                "1:usb_12",
                "2:usb_q",
                "7:usb_exact",
                "7:usb_br2",
                "7:usb_a",
                "7:usb_b",
                "8:usb_any",
                "8:everything",
                "9:usb_br",
            ]
        );
        assert_eq!(
            strs(&idx.lookup_wild(b"pci:v00008086d00001572").unwrap()),
            ["5:e1000", "8:everything"]
        );
        assert_eq!(strs(&idx.lookup_wild(b"").unwrap()), ["8:everything"]);
        assert_eq!(
            strs(&idx.lookup_wild(b"usb:vXp").unwrap()),
            ["8:usb_any", "8:everything"]
        );
        // `?` needs one character: `usb:v?234p5678` does not match "usb:v234p5678".
        assert_eq!(
            strs(&idx.lookup_wild(b"usb:v234p5678").unwrap()),
            ["7:usb_b", "8:usb_any", "8:everything"]
        );
    }
}

#[test]
fn wildcard_in_prefix_and_key() {
    // "pci:v*" shares no wildcard child: the `*` sits inside a prefix.
    let entries = [("pci:v*d1234", "one", 3), ("pci:v*d5678", "two", 3)];
    for idx in both(&entries) {
        assert_eq!(strs(&idx.lookup_wild(b"pci:vABCd1234").unwrap()), ["3:one"]);
        assert_eq!(strs(&idx.lookup_wild(b"pci:vABCd5678").unwrap()), ["3:two"]);
        assert!(idx.lookup_wild(b"pci:vABCd9").unwrap().is_empty());
        assert!(idx.lookup_wild(b"pci:").unwrap().is_empty());
        // A wildcard in a prefix ends the descent: the rest is matched by
        // fnmatch, where `*` in the query is an ordinary character.
        assert_eq!(strs(&idx.lookup_wild(b"pci:v*d1234").unwrap()), ["3:one"]);
    }
    let entries = [("a*", "star", 1), ("ab", "ab", 1)];
    for idx in both(&entries) {
        // A query containing `*` reaches the "a*" node twice: as the wildcard
        // child of "a" (pattern "*" matches "*"), then by descending along the
        // literal `*`. kmod reports its value twice.
        assert_eq!(strs(&idx.lookup_wild(b"a*").unwrap()), ["1:star", "1:star"]);
    }
}

#[test]
fn wildcard_prefix_after_wildcard_child() {
    // The walk first searches the `?` child of "a", then meets the `?` inside
    // the prefix "?d" of the 'b' child: that pattern must start afresh.
    let entries = [("a?", "y", 1), ("ab?d", "x", 2)];
    for idx in both(&entries) {
        assert_eq!(strs(&idx.lookup_wild(b"abcd").unwrap()), ["2:x"]);
        assert_eq!(strs(&idx.lookup_wild(b"ab").unwrap()), ["1:y"]);
    }
}

#[test]
fn wildcard_ties_within_a_node() {
    // depmod stores x,y (inserted in that order, same priority) as [y, x]; the
    // stdio reader holds them as [x, y] and inserting those into the result
    // reverses them again.
    let entries = [("a?", "x", 7), ("a?", "y", 7), ("a?", "low", 1)];
    for idx in both(&entries) {
        assert_eq!(
            strs(&idx.lookup_wild(b"ab").unwrap()),
            ["1:low", "7:y", "7:x"]
        );
        assert_eq!(dump_lines(&idx), ["a? 1:low", "a? 7:x", "a? 7:y"]);
    }
}

#[test]
fn bracket_and_question_patterns() {
    let entries = [
        ("dev[a-c]", "abc", 1),
        ("dev[!a-c]", "notabc", 2),
        ("dev?", "any", 3),
        ("dev", "bare", 4),
    ];
    for idx in both(&entries) {
        assert_eq!(strs(&idx.lookup_wild(b"devb").unwrap()), ["1:abc", "3:any"]);
        assert_eq!(
            strs(&idx.lookup_wild(b"devz").unwrap()),
            ["2:notabc", "3:any"]
        );
        assert_eq!(strs(&idx.lookup_wild(b"dev").unwrap()), ["4:bare"]);
        assert!(idx.lookup_wild(b"devbb").unwrap().is_empty());
    }
}

// ---------------------------------------------------------------------------
// Malformed input.

#[test]
fn bad_header() {
    let good = build(DEP, Layout::PreOrder);
    let mut bad = good.clone();
    bad[0] = 0xb1;
    let e = Index::from_bytes(bad).unwrap_err();
    assert!(matches!(e, IndexError::BadMagic { found: 0xb107f457 }));
    assert_eq!(
        e.to_string(),
        "magic check fail: b107f457 instead of b007f457"
    );

    let mut bad = good.clone();
    bad[4..8].copy_from_slice(&0x0003_0001u32.to_be_bytes());
    let e = Index::from_bytes(bad).unwrap_err();
    assert_eq!(e.to_string(), "major version check fail: 3 instead of 2");

    // Any minor version is fine.
    let mut minor = good.clone();
    minor[4..8].copy_from_slice(&0x0002_ffffu32.to_be_bytes());
    assert!(Index::from_bytes(minor).is_ok());

    let e = Index::from_bytes(&good[..11]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "index file truncated: the header needs 12 bytes (file is 11 bytes)"
    );

    // Root past the end.
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&0x2000_1000u32.to_be_bytes());
    let e = Index::from_bytes(bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "index file truncated: node at offset 0x1000 runs past the end (file is 213 bytes)"
    );

    let e = Index::open("/nonexistent/modules.dep.bin").unwrap_err();
    assert!(matches!(e, IndexError::Io { .. }));
    assert!(e.to_string().starts_with("/nonexistent/modules.dep.bin: "));
}

#[test]
fn truncated_at_every_byte() {
    for layout in [Layout::PreOrder, Layout::PostOrder] {
        let full = build(ALIASES, layout);
        for len in 0..full.len() {
            let data = &full[..len];
            let Ok(idx) = Index::from_bytes(data) else {
                continue;
            };
            // Every byte belongs to a node that dump reads in full.
            let results: Vec<_> = idx.dump().collect();
            assert!(
                results.iter().any(Result::is_err),
                "{layout:?} truncated at {len}: dump saw no error"
            );
            assert!(results.last().unwrap().is_err(), "dump stops at the error");
            let _ = idx.lookup(b"usb:v1234p5678");
            let _ = idx.lookup_wild(b"usb:v1234p5678");
            let _ = idx.lookup_wild(b"pci:v00008086d00001572");
            let _ = idx.layout();
        }
    }
}

/// A root (CHILDS at offset 12) with one child slot for `ch` pointing at `target`.
fn self_loop(ch: u8, target: u32) -> Vec<u8> {
    let mut out = header(NODE_CHILDS | 12);
    out.extend_from_slice(&[ch, ch]);
    out.extend_from_slice(&target.to_be_bytes());
    out
}

#[test]
fn child_pointing_to_itself() {
    for ch in [b'a', b'*'] {
        let idx = Index::from_bytes(self_loop(ch, NODE_CHILDS | 12)).unwrap();
        let key = vec![b'a'; 100_000];
        assert_eq!(idx.lookup(&key).unwrap(), None);
        assert_eq!(idx.lookup(b"").unwrap(), None);
        let r = idx.lookup_wild(&key);
        if ch == b'*' {
            assert!(matches!(r, Err(IndexError::NotATree { node: 12 })), "{r:?}");
        } else {
            assert!(r.unwrap().is_empty());
        }
        let d: Vec<_> = idx.dump().collect();
        assert_eq!(d.len(), 1);
        let e = d[0].as_ref().unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad index: node at offset 0xc is reached twice (child offsets loop or share nodes)"
        );
    }
}

#[test]
fn shared_children_are_rejected() {
    // Root with children 'a'..'b' both pointing to one leaf with a value.
    let mut out = header(NODE_CHILDS | 12);
    out.extend_from_slice(b"ab");
    let leaf = NODE_VALUES | 22;
    out.extend_from_slice(&leaf.to_be_bytes());
    out.extend_from_slice(&leaf.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(b"v\0");
    let idx = Index::from_bytes(out).unwrap();
    assert_eq!(idx.lookup(b"a").unwrap(), Some(&b"v"[..]));
    assert_eq!(idx.lookup(b"b").unwrap(), Some(&b"v"[..]));
    let d: Vec<_> = idx.dump().collect();
    assert!(d[0].is_ok());
    assert!(matches!(d[1], Err(IndexError::NotATree { node: 22 })));
}

#[test]
fn exponential_dag_is_rejected_quickly() {
    // 40 levels, each node with 2 child slots pointing at the next level:
    // 2^40 paths if followed naively.
    let mut out = header(NODE_CHILDS | 12);
    for level in 0..40u32 {
        let next = 12 + (level + 1) * 10;
        out.extend_from_slice(b"*+");
        out.extend_from_slice(&(NODE_CHILDS | next).to_be_bytes());
        out.extend_from_slice(&(NODE_CHILDS | next).to_be_bytes());
    }
    out.extend_from_slice(b"**\0\0\0\0");
    let idx = Index::from_bytes(out).unwrap();
    assert!(idx.dump().any(|r| r.is_err()));
    assert!(idx.lookup_wild(b"xyz").is_err());
}

#[test]
fn deep_chain_no_stack_overflow() {
    // 100_000 nodes, each with a single child 'a' (a valid but absurd trie).
    let n = 100_000u32;
    let mut out = header(NODE_CHILDS | 12);
    for i in 0..n {
        let next = if i + 1 < n {
            NODE_CHILDS | (12 + (i + 1) * 6)
        } else {
            0
        };
        out.extend_from_slice(b"aa");
        out.extend_from_slice(&next.to_be_bytes());
    }
    let idx = Index::from_bytes(out).unwrap();
    let r: Vec<_> = idx.dump().collect();
    assert!(
        matches!(r[..], [Err(IndexError::KeyTooLong { .. })]),
        "{r:?}"
    );
    let key = vec![b'a'; 200_000];
    assert_eq!(idx.lookup(&key).unwrap(), None);
    assert!(idx.lookup_wild(&key).unwrap().is_empty());
}

#[test]
fn deep_valid_trie() {
    // A valid deep trie (keys "k", "kk", ... 2000 long) within the key limit
    // dumps fine. The recursive test builder needs a big stack; the reader,
    // which runs on the normal test thread, does not.
    let files = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let entries: Vec<(String, String, u32)> = (1..=2000)
                .map(|i| ("k".repeat(i), format!("v{i}"), i as u32))
                .collect();
            let entries: Vec<(&str, &str, u32)> = entries
                .iter()
                .map(|(k, v, p)| (k.as_str(), v.as_str(), *p))
                .collect();
            [Layout::PreOrder, Layout::PostOrder].map(|l| build(&entries, l))
        })
        .unwrap()
        .join()
        .unwrap();
    for data in files {
        let idx = Index::from_bytes(data).unwrap();
        assert_eq!(idx.dump().count(), 2000);
        assert_eq!(idx.lookup(&[b'k'; 1500]).unwrap(), Some(&b"v1500"[..]));
        assert_eq!(idx.lookup_wild(&[b'k'; 2000]).unwrap().len(), 1);
    }
}

#[test]
fn bad_child_range_and_counts() {
    let mut out = header(NODE_CHILDS | 12);
    out.extend_from_slice(b"ba");
    out.extend_from_slice(&[0; 8]);
    let e = Index::from_bytes(out).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad index node at offset 0xc: first child 0x62 is after last child 0x61"
    );

    // A value count far beyond the file size.
    let mut out = header(NODE_VALUES | 12);
    out.extend_from_slice(&u32::MAX.to_be_bytes());
    out.extend_from_slice(b"\0\0\0\x01x\0");
    let idx = Index::from_bytes(out).unwrap();
    assert!(matches!(
        idx.lookup(b""),
        Err(IndexError::Truncated { node: 12, .. })
    ));
    assert!(idx.dump().any(|r| r.is_err()));

    // Prefix without NUL.
    let mut out = header(NODE_PREFIX | 12);
    out.extend_from_slice(b"abc");
    assert!(matches!(
        Index::from_bytes(out),
        Err(IndexError::Truncated { node: 12, len: 15 })
    ));

    // An empty index (root reference 0) has no keys.
    let idx = Index::from_bytes(header(0)).unwrap();
    assert_eq!(idx.lookup(b"").unwrap(), None);
    assert!(idx.lookup_wild(b"x").unwrap().is_empty());
    assert_eq!(idx.dump().count(), 0);
    assert_eq!(idx.layout(), Layout::Other);
}

#[test]
fn layouts() {
    let mut post = build(DEP, Layout::PostOrder);
    assert_eq!(
        Index::from_bytes(&post[..]).unwrap().layout(),
        Layout::PostOrder
    );
    post.push(0);
    assert_eq!(
        Index::from_bytes(&post[..]).unwrap().layout(),
        Layout::Other
    );
    let mut pre = build(DEP, Layout::PreOrder);
    pre.push(0);
    assert_eq!(
        Index::from_bytes(&pre[..]).unwrap().layout(),
        Layout::PreOrder
    );
}

#[test]
fn high_bytes_in_query_never_select_children() {
    // kmod compares query bytes as signed char: 0x80.. find no child.
    let mut root = TNode::default();
    root.insert(b"a\x90", b"v", 0);
    let mut out = header(0);
    let w = root.write_pre(&mut out);
    out[8..12].copy_from_slice(&w.to_be_bytes());
    let idx = Index::from_bytes(out).unwrap();
    // "a\x90" is stored as 'a' edge + prefix "\x90": the prefix compare works.
    assert_eq!(idx.lookup(b"a\x90").unwrap(), Some(&b"v"[..]));
    let mut root = TNode::default();
    root.insert(b"\x90", b"v", 0);
    root.insert(b"\x91", b"w", 0);
    let mut out = header(0);
    let w = root.write_pre(&mut out);
    out[8..12].copy_from_slice(&w.to_be_bytes());
    let idx = Index::from_bytes(out).unwrap();
    assert_eq!(idx.lookup(b"\x90").unwrap(), None);
    assert_eq!(dump_lines(&idx).len(), 2);
}

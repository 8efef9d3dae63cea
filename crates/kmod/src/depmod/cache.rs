//! `modules.lkm-cache`: what depmod read from each module file, kept between runs (an lkm extension;
//! kmod has no cache).
//!
//! Reading the modules is nearly all of a depmod run (decompression on `.ko.xz` trees), yet after a
//! kernel update or a rebuilt out-of-tree module only a few files changed. The cache maps each module
//! path to the file's identity when it was read — inode, size and modification time in nanoseconds
//! ([`FileStamp`]) — and to everything depmod took from it ([`Scanned`]). A later run takes a
//! module's data from the cache when `stat` gives the same identity, and reads the file otherwise.
//!
//! The cache never decides the output: the data it holds is exactly what reading the file gives.
//! A file that cannot be read whole, has another magic, format version or lkm version, fails its
//! checksum, or has any inconsistency is ignored as if absent (and replaced at the end of the run).
//! Files that failed to parse are not cached, so their errors are reported on every run, as kmod does.
//!
//! A change that keeps inode, size and mtime (an in-place rewrite followed by `touch -r`, say) is not
//! seen; `--no-cache` reads every file.
//!
//! ## Format (version 1; all integers little-endian)
//!
//! ```text
//! header  magic "LKMDEPC\0" (8 bytes) | format u32 (= 1) | tool-version length u32 | tool version
//!         (lkm-kmod's version, UTF-8) | body length u64 | checksum u64 (of the body, see checksum())
//! body    entry count u32, then per entry:
//!           path bytes | inode u64 | size u64 | mtime seconds i64 | mtime nanoseconds u32 (< 10^9)
//!           export count u32, per export:  name bytes | crc u64
//!           info count u32, per record:    kind u8 (1 alias, 0 softdep) | value bytes
//!           needed count u32, per symbol:  name bytes | crc u64 | weak u8 (0 or 1)
//!         memo count u32, then per memo:
//!           output name bytes | inputs fingerprint 16 bytes | output fingerprint 16 bytes
//! bytes   = length u32, then that many bytes
//! ```
//!
//! Paths are unique, output names too; the body ends exactly after the last memo.
//!
//! **Memos** spare rebuilding the largest index files (the tries of `modules.dep.bin`,
//! `modules.alias.bin`, `modules.symbols.bin`): a memo records the fingerprint of everything that
//! determines an output (for `modules.alias.bin`: the layout, and each module's index, name and
//! aliases, in order) and the fingerprint of the bytes built from it. When a later run computes the
//! same inputs fingerprint and the file in the output directory still has the recorded fingerprint,
//! its bytes are the output (written again as kmod writes every file). Fingerprints are 128 bits
//! (two SipHash-1-3 with different keys). Outputs whose building printed a message, and runs with
//! `-w`, use no memo.

use std::collections::HashMap;
use std::path::Path;

use super::scan::{DepSymbol, Scanned};

/// The cache's file name, next to the outputs.
pub const FILE_NAME: &str = "modules.lkm-cache";

const MAGIC: &[u8; 8] = b"LKMDEPC\0";
const FORMAT: u32 = 1;
/// Data read by another lkm version may differ (a fixed reader): such a cache is not used.
const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The identity of one version of a file, from `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub ino: u64,
    pub size: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: u32,
}

impl FileStamp {
    /// The stamp of a file's metadata.
    pub fn of(meta: &std::fs::Metadata) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        FileStamp {
            ino: meta.ino(),
            size: meta.size(),
            mtime_sec: meta.mtime(),
            mtime_nsec: meta.mtime_nsec().clamp(0, 999_999_999) as u32,
        }
    }
}

/// One cached module.
#[derive(Debug, Clone)]
pub struct Entry {
    pub stamp: FileStamp,
    pub data: Scanned,
}

/// One output's memo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memo {
    pub name: Vec<u8>,
    /// Of everything the output is built from.
    pub inputs: [u64; 2],
    /// Of the output's bytes.
    pub output: [u64; 2],
}

/// The cache: module path → entry, and the outputs' memos.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    pub modules: HashMap<Vec<u8>, Entry>,
    pub memos: Vec<Memo>,
}

/// A 128-bit fingerprint built from two SipHash-1-3 with different keys (std's, stable across
/// runs: its keys are fixed for `DefaultHasher::new`).
pub struct Fingerprint(
    std::collections::hash_map::DefaultHasher,
    std::collections::hash_map::DefaultHasher,
);

impl Default for Fingerprint {
    fn default() -> Self {
        use std::hash::Hasher;
        let mut second = std::collections::hash_map::DefaultHasher::new();
        second.write(b"lkm depmod second lane");
        Fingerprint(std::collections::hash_map::DefaultHasher::new(), second)
    }
}

impl Fingerprint {
    /// Adds bytes, length-prefixed so that field boundaries count.
    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.raw(b);
    }
    /// Adds bytes as they are.
    pub fn raw(&mut self, b: &[u8]) {
        use std::hash::Hasher;
        self.0.write(b);
        self.1.write(b);
    }
    pub fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }
    pub fn finish(&self) -> [u64; 2] {
        use std::hash::Hasher;
        [self.0.finish(), self.1.finish()]
    }
    /// The fingerprint of `data`.
    pub fn of(data: &[u8]) -> [u64; 2] {
        let mut f = Fingerprint::default();
        f.raw(data);
        f.finish()
    }
}

/// A 64-bit checksum against torn writes and stray corruption (not against tampering: whoever can
/// write the cache can write the outputs). Eight bytes at a time, multiply-and-rotate.
pub fn checksum(data: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (data.len() as u64) ^ 0x6c6b_6d64_6570_6d6f;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^ (h >> 32)
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, u32::try_from(b.len()).expect("field under 4 GiB"));
    out.extend_from_slice(b);
}

fn count(n: usize) -> u32 {
    u32::try_from(n).expect("count under 2^32")
}

/// The module part of a body for `entries` (path, stamp, data); [`finish_body`] adds the memos.
pub fn encode_modules<'a>(
    entries: impl ExactSizeIterator<Item = (&'a [u8], FileStamp, &'a Scanned)>,
) -> Vec<u8> {
    let mut out = Vec::new();
    put_u32(&mut out, count(entries.len()));
    for (path, st, data) in entries {
        put_bytes(&mut out, path);
        put_u64(&mut out, st.ino);
        put_u64(&mut out, st.size);
        put_u64(&mut out, st.mtime_sec as u64);
        put_u32(&mut out, st.mtime_nsec);
        put_u32(&mut out, count(data.exports.len()));
        for (name, crc) in &data.exports {
            put_bytes(&mut out, name);
            put_u64(&mut out, *crc);
        }
        put_u32(&mut out, count(data.info.len()));
        for (is_alias, value) in &data.info {
            out.push(u8::from(*is_alias));
            put_bytes(&mut out, value);
        }
        put_u32(&mut out, count(data.deps.len()));
        for d in &data.deps {
            put_bytes(&mut out, &d.name);
            put_u64(&mut out, d.crc);
            out.push(u8::from(d.weak));
        }
    }
    out
}

/// Completes a body begun by [`encode_modules`] with `memos`.
pub fn finish_body(mut body: Vec<u8>, memos: &[Memo]) -> Vec<u8> {
    put_u32(&mut body, count(memos.len()));
    for m in memos {
        put_bytes(&mut body, &m.name);
        for v in m.inputs.iter().chain(&m.output) {
            put_u64(&mut body, *v);
        }
    }
    body
}

/// The whole body for `entries` and `memos`.
pub fn encode_body<'a>(
    entries: impl ExactSizeIterator<Item = (&'a [u8], FileStamp, &'a Scanned)>,
    memos: &[Memo],
) -> Vec<u8> {
    finish_body(encode_modules(entries), memos)
}

/// The whole file (header and body) for a body.
pub fn encode_file(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, FORMAT);
    put_bytes(&mut out, TOOL_VERSION.as_bytes());
    put_u64(&mut out, body.len() as u64);
    put_u64(&mut out, checksum(body));
    out.extend_from_slice(body);
    out
}

/// The whole file for `entries` and `memos`.
pub fn encode<'a>(
    entries: impl ExactSizeIterator<Item = (&'a [u8], FileStamp, &'a Scanned)>,
    memos: &[Memo],
) -> Vec<u8> {
    encode_file(&encode_body(entries, memos))
}

/// A bounds-checked reader; every method returns `None` past the end.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.data.len() {
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn flag(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    /// A count of records of at least `min_size` bytes each: `None` if they cannot fit, so that a
    /// corrupt count never makes a huge allocation.
    fn count(&mut self, min_size: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.checked_mul(min_size)? <= self.data.len()).then_some(n)
    }
}

/// Decodes a body; `None` if it is not exactly a valid body.
pub fn decode_body(body: &[u8]) -> Option<Cache> {
    let mut r = Reader { data: body };
    // Smallest entry: path length, stamp (28 bytes), three counts.
    let n = r.count(4 + 28 + 12)?;
    let mut cache = Cache {
        modules: HashMap::with_capacity(n),
        memos: Vec::new(),
    };
    for _ in 0..n {
        let path = r.bytes()?.to_vec();
        let stamp = FileStamp {
            ino: r.u64()?,
            size: r.u64()?,
            mtime_sec: r.u64()? as i64,
            mtime_nsec: r.u32()?,
        };
        if stamp.mtime_nsec > 999_999_999 {
            return None;
        }
        let mut data = Scanned::default();
        let exports = r.count(4 + 8)?;
        data.exports.reserve_exact(exports);
        for _ in 0..exports {
            let name = r.bytes()?.to_vec();
            data.exports.push((name, r.u64()?));
        }
        let info = r.count(1 + 4)?;
        data.info.reserve_exact(info);
        for _ in 0..info {
            let is_alias = r.flag()?;
            data.info.push((is_alias, r.bytes()?.to_vec()));
        }
        let deps = r.count(4 + 8 + 1)?;
        data.deps.reserve_exact(deps);
        for _ in 0..deps {
            let name = r.bytes()?.to_vec();
            let crc = r.u64()?;
            let weak = r.flag()?;
            data.deps.push(DepSymbol { name, crc, weak });
        }
        if cache.modules.insert(path, Entry { stamp, data }).is_some() {
            return None;
        }
    }
    let memos = r.count(4 + 32)?;
    for _ in 0..memos {
        let name = r.bytes()?.to_vec();
        if cache.memos.iter().any(|m| m.name == name) {
            return None;
        }
        let mut v = [0u64; 4];
        for x in &mut v {
            *x = r.u64()?;
        }
        cache.memos.push(Memo {
            name,
            inputs: [v[0], v[1]],
            output: [v[2], v[3]],
        });
    }
    r.data.is_empty().then_some(cache)
}

/// Decodes a whole cache file; `None` unless it is one this version wrote, intact.
pub fn decode(file: &[u8]) -> Option<Cache> {
    let mut r = Reader { data: file };
    if r.take(MAGIC.len())? != MAGIC || r.u32()? != FORMAT || r.bytes()? != TOOL_VERSION.as_bytes()
    {
        return None;
    }
    let len = r.u64()?;
    let sum = r.u64()?;
    if len != r.data.len() as u64 || checksum(r.data) != sum {
        return None;
    }
    decode_body(r.data)
}

/// Reads the cache in `dir`; an empty cache if it is absent or unusable.
pub fn load(dir: &Path) -> Cache {
    std::fs::read(dir.join(FILE_NAME))
        .ok()
        .and_then(|d| decode(&d))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(Vec<u8>, FileStamp, Scanned)> {
        let s = Scanned {
            exports: vec![(b"crc32c".to_vec(), 0x1234_5678)],
            symbols_errno: None,
            info: vec![
                (true, b"crypto-crc32c".to_vec()),
                (false, b"pre: crc32c-intel".to_vec()),
            ],
            deps: vec![
                DepSymbol {
                    name: b"_printk".to_vec(),
                    crc: 0x9abc,
                    weak: false,
                },
                DepSymbol {
                    name: b"maybe".to_vec(),
                    crc: 0,
                    weak: true,
                },
            ],
        };
        let st = FileStamp {
            ino: 42,
            size: 9000,
            mtime_sec: 1_700_000_000,
            mtime_nsec: 123_456_789,
        };
        vec![
            (b"/lib/modules/x/kernel/lib/libcrc32c.ko".to_vec(), st, s),
            (
                b"/lib/modules/x/kernel/a.ko.xz".to_vec(),
                FileStamp { ino: 7, ..st },
                Scanned::default(),
            ),
        ]
    }

    fn memos() -> Vec<Memo> {
        vec![Memo {
            name: b"modules.alias.bin".to_vec(),
            inputs: [1, 2],
            output: [3, 4],
        }]
    }

    fn encode_sample(v: &[(Vec<u8>, FileStamp, Scanned)]) -> Vec<u8> {
        encode(v.iter().map(|(p, st, s)| (&p[..], *st, s)), &memos())
    }

    #[test]
    fn round_trip() {
        let v = sample();
        let c = decode(&encode_sample(&v)).expect("valid cache");
        assert_eq!(c.modules.len(), 2);
        assert_eq!(c.memos, memos());
        for (p, st, s) in &v {
            let e = &c.modules[p];
            assert_eq!(e.stamp, *st);
            assert_eq!(e.data.exports, s.exports);
            assert_eq!(e.data.info, s.info);
            assert_eq!(e.data.deps, s.deps);
        }
    }

    #[test]
    fn every_truncation_and_bit_flip_is_refused() {
        let file = encode_sample(&sample());
        for n in 0..file.len() {
            assert!(decode(&file[..n]).is_none(), "truncated to {n}");
        }
        for i in 0..file.len() {
            for bit in 0..8 {
                let mut f = file.clone();
                f[i] ^= 1 << bit;
                assert!(decode(&f).is_none(), "bit {bit} of byte {i} flipped");
            }
        }
        let mut longer = file.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
    }

    #[test]
    fn duplicate_paths_and_bad_flags_are_refused() {
        let mut v = sample();
        v[1].0 = v[0].0.clone();
        assert!(decode(&encode_sample(&v)).is_none());
        let body = encode_body(sample().iter().map(|(p, st, s)| (&p[..], *st, s)), &[]);
        assert!(decode_body(&body).is_some());
        // The first info record's kind byte: after the count, path, stamp, one export, info count.
        let kind_at = 4 + (4 + sample()[0].0.len()) + 28 + 4 + (4 + 6 + 8) + 4;
        let mut b = body.clone();
        assert_eq!(b[kind_at], 1);
        b[kind_at] = 2;
        assert!(decode_body(&b).is_none());
    }
}

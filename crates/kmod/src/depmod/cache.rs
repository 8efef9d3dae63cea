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
//! **Outputs left as they are.** A run that built and wrote the outputs without printing anything
//! also writes a small state file, `modules.lkm-cache.state` ([`State`]): the fingerprint of
//! everything the outputs depend on besides the modules' data (options, directories, depmod.d, the
//! module files the directory walk found in its order, the contents of `modules.order`,
//! `modules.builtin`, `modules.builtin.modinfo` and the `-E`/`-F` file), every output's stamp, the
//! cache file's identity and stamp, and each module file's path and stamp with, for the files the
//! outputs were built from (not those another file of the same name won over), the [`checksum`] of
//! its data. A later run (same options, no `-v`/`-n`, no module files as arguments) that finds the
//! same fingerprint, the outputs and cache file with those stamps, and every module it uses with the
//! recorded stamp — or read again and giving data with the recorded checksum — would build exactly
//! those outputs: it sets their mtimes to now (as writing them would, for `depmod -A`) and writes
//! only a new state with the modules' new stamps; neither the outputs nor the cache file are
//! rewritten, and the cache file is not even read. That check comes straight after the directory
//! walk, before depmod builds its module list. Anything else (no state, a damaged one, any difference) and
//! the run builds everything as usual, removing the state before it writes the outputs. The stamps
//! a state records replace those of the cache file it names when a later run loads that file (its
//! data is that file's data), so modules found unchanged are not read again.
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
//! The state file has the same header with magic `"LKMDEPS\0"` and format 2, and as body:
//!
//! ```text
//! cache file body length u64 | its checksum u64 | its stamp (28 bytes) | run fingerprint 16 bytes
//! output count u32, per output: name bytes | stamp (28 bytes)
//! module count u32, per module file in walk order:
//!     path bytes | stamp (28 bytes) | used u8 (0 or 1) | checksum of its data u64 (0 if unused)
//! ```
//!
//! A stamp is inode u64 | size u64 | mtime seconds i64 | mtime nanoseconds u32; a module's data is
//! encoded as in a cache entry (after the stamp). A run reads the cache file's module list without
//! decoding the modules' data ([`Index`]), and decodes only the data of the modules it takes.
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

/// The state file's format version.
const STATE_FORMAT: u32 = 2;
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

/// The encoding of one module's data (the part of an entry after its path and stamp). Two runs
/// that took the same data from a module give the same bytes: a re-read module whose bytes equal
/// the cached ones changed nothing that depmod's outputs depend on.
pub fn encode_facts(data: &Scanned) -> Vec<u8> {
    let mut out = Vec::new();
    put_facts(&mut out, data);
    out
}

fn put_facts(out: &mut Vec<u8>, data: &Scanned) {
    put_u32(out, count(data.exports.len()));
    for (name, crc) in &data.exports {
        put_bytes(out, name);
        put_u64(out, *crc);
    }
    put_u32(out, count(data.info.len()));
    for (is_alias, value) in &data.info {
        out.push(u8::from(*is_alias));
        put_bytes(out, value);
    }
    put_u32(out, count(data.deps.len()));
    for d in &data.deps {
        put_bytes(out, &d.name);
        put_u64(out, d.crc);
        out.push(u8::from(d.weak));
    }
}

fn put_stamp(out: &mut Vec<u8>, st: &FileStamp) {
    put_u64(out, st.ino);
    put_u64(out, st.size);
    put_u64(out, st.mtime_sec as u64);
    put_u32(out, st.mtime_nsec);
}

/// The module part of a body for `entries` (path, stamp, data); [`finish_body`] adds the memos.
pub fn encode_modules<'a>(
    entries: impl ExactSizeIterator<Item = (&'a [u8], FileStamp, &'a Scanned)>,
) -> Vec<u8> {
    let mut out = Vec::new();
    put_u32(&mut out, count(entries.len()));
    for (path, st, data) in entries {
        put_bytes(&mut out, path);
        put_stamp(&mut out, &st);
        put_facts(&mut out, data);
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
    encode_file_with(MAGIC, FORMAT, body)
}

fn encode_file_with(magic: &[u8; 8], format: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(magic);
    put_u32(&mut out, format);
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

impl Reader<'_> {
    fn stamp(&mut self) -> Option<FileStamp> {
        let stamp = FileStamp {
            ino: self.u64()?,
            size: self.u64()?,
            mtime_sec: self.u64()? as i64,
            mtime_nsec: self.u32()?,
        };
        (stamp.mtime_nsec <= 999_999_999).then_some(stamp)
    }

    /// One module's data; checked in full, kept only with `out` (so that an index can skip the
    /// data of modules it does not need yet, knowing that decoding it later cannot fail).
    fn facts(&mut self, mut out: Option<&mut Scanned>) -> Option<()> {
        let exports = self.count(4 + 8)?;
        for _ in 0..exports {
            let name = self.bytes()?;
            let crc = self.u64()?;
            if let Some(o) = out.as_deref_mut() {
                o.exports.push((name.to_vec(), crc));
            }
        }
        let info = self.count(1 + 4)?;
        for _ in 0..info {
            let is_alias = self.flag()?;
            let value = self.bytes()?;
            if let Some(o) = out.as_deref_mut() {
                o.info.push((is_alias, value.to_vec()));
            }
        }
        let deps = self.count(4 + 8 + 1)?;
        for _ in 0..deps {
            let name = self.bytes()?;
            let crc = self.u64()?;
            let weak = self.flag()?;
            if let Some(o) = out.as_deref_mut() {
                o.deps.push(DepSymbol {
                    name: name.to_vec(),
                    crc,
                    weak,
                });
            }
        }
        Some(())
    }
}

/// One module of an [`Index`]: its stamp and where its data is.
#[derive(Debug, Clone)]
pub struct Key {
    /// The stamp the data is valid for: the cache file's, or a newer one from the state file.
    pub stamp: FileStamp,
    /// The stamp in the cache file.
    pub cached_stamp: FileStamp,
    /// The data's bytes in the index's buffer (as [`encode_facts`] gives them).
    pub facts: std::ops::Range<usize>,
}

/// A cache file checked and split into its modules without decoding their data: a run takes the
/// data of the modules it needs ([`Index::facts`]).
#[derive(Debug, Default)]
pub struct Index {
    buf: Vec<u8>,
    /// Module path → key; a run takes out the keys of the modules it finds.
    pub keys: HashMap<Vec<u8>, Key>,
    pub memos: Vec<Memo>,
    /// The file's body length and checksum (what a [`State`] names), if a file was loaded.
    pub id: Option<(u64, u64)>,
}

impl Index {
    /// The data of a module, from its key's range.
    pub fn facts(&self, range: &std::ops::Range<usize>) -> Scanned {
        let mut data = Scanned::default();
        let mut r = Reader {
            data: &self.buf[range.clone()],
        };
        r.facts(Some(&mut data))
            .expect("checked when the index was made");
        data
    }

    /// A module's data as bytes (as [`encode_facts`] gives them).
    pub fn facts_bytes(&self, range: &std::ops::Range<usize>) -> &[u8] {
        &self.buf[range.clone()]
    }
}

/// Splits a body at `body_start` of `buf` into keys and memos; `None` if it is not exactly a valid
/// body.
fn index_body(buf: Vec<u8>, body_start: usize) -> Option<Index> {
    let body = &buf[body_start..];
    let mut r = Reader { data: body };
    // Smallest entry: path length, stamp (28 bytes), three counts.
    let n = r.count(4 + 28 + 12)?;
    let mut keys = HashMap::with_capacity(n);
    for _ in 0..n {
        let path = r.bytes()?.to_vec();
        let stamp = r.stamp()?;
        let start = buf.len() - r.data.len();
        r.facts(None)?;
        let key = Key {
            stamp,
            cached_stamp: stamp,
            facts: start..buf.len() - r.data.len(),
        };
        if keys.insert(path, key).is_some() {
            return None;
        }
    }
    let mut memos: Vec<Memo> = Vec::new();
    let n = r.count(4 + 32)?;
    for _ in 0..n {
        let name = r.bytes()?.to_vec();
        if memos.iter().any(|m| m.name == name) {
            return None;
        }
        let mut v = [0u64; 4];
        for x in &mut v {
            *x = r.u64()?;
        }
        memos.push(Memo {
            name,
            inputs: [v[0], v[1]],
            output: [v[2], v[3]],
        });
    }
    if !r.data.is_empty() {
        return None;
    }
    Some(Index {
        buf,
        keys,
        memos,
        id: None,
    })
}

/// Decodes a body; `None` if it is not exactly a valid body.
pub fn decode_body(body: &[u8]) -> Option<Cache> {
    let index = index_body(body.to_vec(), 0)?;
    let modules = index
        .keys
        .iter()
        .map(|(p, k)| {
            let entry = Entry {
                stamp: k.stamp,
                data: index.facts(&k.facts),
            };
            (p.clone(), entry)
        })
        .collect();
    Some(Cache {
        modules,
        memos: index.memos,
    })
}

/// Checks a file's header (magic, format, tool version, length, checksum): the body's offset,
/// length and checksum.
fn check_file(file: &[u8], magic: &[u8; 8], format: u32) -> Option<(usize, u64, u64)> {
    let mut r = Reader { data: file };
    if r.take(magic.len())? != magic || r.u32()? != format || r.bytes()? != TOOL_VERSION.as_bytes()
    {
        return None;
    }
    let len = r.u64()?;
    let sum = r.u64()?;
    if len != r.data.len() as u64 || checksum(r.data) != sum {
        return None;
    }
    Some((file.len() - r.data.len(), len, sum))
}

/// Decodes a whole cache file; `None` unless it is one this version wrote, intact.
pub fn decode(file: &[u8]) -> Option<Cache> {
    decode_body(&file[check_file(file, MAGIC, FORMAT)?.0..])
}

/// Indexes a whole cache file; `None` unless it is one this version wrote, intact.
pub fn index(file: Vec<u8>) -> Option<Index> {
    let (start, len, sum) = check_file(&file, MAGIC, FORMAT)?;
    let mut index = index_body(file, start)?;
    index.id = Some((len, sum));
    Some(index)
}

/// The body length and checksum of a file made by [`encode_file`] (what a [`State`] names).
pub fn file_id(file: &[u8]) -> Option<(u64, u64)> {
    check_file(file, MAGIC, FORMAT).map(|(_, len, sum)| (len, sum))
}

/// Reads the cache in `dir`; an empty index if it is absent or unusable. The stamps of `state`
/// replace the file's when the state was written for this very file (its modules' data is the
/// file's: see [`State::modules`]).
pub fn load(dir: &Path, state: Option<&State>) -> Index {
    let Some(mut index) = std::fs::read(dir.join(FILE_NAME)).ok().and_then(index) else {
        return Index::default();
    };
    if let Some(state) = state.filter(|s| Some(s.cache_id) == index.id) {
        // Only the files the outputs were built from had their data checked.
        for m in state.modules.iter().filter(|m| m.sum.is_some()) {
            if let Some(k) = index.keys.get_mut(&m.path[..]) {
                k.stamp = m.stamp;
            }
        }
    }
    index
}

/// The state file in `dir` as it is on disk (see [`decode_state`]); `None` if it cannot be read.
pub fn read_state(dir: &Path) -> Option<Vec<u8>> {
    std::fs::read(dir.join(STATE_NAME)).ok()
}

/// The state file's name, next to the cache.
pub const STATE_NAME: &str = "modules.lkm-cache.state";

const STATE_MAGIC: &[u8; 8] = b"LKMDEPS\0";

/// What the last run that built the outputs saw, so that a later run which finds exactly that
/// again can leave them as they are, without reading the cache file (see the module
/// documentation). Written after the outputs, only by a run that printed nothing while building and
/// writing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State<'a> {
    /// The cache file it goes with: body length and checksum ([`file_id`]).
    pub cache_id: (u64, u64),
    /// That file's stamp: a run that leaves the outputs checks that the cache file is still the
    /// one the state goes with, so that the next run which needs it finds it.
    pub cache_stamp: FileStamp,
    /// The fingerprint of everything the outputs are built from besides the modules' data.
    pub run: [u64; 2],
    /// Each output file's stamp after it was written.
    pub outputs: Vec<(Vec<u8>, FileStamp)>,
    /// Every module file the directory walk found, in its order.
    pub modules: Vec<StateModule<'a>>,
}

/// One module file of a [`State`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateModule<'a> {
    pub path: std::borrow::Cow<'a, [u8]>,
    /// For a file the outputs were built from, its stamp when it was read, or when a later run
    /// read it again and found the same data; for another, its stamp when the walk found it.
    pub stamp: FileStamp,
    /// For a file the outputs were built from, the [`checksum`] of its data as [`encode_facts`]
    /// gives them (which is the data the cache file holds for that path); `None` for a file
    /// another one of the same name won over.
    pub sum: Option<u64>,
}

/// A whole state file.
pub fn encode_state(s: &State<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    put_u64(&mut body, s.cache_id.0);
    put_u64(&mut body, s.cache_id.1);
    put_stamp(&mut body, &s.cache_stamp);
    put_u64(&mut body, s.run[0]);
    put_u64(&mut body, s.run[1]);
    put_u32(&mut body, count(s.outputs.len()));
    for (name, st) in &s.outputs {
        put_bytes(&mut body, name);
        put_stamp(&mut body, st);
    }
    put_u32(&mut body, count(s.modules.len()));
    for m in &s.modules {
        put_bytes(&mut body, &m.path);
        put_stamp(&mut body, &m.stamp);
        body.push(u8::from(m.sum.is_some()));
        put_u64(&mut body, m.sum.unwrap_or(0));
    }
    encode_file_with(STATE_MAGIC, STATE_FORMAT, &body)
}

/// Decodes a whole state file (paths borrowed from `file`); `None` unless it is one this version
/// wrote, intact, with unique output names.
pub fn decode_state(file: &[u8]) -> Option<State<'_>> {
    let (start, _, _) = check_file(file, STATE_MAGIC, STATE_FORMAT)?;
    let mut r = Reader {
        data: &file[start..],
    };
    let cache_id = (r.u64()?, r.u64()?);
    let cache_stamp = r.stamp()?;
    let run = [r.u64()?, r.u64()?];
    let n = r.count(4 + 28)?;
    let mut outputs: Vec<(Vec<u8>, FileStamp)> = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.bytes()?;
        if outputs.iter().any(|(o, _)| o == name) {
            return None;
        }
        outputs.push((name.to_vec(), r.stamp()?));
    }
    let n = r.count(4 + 28 + 1 + 8)?;
    let mut modules = Vec::with_capacity(n);
    for _ in 0..n {
        let path = r.bytes()?;
        let stamp = r.stamp()?;
        let used = r.flag()?;
        let sum = r.u64()?;
        if !used && sum != 0 {
            return None;
        }
        modules.push(StateModule {
            path: std::borrow::Cow::Borrowed(path),
            stamp,
            sum: used.then_some(sum),
        });
    }
    r.data.is_empty().then_some(State {
        cache_id,
        cache_stamp,
        run,
        outputs,
        modules,
    })
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

    #[test]
    fn state_round_trip_and_damage() {
        let st = sample()[0].1;
        let state = State {
            cache_id: (10, 11),
            cache_stamp: st,
            run: [12, 13],
            outputs: vec![(b"modules.dep".to_vec(), st)],
            modules: vec![
                StateModule {
                    path: b"/a.ko".as_slice().into(),
                    stamp: FileStamp { ino: 9, ..st },
                    sum: Some(77),
                },
                StateModule {
                    path: b"/b/a.ko".as_slice().into(),
                    stamp: st,
                    sum: None,
                },
            ],
        };
        let file = encode_state(&state);
        assert_eq!(decode_state(&file), Some(state.clone()));
        // A cache file is no state file, nor the other way round.
        assert!(decode(&file).is_none());
        assert!(decode_state(&encode_sample(&sample())).is_none());
        for n in 0..file.len() {
            assert!(decode_state(&file[..n]).is_none(), "truncated to {n}");
        }
        for i in 0..file.len() {
            let mut f = file.clone();
            f[i] ^= 0x10;
            assert!(decode_state(&f).is_none(), "byte {i} changed");
        }
        let mut dup = state;
        dup.outputs.push(dup.outputs[0].clone());
        assert!(decode_state(&encode_state(&dup)).is_none());
    }

    #[test]
    fn index_matches_decode() {
        let file = encode_sample(&sample());
        let index = index(file.clone()).expect("valid cache");
        assert_eq!(index.id, file_id(&file));
        for (p, st, s) in &sample() {
            let k = &index.keys[p];
            assert_eq!(k.stamp, *st);
            assert_eq!(index.facts_bytes(&k.facts), &encode_facts(s)[..]);
            assert_eq!(index.facts(&k.facts).deps, s.deps);
        }
    }
}

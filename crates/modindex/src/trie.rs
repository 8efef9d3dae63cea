//! Reader for kmod's index files (`modules.dep.bin`, `modules.alias.bin`,
//! `modules.symbols.bin`, `modules.builtin.bin`, `modules.builtin.alias.bin`).
//!
//! # File format
//!
//! All integers are 32-bit big-endian.
//!
//! ```text
//! offset 0  magic   0xB007F457
//! offset 4  version 0x00020001   (major in the high 16 bits: must be 2; any minor)
//! offset 8  root    node reference
//! ```
//!
//! A *node reference* holds flags in its high nibble (`0x80000000` PREFIX,
//! `0x40000000` VALUES, `0x20000000` CHILDS) and a file offset in the low 28
//! bits; offset 0 means "no node". At the offset, only the fields whose flag is
//! set are present, in this order:
//!
//! * PREFIX: a NUL-terminated string, the characters of the edge after the one
//!   that led to the node (path compression);
//! * CHILDS: a byte `first`, a byte `last`, then `last - first + 1` child
//!   references; the child for byte `c` is entry `c - first` (0 if none);
//! * VALUES: a count, then for each value a priority and a NUL-terminated string.
//!
//! A key is the concatenation, along the path from the root, of each edge byte
//! followed by the prefix of the node it leads to. kmod ≤ 33 writes the nodes
//! post-order (children before their parent, root last); kmod ≥ 34 writes them
//! pre-order (root at offset 12). The reader follows references and does not
//! care; [`Index::layout`] reports which one a file uses.
//!
//! # Semantics: kmod 30's stdio reader
//!
//! kmod has two readers: `index_mm` (a memory map, used by `modprobe` once it
//! has loaded its resources) and the stdio one (`index_file_open`, used by
//! `modinfo` and whenever the indexes are not preloaded). This module
//! reproduces the **stdio reader of kmod 30** (`index_read`, `index_search`,
//! `index_searchwild`, `index_dump`) exactly, while reading zero-copy from a
//! byte slice or a memory map.
//!
//! Order rules, which decide for example the order of modinfo's alias output:
//!
//! 1. kmod keeps value lists sorted with one insertion rule ("`add_value`"): a
//!    new value goes *before the first existing value whose priority is ≥ its
//!    own*. The list is therefore in ascending priority, and values of equal
//!    priority end up in *reverse* insertion order.
//! 2. When the stdio reader reads a node, it inserts the node's values, in file
//!    order, into the node's own list with that rule. A node's values are
//!    therefore seen in ascending priority, ties in reverse file order ("node
//!    order"). depmod wrote ties in reverse insertion order, so this restores
//!    depmod's insertion order.
//! 3. [`Index::lookup`] (exact key, `index_search`) returns the first value in
//!    node order: the lowest priority, and among equal lowest priorities the one
//!    stored last in the file.
//! 4. [`Index::lookup_wild`] (`index_searchwild`) walks the trie as described on
//!    that method and, for every matching node in walk order, inserts that
//!    node's values (in node order) into the result list with rule 1. The
//!    result is in ascending priority; among equal priorities, values from a
//!    node matched later come first, and within one node ties come back in file
//!    order (reversed twice).
//! 5. [`Index::dump`] (`index_dump`) is a pre-order walk: a node's values in
//!    node order, then its children in ascending byte order.
//!
//! kmod's `index_mm` reader differs only for ties of priority *within one node*:
//! it keeps those in file order (so `modprobe -c` lists them in file order, and
//! `index_mm_searchwild` reverses them). depmod gives all values of
//! `modules.{dep,alias,symbols}.bin` the module's index as priority, so such
//! ties only occur there between identical values and the two readers print
//! the same text; in `modules.builtin.alias.bin` (priority 0 everywhere) they
//! can differ.
//!
//! Keys are C strings for kmod: a query key ends at its first NUL byte. kmod
//! compares key bytes as (signed) `char`, so a query byte ≥ 0x80 never selects
//! a child node; this reader does the same. depmod refuses to write such bytes.
//!
//! # Robustness
//!
//! Every offset, count, length and string is bounds-checked, and every problem
//! is an [`IndexError`]: no input makes the reader panic, hang or recurse
//! deeply. Walks use an explicit stack. A walk that reaches the same node twice
//! (child references that loop or share a node: impossible in a trie) fails
//! with [`IndexError::NotATree`], so the work is linear in the file size. Keys
//! built by a walk are limited to [`MAX_KEY_LEN`] bytes. Exact and wildcard
//! descents consume one key byte per level and so cannot loop.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::file::FileData;
use crate::fnmatch::{fnmatch, until_nul};

/// The magic number at offset 0 of every index file ("BOOTFAST").
pub const INDEX_MAGIC: u32 = 0xB007_F457;
/// The major format version this reader understands (high 16 bits of the
/// version word); the minor version is ignored, as kmod does.
pub const INDEX_VERSION_MAJOR: u32 = 2;
/// The version word written by kmod (major 2, minor 1).
pub const INDEX_VERSION: u32 = 0x0002_0001;
/// Longest key (or pattern) that a walk over the trie may build. Real keys are
/// far shorter: depmod normalises aliases into `PATH_MAX` (4096) byte buffers,
/// and module and symbol names are shorter still.
pub const MAX_KEY_LEN: usize = 8192;

const NODE_PREFIX: u32 = 0x8000_0000;
const NODE_VALUES: u32 = 0x4000_0000;
const NODE_CHILDS: u32 = 0x2000_0000;
const NODE_MASK: u32 = 0x0FFF_FFFF;
const HEADER_LEN: usize = 12;

/// One value stored under a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Value<'a> {
    /// The priority: depmod stores the module's position in its module order
    /// (0 for the builtin indexes).
    pub priority: u32,
    /// The value string, without its terminating NUL.
    pub value: &'a [u8],
}

/// The order in which the nodes of a file were written (see [`Index::layout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// The root is at offset 12, right after the header: kmod ≥ 34.
    PreOrder,
    /// The root is the last thing in the file: kmod ≤ 33.
    PostOrder,
    /// Neither: a hand-made or damaged file.
    Other,
}

/// Why an index file could not be read. The `Display` form is one line.
#[derive(Debug)]
#[non_exhaustive]
pub enum IndexError {
    /// The file could not be opened or mapped.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The file is shorter than the 12-byte header.
    TooShort {
        /// The file size.
        len: usize,
    },
    /// The magic number is not [`INDEX_MAGIC`].
    BadMagic {
        /// The magic number found.
        found: u32,
    },
    /// The major version is not [`INDEX_VERSION_MAJOR`].
    BadVersion {
        /// The whole version word found.
        found: u32,
    },
    /// A node (or its prefix, child table or values) extends past the end of
    /// the file, or a node reference points past the end.
    Truncated {
        /// The file offset of the node.
        node: u32,
        /// The file size.
        len: usize,
    },
    /// A node's child table has `first > last`.
    BadChildRange {
        /// The file offset of the node.
        node: u32,
        /// The `first` byte.
        first: u8,
        /// The `last` byte.
        last: u8,
    },
    /// A walk reached the same node twice: child references loop or share nodes.
    NotATree {
        /// The file offset of the node reached twice.
        node: u32,
    },
    /// A walk built a key longer than [`MAX_KEY_LEN`].
    KeyTooLong {
        /// The file offset of the node where the limit was exceeded.
        node: u32,
    },
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            IndexError::TooShort { len } => write!(
                f,
                "index file truncated: the header needs {HEADER_LEN} bytes (file is {len} bytes)"
            ),
            IndexError::BadMagic { found } => {
                write!(f, "magic check fail: {found:x} instead of {INDEX_MAGIC:x}")
            }
            IndexError::BadVersion { found } => write!(
                f,
                "major version check fail: {} instead of {INDEX_VERSION_MAJOR}",
                found >> 16
            ),
            IndexError::Truncated { node, len } => write!(
                f,
                "index file truncated: node at offset {node:#x} runs past the end (file is {len} bytes)"
            ),
            IndexError::BadChildRange { node, first, last } => write!(
                f,
                "bad index node at offset {node:#x}: first child {first:#04x} is after last child {last:#04x}"
            ),
            IndexError::NotATree { node } => write!(
                f,
                "bad index: node at offset {node:#x} is reached twice (child offsets loop or share nodes)"
            ),
            IndexError::KeyTooLong { node } => write!(
                f,
                "bad index: key longer than {MAX_KEY_LEN} bytes at node at offset {node:#x}"
            ),
        }
    }
}

impl std::error::Error for IndexError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IndexError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An index file: the header is checked when it is created, everything else is
/// read on demand, zero-copy, from `B` (a memory map for [`Index::open`]).
#[derive(Debug)]
pub struct Index<B: AsRef<[u8]> = FileData> {
    data: B,
    root: u32,
}

impl Index<FileData> {
    /// Opens and memory-maps the index file at `path` and checks its header
    /// and root node.
    pub fn open<P: AsRef<Path>>(path: P) -> Result<Self, IndexError> {
        let path = path.as_ref();
        let data = FileData::open(path).map_err(|source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Index::from_bytes(data)
    }
}

impl<B: AsRef<[u8]>> Index<B> {
    /// Uses `data` as an index file: checks the magic number, the major
    /// version and that the root node lies within the data.
    pub fn from_bytes(data: B) -> Result<Self, IndexError> {
        let bytes = data.as_ref();
        if bytes.len() < HEADER_LEN {
            return Err(IndexError::TooShort { len: bytes.len() });
        }
        let magic = be32(bytes, 0);
        if magic != INDEX_MAGIC {
            return Err(IndexError::BadMagic { found: magic });
        }
        let version = be32(bytes, 4);
        if version >> 16 != INDEX_VERSION_MAJOR {
            return Err(IndexError::BadVersion { found: version });
        }
        let root = be32(bytes, 8);
        Reader { data: bytes }.node(root)?;
        Ok(Index { data, root })
    }

    /// The whole file.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    fn reader(&self) -> Reader<'_> {
        Reader {
            data: self.data.as_ref(),
        }
    }

    /// Exact lookup of `key`, as kmod's `index_search`: returns the first value
    /// of the node whose key is exactly `key`, in node order (lowest priority;
    /// among equal lowest priorities the one stored last), or `None` if there
    /// is no such key or it has no values.
    ///
    /// Used for `modules.dep.bin` and `modules.builtin.bin`. The key ends at its
    /// first NUL byte, if any.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<&[u8]>, IndexError> {
        self.reader().lookup(until_nul(key))
    }

    /// Wildcard lookup, as kmod's `index_searchwild`: the keys stored in the
    /// index are `fnmatch` patterns (see [`mod@crate::fnmatch`]) and every value
    /// whose key matches `key` is returned, in kmod's order.
    ///
    /// The walk, which fixes that order:
    ///
    /// * Descend from the root along `key`. At each node, compare the node's
    ///   prefix with the key. If the prefix contains `*`, `?` or `[`, the node's
    ///   subtree is searched as below, with the pattern starting at that
    ///   character and the key from the same position, and the walk ends. On a
    ///   mismatch the walk ends.
    /// * After the prefix, the node's children labelled `*`, then `?`, then `[`
    ///   (if present) are each searched as wildcard subtrees, with patterns
    ///   starting with that character, against the rest of the key.
    /// * Then, if the key is used up, the node's own values are added and the
    ///   walk ends; otherwise it continues with the child for the next key byte.
    /// * A wildcard subtree search appends the node's prefix to the pattern,
    ///   searches the children from `first` to `last` recursively (each adding
    ///   its edge byte), and *then* adds the node's own values if the node has
    ///   values and the pattern built so far matches the rest of the key.
    ///
    /// Every time values are added, they are merged as described in the
    /// [module documentation](self): ascending priority, later matches first
    /// among equal priorities. The key ends at its first NUL byte, if any.
    pub fn lookup_wild(&self, key: &[u8]) -> Result<Vec<Value<'_>>, IndexError> {
        self.reader().lookup_wild(until_nul(key))
    }

    /// All keys and values, as kmod's `index_dump` walks them: pre-order, a
    /// node's values (in node order) before its children, children in
    /// ascending byte order, so keys come out sorted bytewise.
    ///
    /// `modprobe -c` prints `alias KEY VALUE` for each item of
    /// `modules.alias.bin` and then `modules.symbols.bin`. The iterator stops
    /// after yielding an error.
    pub fn dump(&self) -> Dump<'_> {
        Dump {
            reader: self.reader(),
            root: self.root,
            started: false,
            done: false,
            stack: Vec::new(),
            key: Vec::new(),
            pending: Vec::new().into_iter(),
            seen: HashSet::new(),
        }
    }

    /// Which writer layout the file has, decided from the root alone:
    /// [`Layout::PreOrder`] if the root node is at offset 12 (right after the
    /// header; an index with a single node also lands here),
    /// [`Layout::PostOrder`] if the root node ends exactly at the end of the
    /// file, else [`Layout::Other`] (also for a missing or unreadable root).
    /// The cost is at most one parse of the root node.
    pub fn layout(&self) -> Layout {
        let off = (self.root & NODE_MASK) as usize;
        if off == 0 {
            return Layout::Other;
        }
        if off == HEADER_LEN {
            return Layout::PreOrder;
        }
        let reader = self.reader();
        match reader.node(self.root) {
            Ok(Some(node)) => match reader.values_end(&node) {
                Ok(end) if end == reader.data.len() => Layout::PostOrder,
                _ => Layout::Other,
            },
            _ => Layout::Other,
        }
    }
}

/// Iterator over all `(key, value)` pairs of an index, from [`Index::dump`].
#[derive(Debug)]
pub struct Dump<'a> {
    reader: Reader<'a>,
    root: u32,
    started: bool,
    done: bool,
    stack: Vec<Frame<'a>>,
    key: Vec<u8>,
    pending: std::vec::IntoIter<Value<'a>>,
    seen: HashSet<u32>,
}

impl<'a> Iterator for Dump<'a> {
    type Item = Result<(Vec<u8>, Value<'a>), IndexError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(v) = self.pending.next() {
                return Some(Ok((self.key.clone(), v)));
            }
            if self.done {
                return None;
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    self.stack.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<'a> Dump<'a> {
    /// Advances the walk by one node entry or exit; `false` when finished.
    fn step(&mut self) -> Result<bool, IndexError> {
        if !self.started {
            self.started = true;
            let Some(root) = self.reader.node(self.root)? else {
                return Ok(false);
            };
            self.key.extend_from_slice(root.prefix);
            self.enter(root, 0)?;
            return Ok(true);
        }
        let Some(top) = self.stack.last_mut() else {
            return Ok(false);
        };
        match top.next_child() {
            Some((ch, word)) => {
                if let Some(child) = self.reader.node(word)? {
                    let base = self.key.len();
                    self.key.push(ch);
                    self.key.extend_from_slice(child.prefix);
                    self.enter(child, base)?;
                }
            }
            None => {
                if let Some(frame) = self.stack.pop() {
                    self.key.truncate(frame.base);
                }
            }
        }
        Ok(true)
    }

    fn enter(&mut self, node: Node<'a>, base: usize) -> Result<(), IndexError> {
        check_walk(&node, self.key.len(), &mut self.seen)?;
        let values = self.reader.values(&node)?;
        self.pending = node_order(values).into_iter();
        self.stack.push(Frame {
            node,
            next: 0,
            base,
        });
        Ok(())
    }
}

/// A node being walked: its next child slot to look at, and the length of the
/// key (or pattern) before the node's edge byte and prefix were appended.
#[derive(Debug, Clone, Copy)]
struct Frame<'a> {
    node: Node<'a>,
    next: usize,
    base: usize,
}

impl Frame<'_> {
    /// The next present child: its edge byte and node reference.
    fn next_child(&mut self) -> Option<(u8, u32)> {
        while self.next < self.node.child_count() {
            let idx = self.next;
            self.next += 1;
            let word = self.node.child_word(idx);
            if word & NODE_MASK != 0 {
                // first + idx <= last <= 255
                return Some(((usize::from(self.node.first) + idx) as u8, word));
            }
        }
        None
    }
}

/// Checks the walk limits when entering `node` with a key of `key_len` bytes.
fn check_walk(node: &Node<'_>, key_len: usize, seen: &mut HashSet<u32>) -> Result<(), IndexError> {
    if key_len > MAX_KEY_LEN {
        return Err(IndexError::KeyTooLong { node: node.off });
    }
    if !seen.insert(node.off) {
        return Err(IndexError::NotATree { node: node.off });
    }
    Ok(())
}

/// The parsed fixed part of a node; values are read on demand.
#[derive(Debug, Clone, Copy)]
struct Node<'a> {
    /// File offset (flags removed).
    off: u32,
    prefix: &'a [u8],
    first: u8,
    /// The raw child table, 4 bytes per child; empty without CHILDS.
    children: &'a [u8],
    /// Where the fixed part ends: the value count is there, with VALUES.
    fixed_end: usize,
    /// Whether the VALUES flag is set.
    has_values: bool,
}

impl Node<'_> {
    fn child_count(&self) -> usize {
        self.children.len() / 4
    }

    fn child_word(&self, idx: usize) -> u32 {
        be32(self.children, idx * 4)
    }

    /// The child reference for edge byte `ch`, 0 if none.
    fn child_word_for(&self, ch: u8) -> u32 {
        match usize::from(ch).checked_sub(usize::from(self.first)) {
            Some(idx) if idx < self.child_count() => self.child_word(idx),
            _ => 0,
        }
    }
}

/// Parsing over the file bytes.
#[derive(Debug, Clone, Copy)]
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn truncated(&self, node: u32) -> IndexError {
        IndexError::Truncated {
            node,
            len: self.data.len(),
        }
    }

    fn u32_at(&self, pos: usize, node: u32) -> Result<u32, IndexError> {
        match pos.checked_add(4) {
            Some(end) if end <= self.data.len() => Ok(be32(self.data, pos)),
            _ => Err(self.truncated(node)),
        }
    }

    /// The NUL-terminated string at `pos`, without the NUL.
    fn str_at(&self, pos: usize, node: u32) -> Result<&'a [u8], IndexError> {
        let rest = self.data.get(pos..).ok_or_else(|| self.truncated(node))?;
        match rest.iter().position(|&b| b == 0) {
            Some(n) => Ok(&rest[..n]),
            None => Err(self.truncated(node)),
        }
    }

    /// Parses the node a reference points to; `None` for offset 0.
    fn node(&self, word: u32) -> Result<Option<Node<'a>>, IndexError> {
        let off = word & NODE_MASK;
        if off == 0 {
            return Ok(None);
        }
        let mut pos = off as usize;
        if pos > self.data.len() {
            return Err(self.truncated(off));
        }
        let mut prefix: &[u8] = &[];
        if word & NODE_PREFIX != 0 {
            prefix = self.str_at(pos, off)?;
            pos += prefix.len() + 1;
        }
        let mut first = 0;
        let mut children: &[u8] = &[];
        if word & NODE_CHILDS != 0 {
            let (f, l) = match self.data.get(pos..pos + 2) {
                Some(&[f, l]) => (f, l),
                _ => return Err(self.truncated(off)),
            };
            if f > l {
                return Err(IndexError::BadChildRange {
                    node: off,
                    first: f,
                    last: l,
                });
            }
            pos += 2;
            let n = (usize::from(l) - usize::from(f) + 1) * 4;
            children = self
                .data
                .get(pos..pos + n)
                .ok_or_else(|| self.truncated(off))?;
            pos += n;
            first = f;
        }
        Ok(Some(Node {
            off,
            prefix,
            first,
            children,
            fixed_end: pos,
            has_values: word & NODE_VALUES != 0,
        }))
    }

    /// The node's values in file order.
    fn values(&self, node: &Node<'a>) -> Result<Vec<Value<'a>>, IndexError> {
        let mut out = Vec::new();
        self.read_values(node, Some(&mut out))?;
        Ok(out)
    }

    /// Where the node ends (after its values, if any).
    fn values_end(&self, node: &Node<'a>) -> Result<usize, IndexError> {
        self.read_values(node, None)
    }

    fn read_values(
        &self,
        node: &Node<'a>,
        mut out: Option<&mut Vec<Value<'a>>>,
    ) -> Result<usize, IndexError> {
        if !node.has_values {
            return Ok(node.fixed_end);
        }
        let mut pos = node.fixed_end;
        let count = self.u32_at(pos, node.off)?;
        pos += 4;
        if let Some(out) = out.as_deref_mut() {
            // Each value takes at least 5 bytes: never reserve more than fits.
            let fits = (self.data.len() - pos.min(self.data.len())) / 5;
            out.reserve((count as usize).min(fits));
        }
        for _ in 0..count {
            let priority = self.u32_at(pos, node.off)?;
            pos += 4;
            let value = self.str_at(pos, node.off)?;
            pos += value.len() + 1;
            if let Some(out) = out.as_deref_mut() {
                out.push(Value { priority, value });
            }
        }
        Ok(pos)
    }

    fn root(&self) -> Result<Option<Node<'a>>, IndexError> {
        self.node(be32(self.data, 8))
    }

    fn lookup(&self, key: &[u8]) -> Result<Option<&'a [u8]>, IndexError> {
        let Some(mut node) = self.root()? else {
            return Ok(None);
        };
        let mut i = 0;
        loop {
            if !key[i..].starts_with(node.prefix) {
                return Ok(None);
            }
            i += node.prefix.len();
            if i == key.len() {
                let values = self.values(&node)?;
                // Node order's first value: the lowest priority, and of equal
                // lowest priorities the one stored last (min_by_key keeps the
                // first minimum of the reversed list).
                return Ok(values
                    .iter()
                    .rev()
                    .min_by_key(|v| v.priority)
                    .map(|v| v.value));
            }
            match self.key_child(&node, key[i])? {
                Some(child) => node = child,
                None => return Ok(None),
            }
            i += 1;
        }
    }

    /// The child for a byte of a query key: kmod passes the key byte as a
    /// signed `char`, so bytes >= 0x80 never find a child.
    fn key_child(&self, node: &Node<'a>, ch: u8) -> Result<Option<Node<'a>>, IndexError> {
        if ch >= 0x80 {
            return Ok(None);
        }
        self.node(node.child_word_for(ch))
    }

    fn lookup_wild(&self, key: &[u8]) -> Result<Vec<Value<'a>>, IndexError> {
        let mut hits = Vec::new();
        let mut pattern = Vec::new();
        let Some(mut node) = self.root()? else {
            return Ok(hits);
        };
        let mut i = 0;
        'descend: loop {
            for (j, &ch) in node.prefix.iter().enumerate() {
                if matches!(ch, b'*' | b'?' | b'[') {
                    // key[i..i + j] matched the prefix so far, so i + j <= len.
                    // The pattern starts at the wildcard (kmod's buffer is empty
                    // here: the edge bytes of earlier nodes are not in it).
                    pattern.clear();
                    self.search_subtree(node, j, &mut pattern, &key[i + j..], &mut hits)?;
                    break 'descend;
                }
                if key.get(i + j) != Some(&ch) {
                    break 'descend;
                }
            }
            i += node.prefix.len();

            for wildcard in [b'*', b'?', b'['] {
                if let Some(child) = self.node(node.child_word_for(wildcard))? {
                    pattern.clear();
                    pattern.push(wildcard);
                    self.search_subtree(child, 0, &mut pattern, &key[i..], &mut hits)?;
                }
            }

            if i == key.len() {
                hits.extend(node_order(self.values(&node)?));
                break;
            }
            match self.key_child(&node, key[i])? {
                Some(child) => node = child,
                None => break,
            }
            i += 1;
        }
        Ok(merge_order(hits))
    }

    /// kmod's `index_searchwild__all`: walks the subtree of `start` (whose
    /// prefix is taken from byte `skip` on), building the pattern, and adds the
    /// values of each node whose pattern matches `subkey` after the node's
    /// children have been searched.
    fn search_subtree(
        &self,
        start: Node<'a>,
        skip: usize,
        pattern: &mut Vec<u8>,
        subkey: &[u8],
        hits: &mut Vec<Value<'a>>,
    ) -> Result<(), IndexError> {
        let mut seen = HashSet::new();
        let base = pattern.len();
        pattern.extend_from_slice(&start.prefix[skip..]);
        check_walk(&start, pattern.len(), &mut seen)?;
        let mut stack = vec![Frame {
            node: start,
            next: 0,
            base,
        }];
        while let Some(top) = stack.last_mut() {
            if let Some((ch, word)) = top.next_child() {
                if let Some(child) = self.node(word)? {
                    let base = pattern.len();
                    pattern.push(ch);
                    pattern.extend_from_slice(child.prefix);
                    check_walk(&child, pattern.len(), &mut seen)?;
                    stack.push(Frame {
                        node: child,
                        next: 0,
                        base,
                    });
                }
                continue;
            }
            let Some(frame) = stack.pop() else { break };
            let values = self.values(&frame.node)?;
            if !values.is_empty() && fnmatch(pattern, subkey) {
                hits.extend(node_order(values));
            }
            pattern.truncate(frame.base);
        }
        Ok(())
    }
}

/// The order in which kmod's stdio reader holds one node's values: inserting
/// them in file order with the `add_value` rule gives ascending priority with
/// ties in reverse file order, i.e. a stable sort of the reversed list.
fn node_order(mut values: Vec<Value<'_>>) -> Vec<Value<'_>> {
    values.reverse();
    values.sort_by_key(|v| v.priority);
    values
}

/// The result of inserting `inserted`, in order, into an empty list with the
/// `add_value` rule: ascending priority, ties in reverse insertion order.
fn merge_order(inserted: Vec<Value<'_>>) -> Vec<Value<'_>> {
    node_order(inserted)
}

/// Big-endian u32 at `pos`; the caller has checked the bounds.
fn be32(data: &[u8], pos: usize) -> u32 {
    u32::from_be_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]])
}

#[cfg(test)]
mod tests;

//! Writer for kmod's index files (`modules.*.bin`), as depmod builds them.
//!
//! The file format is described in [`crate::trie`]. [`IndexBuilder`] reproduces depmod's in-memory
//! trie exactly (`index_insert`: path compression, node splits, and the value-list insertion rule), so
//! that the files it writes compare byte for byte with depmod's:
//!
//! * [`Layout::PostOrder`]: kmod ≤ 33 (Debian 12's kmod 30): children before their parent, in
//!   ascending byte order, the root last; the header's root word points at it.
//! * [`Layout::PreOrder`]: kmod ≥ 34: each node before its children's subtrees (ascending byte
//!   order), the root at offset 12.
//!
//! Both layouts hold the same nodes and have the same size; only the offsets differ.
//!
//! Values: a new value goes before the first existing value whose priority is ≥ its own, so a list is
//! in ascending priority and values of equal priority are stored in reverse insertion order (the
//! reader reverses them back). Keys and values are C strings of 7-bit ASCII: depmod aborts on a byte
//! ≥ 0x80, and this writer refuses one (and a NUL) with [`WriteError::BadCharacter`].
//!
//! The builder keeps its nodes in one vector (no recursion anywhere: neither inserting, writing nor
//! dropping can overflow the stack however long the keys are).

use std::fmt;

use crate::trie::{Layout, INDEX_MAGIC, INDEX_VERSION};

const NODE_PREFIX: u32 = 0x8000_0000;
const NODE_VALUES: u32 = 0x4000_0000;
const NODE_CHILDS: u32 = 0x2000_0000;
/// Offsets are 28 bits wide: a file may not be larger than this.
pub const MAX_INDEX_SIZE: usize = 0x1000_0000;
const HEADER_LEN: usize = 12;

/// Why a key or value cannot be stored, or an index cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// A key or value holds a byte ≥ 0x80 or a NUL: only 7-bit ASCII C strings are supported.
    BadCharacter {
        /// The offending byte.
        byte: u8,
        /// The whole string.
        string: Vec<u8>,
    },
    /// The index would be larger than the 28-bit offsets can address.
    TooLarge {
        /// The size it would have.
        size: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // depmod's wording (a CRIT, which makes it exit).
            WriteError::BadCharacter { byte, string } => write!(
                f,
                "Module index: bad character '{}'=0x{:x} - only 7-bit ASCII is supported:\n{}\n",
                char::from(*byte),
                *byte as i8 as i32 as u32,
                String::from_utf8_lossy(string)
            ),
            WriteError::TooLarge { size } => write!(
                f,
                "Module index: {size} bytes is too large (offsets are limited to {MAX_INDEX_SIZE} bytes)"
            ),
        }
    }
}

impl std::error::Error for WriteError {}

#[derive(Debug, Clone, Default)]
struct Node {
    /// Path compression: the characters after the edge leading here.
    prefix: Vec<u8>,
    /// (priority, value), in file order.
    values: Vec<(u32, Box<[u8]>)>,
    /// (edge byte, node index), sorted by byte.
    children: Vec<(u8, usize)>,
}

impl Node {
    fn child(&self, ch: u8) -> Option<usize> {
        self.children
            .binary_search_by_key(&ch, |c| c.0)
            .ok()
            .map(|i| self.children[i].1)
    }

    /// Bytes this node takes in the file (without its children).
    fn size(&self) -> usize {
        let mut n = 0;
        if !self.prefix.is_empty() {
            n += self.prefix.len() + 1;
        }
        if let (Some(first), Some(last)) = (self.children.first(), self.children.last()) {
            n += 2 + 4 * (usize::from(last.0 - first.0) + 1);
        }
        if !self.values.is_empty() {
            n += 4 + self
                .values
                .iter()
                .map(|(_, v)| 4 + v.len() + 1)
                .sum::<usize>();
        }
        n
    }

    /// Inserts with depmod's `index_add_value` rule; returns whether an equal value was already there.
    fn add_value(&mut self, value: &[u8], priority: u32) -> bool {
        let duplicate = self.values.iter().any(|(_, v)| &**v == value);
        let at = self
            .values
            .iter()
            .position(|(p, _)| *p >= priority)
            .unwrap_or(self.values.len());
        self.values.insert(at, (priority, value.into()));
        duplicate
    }
}

/// An index being built: insert keys and values, then [`write`](IndexBuilder::write) it.
#[derive(Debug, Clone)]
pub struct IndexBuilder {
    nodes: Vec<Node>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self::new()
    }
}

fn check_string(s: &[u8]) -> Result<(), WriteError> {
    match s.iter().find(|&&b| b >= 0x80 || b == 0) {
        Some(&byte) => Err(WriteError::BadCharacter {
            byte,
            string: s.to_vec(),
        }),
        None => Ok(()),
    }
}

impl IndexBuilder {
    /// An empty index (a root node with nothing in it).
    pub fn new() -> Self {
        IndexBuilder {
            nodes: vec![Node::default()],
        }
    }

    /// Adds `value` with `priority` under `key`, as depmod's `index_insert`. Returns whether the key
    /// already held an equal value (depmod's `-w` warns about those); the value is added anyway.
    pub fn insert(&mut self, key: &[u8], value: &[u8], priority: u32) -> Result<bool, WriteError> {
        check_string(key)?;
        check_string(value)?;
        let mut node = 0;
        let mut i = 0;
        loop {
            // Make the node's prefix a prefix of key[i..], splitting the node if it is not.
            let prefix_len = self.nodes[node].prefix.len();
            let mismatch =
                (0..prefix_len).find(|&j| key.get(i + j) != Some(&self.nodes[node].prefix[j]));
            let j = match mismatch {
                Some(j) => {
                    let old = std::mem::take(&mut self.nodes[node]);
                    let ch = old.prefix[j];
                    let child = Node {
                        prefix: old.prefix[j + 1..].to_vec(),
                        values: old.values,
                        children: old.children,
                    };
                    let idx = self.nodes.len();
                    self.nodes.push(child);
                    let mut prefix = old.prefix;
                    prefix.truncate(j);
                    self.nodes[node] = Node {
                        prefix,
                        values: Vec::new(),
                        children: vec![(ch, idx)],
                    };
                    j
                }
                None => prefix_len,
            };
            i += j;
            let Some(&ch) = key.get(i) else {
                return Ok(self.nodes[node].add_value(value, priority));
            };
            match self.nodes[node].child(ch) {
                Some(c) => {
                    node = c;
                    i += 1;
                }
                None => {
                    let idx = self.nodes.len();
                    let mut child = Node {
                        prefix: key[i + 1..].to_vec(),
                        ..Node::default()
                    };
                    child.add_value(value, priority);
                    self.nodes.push(child);
                    let children = &mut self.nodes[node].children;
                    let at = children.partition_point(|c| c.0 < ch);
                    children.insert(at, (ch, idx));
                    return Ok(false);
                }
            }
        }
    }

    /// Number of nodes (the root included).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The size of the file [`write`](IndexBuilder::write) produces.
    pub fn file_size(&self) -> usize {
        HEADER_LEN + self.nodes.iter().map(Node::size).sum::<usize>()
    }

    /// The index file in `layout` ([`Layout::Other`] writes kmod 30's [`Layout::PostOrder`]).
    pub fn write(&self, layout: Layout) -> Result<Vec<u8>, WriteError> {
        let size = self.file_size();
        if size > MAX_INDEX_SIZE {
            return Err(WriteError::TooLarge { size });
        }
        let offsets = match layout {
            Layout::PreOrder => self.pre_order_offsets(),
            Layout::PostOrder | Layout::Other => self.post_order_offsets(),
        };
        let mut out = vec![0u8; size];
        out[0..4].copy_from_slice(&INDEX_MAGIC.to_be_bytes());
        out[4..8].copy_from_slice(&INDEX_VERSION.to_be_bytes());
        out[8..12].copy_from_slice(&self.reference(0, &offsets).to_be_bytes());
        for (idx, node) in self.nodes.iter().enumerate() {
            let mut pos = offsets[idx] as usize;
            let mut put = |bytes: &[u8]| {
                out[pos..pos + bytes.len()].copy_from_slice(bytes);
                pos += bytes.len();
            };
            if !node.prefix.is_empty() {
                put(&node.prefix);
                put(&[0]);
            }
            if let (Some(first), Some(last)) = (node.children.first(), node.children.last()) {
                let (first, last) = (first.0, last.0);
                put(&[first, last]);
                let mut table = vec![0u8; 4 * (usize::from(last - first) + 1)];
                for &(ch, child) in &node.children {
                    let at = 4 * usize::from(ch - first);
                    table[at..at + 4]
                        .copy_from_slice(&self.reference(child, &offsets).to_be_bytes());
                }
                put(&table);
            }
            if !node.values.is_empty() {
                put(&(node.values.len() as u32).to_be_bytes());
                for (priority, value) in &node.values {
                    put(&priority.to_be_bytes());
                    put(value);
                    put(&[0]);
                }
            }
        }
        Ok(out)
    }

    /// A node reference: the node's flags and offset.
    fn reference(&self, idx: usize, offsets: &[u32]) -> u32 {
        let node = &self.nodes[idx];
        let mut word = offsets[idx];
        if !node.prefix.is_empty() {
            word |= NODE_PREFIX;
        }
        if !node.children.is_empty() {
            word |= NODE_CHILDS;
        }
        if !node.values.is_empty() {
            word |= NODE_VALUES;
        }
        word
    }

    /// kmod ≤ 33: children (ascending byte) before the node, root last.
    fn post_order_offsets(&self) -> Vec<u32> {
        let mut offsets = vec![0u32; self.nodes.len()];
        let mut pos = HEADER_LEN;
        // (node, next child to visit)
        let mut stack = vec![(0usize, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (idx, next) = *top;
            if let Some(&(_, child)) = self.nodes[idx].children.get(next) {
                top.1 += 1;
                stack.push((child, 0));
                continue;
            }
            stack.pop();
            offsets[idx] = pos as u32;
            pos += self.nodes[idx].size();
        }
        offsets
    }

    /// kmod ≥ 34: the node, then its children's subtrees (ascending byte), root at offset 12.
    fn pre_order_offsets(&self) -> Vec<u32> {
        let mut offsets = vec![0u32; self.nodes.len()];
        let mut pos = HEADER_LEN;
        let mut stack = vec![0usize];
        while let Some(idx) = stack.pop() {
            offsets[idx] = pos as u32;
            pos += self.nodes[idx].size();
            stack.extend(self.nodes[idx].children.iter().rev().map(|c| c.1));
        }
        offsets
    }
}

#[cfg(test)]
mod tests;

//! The tree of named entries procfs and debugfs keep: each entry is keyed by the handle the module
//! holds (a `struct proc_dir_entry *`, a `struct dentry *`) and names its parent's (0: the root).

use std::collections::HashMap;

use crate::kernel::kernel;

/// What the tree needs of an entry.
pub(crate) trait Named {
    fn name(&self) -> &str;
    fn parent(&self) -> u64;
    fn is_dir(&self) -> bool;
    /// The module that made it.
    fn owner(&self) -> Option<&str>;
}

pub(crate) struct EntryTree<E> {
    pub entries: HashMap<u64, E>,
    /// Where the tree is shown (`/proc`, `/sys/kernel/debug`).
    root: &'static str,
}

impl<E: Named> EntryTree<E> {
    pub fn new(root: &'static str) -> Self {
        EntryTree {
            entries: HashMap::new(),
            root,
        }
    }

    pub fn child(&self, parent: u64, name: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|(_, e)| e.parent() == parent && e.name() == name)
            .map(|(&h, _)| h)
    }

    pub fn children(&self, parent: u64) -> Vec<u64> {
        self.entries
            .iter()
            .filter(|(_, e)| e.parent() == parent)
            .map(|(&h, _)| h)
            .collect()
    }

    /// The names under `parent`, sorted.
    pub fn names(&self, parent: u64) -> Vec<String> {
        let mut v: Vec<String> = self
            .entries
            .values()
            .filter(|e| e.parent() == parent)
            .map(|e| e.name().to_string())
            .collect();
        v.sort();
        v
    }

    /// The handle of `<root>/<rel>` (0 for the root itself).
    pub fn resolve(&self, rel: &str) -> Option<u64> {
        let mut at = 0;
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            if at != 0 && !self.entries.get(&at)?.is_dir() {
                return None;
            }
            at = self.child(at, part)?;
        }
        Some(at)
    }

    /// The entry's path as clients see it.
    pub fn path(&self, mut h: u64) -> String {
        let mut parts = Vec::new();
        while let Some(e) = self.entries.get(&h) {
            parts.push(e.name().to_string());
            h = e.parent();
        }
        parts.reverse();
        format!("{}/{}", self.root, parts.join("/"))
    }

    /// `h` and everything under it.
    pub fn subtree(&self, h: u64) -> Vec<u64> {
        let mut out = vec![h];
        let mut i = 0;
        while i < out.len() {
            out.extend(self.children(out[i]));
            i += 1;
        }
        out
    }

    /// What `module` left at its unload: the entries it made under a parent it did not make, with
    /// their paths, in path order; each reported (`lkm: <m>: <path> still registered at unload:
    /// removed`) for the caller to remove.
    pub fn left_at_unload(&self, module: &str) -> Vec<u64> {
        let owned = |h: u64| {
            self.entries
                .get(&h)
                .is_some_and(|e| e.owner() == Some(module))
        };
        let mut roots: Vec<(String, u64)> = self
            .entries
            .iter()
            .filter(|(&h, e)| owned(h) && !owned(e.parent()))
            .map(|(&h, _)| (self.path(h), h))
            .collect();
        roots.sort();
        let k = kernel();
        for (p, _) in &roots {
            k.printk(
                3,
                &format!("lkm: {module}: {p} still registered at unload: removed"),
            );
        }
        roots.into_iter().map(|(_, h)| h).collect()
    }
}

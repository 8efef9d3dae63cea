//! The writer against kmod 30's own files: every `modules.*.bin` that Debian's depmod wrote for the
//! corpus tree (scripts/corpus.sh) is read, its keys and values inserted again in the order depmod
//! inserted them, and written back in kmod 30's post-order layout: the bytes must be identical. The
//! pre-order layout must hold the same data at the same size. Skips without the corpus (fails under
//! CI).

use std::path::{Path, PathBuf};

use lkm_modindex::{Index, IndexBuilder, Layout};

fn moddir() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = std::env::var_os("LKM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".corpus"));
    let release = std::fs::read_to_string(corpus.join("release")).ok();
    let dir = release.map(|r| corpus.join("root/lib/modules").join(r.trim()));
    match dir {
        Some(d) if d.join("modules.dep.bin").exists() => Some(d),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("the Debian module corpus is missing: run scripts/corpus.sh");
            }
            eprintln!("SKIPPED: no corpus; run scripts/corpus.sh");
            None
        }
    }
}

#[test]
fn rewrites_kmod30_indexes_byte_for_byte() {
    let Some(dir) = moddir() else { return };
    for name in [
        "modules.dep.bin",
        "modules.alias.bin",
        "modules.symbols.bin",
        "modules.builtin.bin",
        "modules.builtin.alias.bin",
    ] {
        let original = std::fs::read(dir.join(name)).unwrap();
        let idx = Index::from_bytes(&original[..]).unwrap();
        assert_eq!(idx.layout(), Layout::PostOrder, "{name}");
        let mut b = IndexBuilder::new();
        // The dump gives each key's values in node order: depmod's insertion order among equal
        // priorities, which is all that matters for the stored order.
        for item in idx.dump() {
            let (key, v) = item.unwrap();
            b.insert(&key, v.value, v.priority).unwrap();
        }
        let post = b.write(Layout::PostOrder).unwrap();
        assert!(post == original, "{name}: post-order rewrite differs");
        let pre = b.write(Layout::PreOrder).unwrap();
        assert_eq!(pre.len(), original.len(), "{name}");
        let pre_idx = Index::from_bytes(&pre[..]).unwrap();
        assert_eq!(pre_idx.layout(), Layout::PreOrder);
        assert!(
            pre_idx
                .dump()
                .map(Result::unwrap)
                .eq(idx.dump().map(Result::unwrap)),
            "{name}: pre-order dump differs"
        );
    }
}

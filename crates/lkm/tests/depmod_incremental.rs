//! lkm's depmod cache (`modules.lkm-cache`, an lkm extension): a run after some modules changed
//! reads only those, and its outputs are byte-identical to a run without the cache and to kmod's
//! depmod on the same tree; a damaged or foreign cache is ignored and rewritten.
//!
//! Works on a private copy of Debian's plain module tree (see `depmod_tree`); how many modules a run
//! read comes from `lkm depmod --stats` ("depmod: read N of M modules (K from modules.lkm-cache)").

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

mod depmod_tree;
mod kmodiff;
use depmod_tree::{assert_outputs_same, corpus, kmod_command, read_outputs, Corpus, CACHE};

struct Tree {
    root: PathBuf,
    moddir: PathBuf,
    release: String,
}

impl Tree {
    /// A private copy of the plain tree named `name`.
    fn new(c: &Corpus, name: &str) -> Tree {
        let root = depmod_tree::copy_tree(c, "root", "depmod_incremental", name);
        Tree {
            moddir: root.join("lib/modules").join(&c.release),
            root,
            release: c.release.clone(),
        }
    }

    /// Runs `lkm depmod --stats -b ROOT REL` plus `extra`; returns (modules read, modules total).
    fn lkm(&self, extra: &[&str]) -> (usize, usize) {
        let o = Command::new(env!("CARGO_BIN_EXE_lkm"))
            .args(["depmod", "--stats", "-b"])
            .arg(&self.root)
            .args(extra)
            .arg(&self.release)
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(0), "lkm depmod failed: {err}");
        let line = err
            .lines()
            .find_map(|l| l.strip_prefix("depmod: read "))
            .unwrap_or_else(|| panic!("no --stats line in {err:?}"));
        let mut words = line.split(' ');
        let read = words.next().unwrap().parse().unwrap();
        assert_eq!(words.next(), Some("of"));
        let total = words.next().unwrap().parse().unwrap();
        (read, total)
    }

    fn kmod(&self) {
        let ok = kmod_command()
            .arg("-b")
            .arg(&self.root)
            .arg(&self.release)
            .env("LC_ALL", "C")
            .status()
            .unwrap()
            .success();
        assert!(ok, "kmod's depmod failed");
    }

    fn outputs(&self) -> Vec<Option<Vec<u8>>> {
        let files = read_outputs(&self.moddir);
        assert!(files.iter().all(Option::is_some), "an output is missing");
        files
    }

    fn cache_path(&self) -> PathBuf {
        self.moddir.join(CACHE)
    }

    fn module(&self, rel: &str) -> PathBuf {
        self.moddir.join("kernel").join(rel)
    }
}

/// The reference for the tree as it is now: lkm without the cache, then kmod; both must agree
/// with `actual`. Leaves the cache file as it was.
fn check_against_full_runs(t: &Tree, what: &str, actual: &[Option<Vec<u8>>], modules: usize) {
    let cache = std::fs::read(t.cache_path()).ok();
    assert_eq!(
        t.lkm(&["--no-cache"]),
        (modules, modules),
        "{what}: --no-cache"
    );
    assert_outputs_same(&format!("{what} (vs --no-cache)"), &t.outputs(), actual);
    assert_eq!(
        std::fs::read(t.cache_path()).ok(),
        cache,
        "{what}: --no-cache touched the cache"
    );
    t.kmod();
    assert_outputs_same(&format!("{what} (vs kmod)"), &t.outputs(), actual);
}

/// Writes `data` to a new file renamed over `path` (the tree's modules are hardlinks into the
/// corpus, which must not change).
fn replace(path: &Path, data: &[u8]) {
    let tmp = path.with_extension("tmp-replace");
    std::fs::write(&tmp, data).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn set_mtime(path: &Path, t: SystemTime) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

#[test]
fn incremental_runs_match_full_runs_and_kmod() {
    let Some(c) = corpus() else { return };
    let t = Tree::new(&c, "plain");
    let n = std::fs::read_to_string(t.moddir.join("modules.order"))
        .unwrap()
        .lines()
        .count();
    assert!(n > 4000);

    // First run: no cache, every module read; the cache is written.
    assert_eq!(t.lkm(&[]), (n, n));
    let full = t.outputs();
    assert!(t.cache_path().is_file(), "the cache was not written");
    // Nothing changed: nothing read, the outputs are the same and the cache is not rewritten.
    let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let cache_ino = ino(&t.cache_path());
    assert_eq!(t.lkm(&[]), (0, n));
    assert_outputs_same("unchanged tree", &full, &t.outputs());
    assert_eq!(
        ino(&t.cache_path()),
        cache_ino,
        "cache rewritten for nothing"
    );

    // One module replaced by another's contents: vfat.ko now exports libcrc32c's symbols and needs
    // what libcrc32c needs (a later module in modules.order takes a symbol over, so the symbol
    // owners, dependency lines and aliases all change).
    let vfat = t.module("fs/fat/vfat.ko");
    replace(&vfat, &std::fs::read(t.module("lib/libcrc32c.ko")).unwrap());
    assert_eq!(t.lkm(&[]), (1, n));
    let changed = t.outputs();
    assert_ne!(changed[0], full[0], "modules.dep should have changed");
    check_against_full_runs(&t, "vfat.ko replaced", &changed, n);
    assert_eq!(t.lkm(&[]), (0, n), "the cache should hold the new vfat.ko");

    // Outputs changed behind lkm's back (the memos of the tries must not trust them): rebuilt.
    std::fs::write(t.moddir.join("modules.alias.bin"), b"junk").unwrap();
    std::fs::remove_file(t.moddir.join("modules.symbols.bin")).unwrap();
    std::fs::write(
        t.moddir.join("modules.dep.bin"),
        full[1].as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(t.lkm(&[]), (0, n));
    assert_outputs_same("outputs changed behind lkm's back", &changed, &t.outputs());

    // Only the modification time changes, forward then backward (same inode, same size): read again.
    let now = SystemTime::now();
    set_mtime(&vfat, now + Duration::from_secs(60));
    assert_eq!(t.lkm(&[]), (1, n));
    assert_outputs_same("vfat.ko touched", &changed, &t.outputs());
    set_mtime(&vfat, now - Duration::from_secs(86400 * 365));
    assert_eq!(t.lkm(&[]), (1, n));
    assert_outputs_same("vfat.ko touched back", &changed, &t.outputs());

    // A module removed, and one added under a new name (a copy of loop.ko in a new directory).
    std::fs::remove_file(t.module("drivers/block/loop.ko")).unwrap();
    assert_eq!(t.lkm(&[]), (0, n - 1));
    let removed = t.outputs();
    assert_ne!(removed[0], changed[0]);
    check_against_full_runs(&t, "loop.ko removed", &removed, n - 1);
    std::fs::create_dir_all(t.module("extra")).unwrap();
    replace(
        &t.module("extra/loop2.ko"),
        &std::fs::read(
            c.dir
                .join("root/lib/modules")
                .join(&c.release)
                .join("kernel/drivers/block/loop.ko"),
        )
        .unwrap(),
    );
    assert_eq!(t.lkm(&[]), (1, n));
    let added = t.outputs();
    check_against_full_runs(&t, "loop2.ko added", &added, n);

    // The same cache used from another output directory (-o): a run there reads everything once.
    let out = t.root.join("out");
    assert_eq!(t.lkm(&["-o", out.to_str().unwrap()]), (n, n));
    assert!(out
        .join("lib/modules")
        .join(&c.release)
        .join(CACHE)
        .exists());
    assert_eq!(t.lkm(&["-o", out.to_str().unwrap()]), (0, n));

    // Module files as arguments: only those, from the cache; the cache is kept as it is.
    let before = std::fs::read(t.cache_path()).unwrap();
    let files: Vec<String> = ["fs/fat/fat.ko", "fs/fat/vfat.ko", "lib/libcrc32c.ko"]
        .iter()
        .map(|f| t.module(f).to_string_lossy().into_owned())
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_lkm"))
        .args(["depmod", "--stats", "-n", "-b"])
        .arg(&t.root)
        .arg(&t.release)
        .args(&files)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("depmod: read 0 of 3 modules (3 from modules.lkm-cache)"),
        "{err}"
    );
    assert_eq!(std::fs::read(t.cache_path()).unwrap(), before);

    // -n writes nothing, the cache included, but uses it.
    let before = std::fs::read(t.cache_path()).unwrap();
    replace(&vfat, &std::fs::read(t.module("fs/fat/fat.ko")).unwrap());
    assert_eq!(t.lkm(&["-n"]), (1, n));
    assert_eq!(
        std::fs::read(t.cache_path()).unwrap(),
        before,
        "-n wrote the cache"
    );
    assert_eq!(t.lkm(&[]), (1, n));
    let last = t.outputs();
    check_against_full_runs(&t, "vfat.ko replaced again", &last, n);
    let _ = std::fs::remove_dir_all(&t.root);
}

/// A damaged, truncated or foreign cache is ignored (every module read, the same outputs) and
/// replaced by a good one.
#[test]
fn damaged_cache_is_ignored_and_rewritten() {
    let Some(c) = corpus() else { return };
    let t = Tree::new(&c, "damaged");
    let (_, n) = t.lkm(&[]);
    let full = t.outputs();
    let good = std::fs::read(t.cache_path()).unwrap();
    assert!(good.len() > 1_000_000, "cache of {} bytes", good.len());

    // A simple deterministic generator for "random" bytes.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x20;
    let mut other_version = good.clone();
    other_version[8] ^= 1; // the format number
    let mut tail_garbage = good.clone();
    tail_garbage.extend_from_slice(b"junk");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated to half", good[..good.len() / 2].to_vec()),
        ("truncated by one byte", good[..good.len() - 1].to_vec()),
        ("header only", good[..40].to_vec()),
        ("random bytes", random(good.len())),
        ("one bit flipped in the middle", flipped),
        ("another format version", other_version),
        ("bytes after the end", tail_garbage),
        (
            "another file",
            std::fs::read(t.moddir.join("modules.dep")).unwrap(),
        ),
    ];
    for (what, data) in cases {
        std::fs::write(t.cache_path(), &data).unwrap();
        assert_eq!(t.lkm(&[]), (n, n), "{what}: the cache should be ignored");
        assert_outputs_same(what, &full, &t.outputs());
        assert_eq!(t.lkm(&[]), (0, n), "{what}: the cache should be rewritten");
    }
    // A directory where the cache should be: ignored; the outputs are still written.
    std::fs::remove_file(t.cache_path()).unwrap();
    std::fs::create_dir(t.cache_path()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lkm"))
        .args(["depmod", "-b"])
        .arg(&t.root)
        .arg(&t.release)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "a cache that cannot be written is no failure"
    );
    assert_outputs_same("cache is a directory", &full, &t.outputs());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(CACHE),
        "expected a message about the cache: {:?}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&t.root);
}

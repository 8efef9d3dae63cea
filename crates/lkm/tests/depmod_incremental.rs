//! lkm's depmod cache (`modules.lkm-cache`, an lkm extension): a run after some modules changed
//! reads only those, and its outputs are byte-identical to a run without the cache and to kmod's
//! depmod on the same tree; a damaged or foreign cache is ignored and rewritten.
//!
//! When nothing the outputs depend on changed (only modification times, say), a run leaves the
//! outputs as the last run wrote them ("(outputs unchanged)" at the end of the `--stats` line);
//! any change to a module's data, the module set, the kbuild inputs, depmod.d, the options or the
//! outputs themselves makes it build them again.
//!
//! Works on a private copy of Debian's plain module tree (see `depmod_tree`); how many modules a run
//! read comes from `lkm depmod --stats` ("depmod: read N of M modules (K from modules.lkm-cache)").

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

mod depmod_tree;
mod kmodiff;
use depmod_tree::{
    assert_outputs_same, corpus, kmod_command, read_outputs, Corpus, CACHE, CACHE_STATE,
};

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
        let (read, total, _) = self.lkm_fast(extra);
        (read, total)
    }

    /// As [`Tree::lkm`], and whether the run left the outputs as they were ("(outputs
    /// unchanged)").
    fn lkm_fast(&self, extra: &[&str]) -> (usize, usize, bool) {
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
        (read, total, line.ends_with(" (outputs unchanged)"))
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

/// The outputs a run without the cache gives for the tree as it is now, with `extra` options:
/// written under `-o ROOT/reference`, so that the tree's own outputs and cache stay as they are.
fn reference(t: &Tree, extra: &[&str]) -> Vec<Option<Vec<u8>>> {
    let out = t.root.join("reference");
    let _ = std::fs::remove_dir_all(&out);
    let mut args = vec!["--no-cache", "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (read, total) = t.lkm(&args);
    assert_eq!(read, total);
    let files = read_outputs(&out.join("lib/modules").join(&t.release));
    std::fs::remove_dir_all(&out).unwrap();
    files
}

#[test]
fn unchanged_outputs_are_left_as_they_are() {
    let Some(c) = corpus() else { return };
    let t = Tree::new(&c, "fast");
    let vfat = t.module("fs/fat/vfat.ko");
    let fat = t.module("fs/fat/fat.ko");
    // Files of their own (the others are hardlinks into the corpus), for their mtimes to change.
    for p in [&vfat, &fat] {
        replace(p, &std::fs::read(p).unwrap());
    }
    let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();

    // No cache yet: everything built. Then nothing changed: nothing read, nothing built.
    let (n, _, fast) = t.lkm_fast(&[]);
    assert!(!fast, "a first run cannot leave outputs");
    assert!(t.moddir.join(CACHE_STATE).is_file(), "no state written");
    let full = t.outputs();
    assert_eq!(t.lkm_fast(&[]), (0, n, true));
    assert_outputs_same("nothing changed", &full, &t.outputs());

    // Touched modules: read again, found unchanged; the outputs stay (their inodes too), the
    // cache file is not rewritten, and the next run knows the new mtimes without reading.
    let (dep_ino, cache_ino) = (ino(&t.moddir.join("modules.dep")), ino(&t.cache_path()));
    let before = SystemTime::now();
    set_mtime(&vfat, before);
    set_mtime(&fat, before);
    assert_eq!(t.lkm_fast(&[]), (2, n, true));
    assert_outputs_same("two modules touched", &full, &t.outputs());
    assert_eq!(ino(&t.moddir.join("modules.dep")), dep_ino);
    assert_eq!(ino(&t.cache_path()), cache_ino, "cache rewritten");
    // As if written now: `depmod -A` finds no module newer than modules.dep.
    assert!(mtime(&t.moddir.join("modules.dep")) >= before);
    assert_eq!(t.lkm_fast(&[]), (0, n, true), "new mtimes not recorded");
    set_mtime(&vfat, SystemTime::now());
    assert_eq!(t.lkm_fast(&[]), (1, n, true));
    assert_outputs_same("touched", &reference(&t, &[]), &full);

    // A module whose data changed: built again, correctly; then left again.
    let fat_data = std::fs::read(&fat).unwrap();
    replace(&fat, &std::fs::read(t.module("lib/libcrc32c.ko")).unwrap());
    assert_eq!(t.lkm_fast(&[]), (1, n, false));
    let changed = t.outputs();
    assert_ne!(changed[0], full[0]);
    assert_outputs_same("fat.ko replaced", &reference(&t, &[]), &changed);
    assert_eq!(t.lkm_fast(&[]), (0, n, true));
    // Back to what it was (a new inode and mtime, the old data): the outputs are built again.
    replace(&fat, &fat_data);
    assert_eq!(t.lkm_fast(&[]), (1, n, false));
    assert_outputs_same("fat.ko restored", &full, &t.outputs());

    // A module removed, then added back under another directory.
    let loop_ko = t.module("drivers/block/loop.ko");
    let loop_data = std::fs::read(&loop_ko).unwrap();
    std::fs::remove_file(&loop_ko).unwrap();
    assert_eq!(t.lkm_fast(&[]), (0, n - 1, false));
    assert_outputs_same("loop.ko removed", &reference(&t, &[]), &t.outputs());
    std::fs::create_dir_all(t.module("extra")).unwrap();
    replace(&t.module("extra/loop.ko"), &loop_data);
    assert_eq!(t.lkm_fast(&[]), (1, n, false));
    assert_outputs_same("loop.ko moved", &reference(&t, &[]), &t.outputs());
    assert_eq!(t.lkm_fast(&[]), (0, n, true));

    // The kbuild inputs: modules.order (two lines swapped), modules.builtin, modules.builtin.modinfo.
    let order_path = t.moddir.join("modules.order");
    let order = std::fs::read_to_string(&order_path).unwrap();
    let mut lines: Vec<&str> = order.lines().collect();
    lines.swap(0, 1);
    std::fs::write(&order_path, lines.join("\n") + "\n").unwrap();
    assert_eq!(t.lkm_fast(&[]), (0, n, false));
    assert_outputs_same("modules.order changed", &reference(&t, &[]), &t.outputs());
    assert_eq!(t.lkm_fast(&[]), (0, n, true));
    for (input, extra) in [
        ("modules.builtin", &b"kernel/fs/lkmfake.ko\n"[..]),
        ("modules.builtin.modinfo", b"lkmfake.alias=fs-lkmfake\0"),
    ] {
        let path = t.moddir.join(input);
        let mut data = std::fs::read(&path).unwrap();
        data.extend_from_slice(extra);
        std::fs::write(&path, data).unwrap();
        assert_eq!(t.lkm_fast(&[]), (0, n, false), "{input} changed");
        let built = t.outputs();
        assert_outputs_same(input, &reference(&t, &[]), &built);
        assert_eq!(t.lkm_fast(&[]), (0, n, true));
    }

    // depmod.d (-C): a file that changes nothing leaves the outputs; one that excludes a
    // directory does not.
    let conf = t.root.join("depmod.d");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("a.conf"), "# nothing\n").unwrap();
    let c_args = ["-C", conf.to_str().unwrap()];
    assert_eq!(t.lkm_fast(&c_args), (0, n, true));
    std::fs::write(conf.join("a.conf"), "exclude extra\n").unwrap();
    assert_eq!(t.lkm_fast(&c_args), (0, n - 1, false));
    assert_outputs_same("depmod.d changed", &reference(&t, &c_args), &t.outputs());
    assert_eq!(t.lkm_fast(&c_args), (0, n - 1, true));
    // (The cache lost extra/loop.ko with that run: read again.)
    assert_eq!(t.lkm_fast(&[]), (1, n, false), "without -C");

    // Two files of one name, depmod.d's override picking one: the other changing leaves the
    // outputs; the override turning to it builds them again.
    let dup = t.module("extra2/vfat.ko");
    std::fs::create_dir_all(dup.parent().unwrap()).unwrap();
    replace(&dup, &std::fs::read(t.module("lib/libcrc32c.ko")).unwrap());
    std::fs::write(conf.join("a.conf"), "override vfat * kernel/fs/fat\n").unwrap();
    assert_eq!(t.lkm_fast(&c_args), (0, n, false), "a second vfat.ko");
    let with_dup = t.outputs();
    assert_outputs_same("a second vfat.ko", &reference(&t, &c_args), &with_dup);
    assert_eq!(t.lkm_fast(&c_args), (0, n, true));
    replace(&dup, &loop_data);
    assert_eq!(
        t.lkm_fast(&c_args),
        (0, n, true),
        "the unused vfat.ko changed"
    );
    std::fs::write(conf.join("a.conf"), "override vfat * kernel/extra2\n").unwrap();
    assert_eq!(t.lkm_fast(&c_args), (1, n, false), "the override turned");
    let turned = t.outputs();
    assert_ne!(turned[0], with_dup[0], "extra2/vfat.ko not used");
    assert_outputs_same("the override turned", &reference(&t, &c_args), &turned);
    std::fs::remove_dir_all(dup.parent().unwrap()).unwrap();
    assert_eq!(t.lkm_fast(&[]), (1, n, false), "the second vfat.ko removed");

    // Options: each different option builds again (and the same one again leaves the outputs).
    let symvers = t.root.join("Module.symvers");
    std::fs::write(&symvers, "0x00000001\tlkm_fake\tvmlinux\tEXPORT_SYMBOL\t\n").unwrap();
    let out = t.root.join("out");
    let options: Vec<Vec<&str>> = vec![
        vec!["-E", symvers.to_str().unwrap()],
        vec!["-P", "_"],
        vec!["-o", out.to_str().unwrap()],
        vec![],
    ];
    for opts in &options {
        let (_, _, fast) = t.lkm_fast(opts);
        assert!(!fast, "{opts:?} after other options");
        assert!(t.lkm_fast(opts).2, "{opts:?} twice");
    }
    std::fs::write(&symvers, "0x00000002\tlkm_fake\tvmlinux\tEXPORT_SYMBOL\t\n").unwrap();
    assert!(!t.lkm_fast(&options[0]).2, "Module.symvers changed");
    // -w (warnings about duplicates) is an option of its own.
    assert!(!t.lkm_fast(&["-w"]).2);
    assert_eq!(t.lkm_fast(&[]), (0, n, false), "after -w");
    // Runs that write the outputs another way (without the cache, or given module files) leave
    // nothing that the next run could trust.
    t.lkm(&["--no-cache"]);
    assert_eq!(t.lkm_fast(&[]), (0, n, false), "after --no-cache");
    let last = t.outputs();
    assert_outputs_same("options", &reference(&t, &[]), &last);

    // Outputs changed behind lkm's back: built again.
    std::fs::write(t.moddir.join("modules.alias"), b"junk").unwrap();
    assert_eq!(t.lkm_fast(&[]), (0, n, false), "an output modified");
    assert_outputs_same("modules.alias modified", &last, &t.outputs());
    std::fs::remove_file(t.moddir.join("modules.devname")).unwrap();
    assert_eq!(t.lkm_fast(&[]), (0, n, false), "an output removed");
    assert_outputs_same("modules.devname removed", &last, &t.outputs());
    let alias_bin = t.moddir.join("modules.alias.bin");
    replace(&alias_bin, &std::fs::read(&alias_bin).unwrap());
    assert_eq!(t.lkm_fast(&[]), (0, n, false), "an output replaced");
    assert_eq!(t.lkm_fast(&[]), (0, n, true));

    // A damaged or foreign state file is ignored.
    let state = t.moddir.join(CACHE_STATE);
    let mut data = std::fs::read(&state).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 1;
    std::fs::write(&state, &data).unwrap();
    assert_eq!(t.lkm_fast(&[]), (0, n, false), "a damaged state");
    assert_outputs_same("damaged state", &last, &t.outputs());
    let _ = std::fs::remove_dir_all(&t.root);
}

//! Differential tests: `lkm depmod` against kmod 30's `depmod` (Debian 12) on Debian's whole module
//! tree, plain, `.ko.xz` and `.ko.zst`. Every output file must be byte-identical (the `.bin` files in
//! kmod 30's post-order layout), and so must stdout, stderr and the exit status.
//!
//! Each test works on its own copy of `lib/modules/<release>` (modules hardlinked, the kbuild inputs
//! `modules.order`, `modules.builtin`, `modules.builtin.modinfo` copied) under Cargo's test scratch
//! directory; the corpus itself is never written. kmod and lkm run one after the other on the same
//! copy (so that paths in messages agree), each starting from a tree without outputs.
//!
//! The corpus comes from `scripts/corpus.sh`. Without it or without kmod the tests skip with a
//! message, except under CI, where they fail.

use std::path::Path;
use std::process::Command;

mod kmodiff;
use kmodiff::assert_same;
mod common;
mod depmod_tree;
use depmod_tree::{
    assert_outputs_same, corpus, kmod_command, read_outputs, Corpus, CACHE, CACHE_STATE, INPUTS,
    OUTPUTS,
};

fn copy_tree(c: &Corpus, tree: &str, name: &str) -> std::path::PathBuf {
    depmod_tree::copy_tree(c, tree, "depmod_vs_kmod", name)
}

struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
    /// The output files (None: absent), in `OUTPUTS` order.
    files: Vec<Option<Vec<u8>>>,
}

/// No outputs and no lkm cache: each run reads every module.
fn clean(moddir: &Path) {
    for f in OUTPUTS.iter().chain(&[CACHE, CACHE_STATE]) {
        let _ = std::fs::remove_file(moddir.join(f));
    }
}

fn run_tool(kmod: bool, root: &Path, moddir: &Path, args: &[String]) -> Run {
    clean(moddir);
    let mut cmd = if kmod {
        kmod_command()
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lkm"));
        c.arg("depmod");
        c
    };
    let o = cmd
        .arg("-b")
        .arg(root)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let files = read_outputs(moddir);
    // No temporary files may be left behind (lkm's cache is its one extra file).
    for e in std::fs::read_dir(moddir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            e.file_type().unwrap().is_dir()
                || OUTPUTS.contains(&name.as_str())
                || INPUTS.contains(&name.as_str())
                || (!kmod && (name == CACHE || name == CACHE_STATE)),
            "stray file {name} in {}",
            moddir.display()
        );
    }
    Run {
        stdout: o.stdout,
        stderr: o.stderr,
        code: o.status.code(),
        files,
    }
}

/// Runs kmod then lkm on the same tree with `args`; everything must agree. Returns kmod's run.
fn compare(what: &str, root: &Path, moddir: &Path, args: &[String]) -> Run {
    let k = run_tool(true, root, moddir, args);
    let l = run_tool(false, root, moddir, args);
    assert_same(&format!("{what}: stdout"), &k.stdout, &l.stdout);
    assert_same(&format!("{what}: stderr"), &k.stderr, &l.stderr);
    assert_eq!(k.code, l.code, "{what}: exit status");
    assert_outputs_same(what, &k.files, &l.files);
    k
}

fn whole_tree(tree: &str) {
    let Some(c) = corpus() else { return };
    let root = copy_tree(&c, tree, tree);
    let moddir = root.join("lib/modules").join(&c.release);
    let k = compare(tree, &root, &moddir, std::slice::from_ref(&c.release));
    assert_eq!(k.code, Some(0));
    assert!(k.files.iter().all(Option::is_some));
    let dep = String::from_utf8_lossy(k.files[0].as_ref().unwrap()).into_owned();
    assert!(
        dep.lines().count() > 4000,
        "{tree}: {} modules.dep lines",
        dep.lines().count()
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn plain_tree() {
    whole_tree("root");
}

#[test]
fn xz_tree() {
    whole_tree("root-xz");
}

#[test]
fn zst_tree() {
    whole_tree("root-zst");
}

/// `-n`, `-v`, `-w`, `-e` with `-F` (Debian's placeholder System.map: every kernel symbol is
/// unknown) and with `-E` (a Module.symvers with wrong CRCs, foreign and 3-field lines; not a bad CRC,
/// whose message ends in whatever `errno` kmod had left: `%m`), `-A`, the
/// version check, unknown options, module files on the command line, a missing modules.order.
#[test]
fn options_on_the_plain_tree() {
    let Some(c) = corpus() else { return };
    let root = copy_tree(&c, "root", "options");
    let moddir = root.join("lib/modules").join(&c.release);
    let rel = c.release.clone();
    let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let k = compare("-n", &root, &moddir, &a(&["-n", &rel]));
    assert!(k.files.iter().all(Option::is_none), "-n wrote files");
    assert!(k.stdout.len() > 2_000_000);
    compare(
        "--show -a -w -v",
        &root,
        &moddir,
        &a(&["--show", "-a", "-w", "-v", &rel]),
    );

    let map = c.dir.join("extract/boot").join(format!("System.map-{rel}"));
    if map.exists() {
        let k = compare(
            "-e -F System.map",
            &root,
            &moddir,
            &a(&["-e", "-F", &map.to_string_lossy(), &rel]),
        );
        assert!(k.stderr.len() > 100_000, "expected unknown-symbol warnings");
    }
    let symvers = root.join("Module.symvers");
    std::fs::write(
        &symvers,
        "0x00000000\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n\
         0x12345678\tkmalloc_caches\tvmlinux\tEXPORT_SYMBOL\t\n\
         0xdeadbeef\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t\n\
         0x11111111\tcrc32c\tlib/libcrc32c\tEXPORT_SYMBOL\t\n\
         0x2222\tthree_fields\tvmlinux\n",
    )
    .unwrap();
    let k = compare(
        "-e -E Module.symvers",
        &root,
        &moddir,
        &a(&["-e", "-E", &symvers.to_string_lossy(), &rel]),
    );
    assert!(String::from_utf8_lossy(&k.stderr).contains("disagrees about version of symbol"));
    compare("-e without -E/-F", &root, &moddir, &a(&["-e", "-n", &rel]));
    compare(
        "-E missing",
        &root,
        &moddir,
        &a(&["-E", "/nonexistent/Module.symvers", &rel]),
    );

    // Bad usage.
    compare("bad version", &root, &moddir, &a(&["not-a-version"]));
    compare("unknown option", &root, &moddir, &a(&["-Z", &rel]));
    compare(
        "unknown long option",
        &root,
        &moddir,
        &a(&["--frobnicate", &rel]),
    );
    compare("missing argument", &root, &moddir, &a(&[&rel, "-E"]));
    compare("-P too long", &root, &moddir, &a(&["-P", "ab", &rel]));
    compare(
        "deprecated options",
        &root,
        &moddir,
        &a(&["-n", "-q", "--map", &rel]),
    );
    compare("missing tree", &root, &moddir, &a(&["9.9.9"]));

    // Module files on the command line: only those are indexed.
    let files: Vec<String> = [
        "kernel/fs/fat/vfat.ko",
        "kernel/fs/fat/fat.ko",
        "kernel/drivers/block/loop.ko",
        "kernel/fs/btrfs/btrfs.ko",
        "kernel/lib/raid6/raid6_pq.ko",
        "kernel/crypto/xor.ko",
        "kernel/lib/zstd/zstd_compress.ko",
        "kernel/lib/libcrc32c.ko",
    ]
    .iter()
    .map(|f| moddir.join(f).to_string_lossy().into_owned())
    .filter(|f| Path::new(f).exists())
    .collect();
    let mut args = a(&[&rel]);
    args.extend(files.iter().cloned());
    compare("module files", &root, &moddir, &args);
    compare(
        "relative module file",
        &root,
        &moddir,
        &a(&[&rel, "kernel/fs/fat/fat.ko"]),
    );

    // -A: nothing to do when modules.dep is newer than every module.
    let k = compare("-A (outdated)", &root, &moddir, &a(&["-A", &rel]));
    assert_eq!(k.code, Some(0));

    // Without modules.order: a warning, and kmod's hash order.
    std::fs::remove_file(moddir.join("modules.order")).unwrap();
    compare("no modules.order", &root, &moddir, &a(&[&rel]));
    let _ = std::fs::remove_dir_all(&root);
}

/// depmod.d through `-C` (`search` with `external`, `override`, `external`, `exclude`, the
/// unimplemented `include`/`make_map_files`, a bad line) on a tree with duplicate module names in
/// `updates/`, `extra/`, an excluded directory and an external directory outside the tree; `-P`,
/// `-m`, missing `modules.builtin`/`modules.builtin.modinfo`; and `-o` (kmod 31's, so not in kmod 30:
/// its outputs must equal kmod's in the tree itself).
#[test]
fn config_and_other_options() {
    let Some(c) = corpus() else { return };
    let root = copy_tree(&c, "root", "config");
    let moddir = root.join("lib/modules").join(&c.release);
    let rel = c.release.clone();
    let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // New names are hardlinks to the tree's files (which are never written).
    let link = |from: &str, to: &Path| {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::hard_link(moddir.join("kernel").join(from), to).unwrap();
    };
    link("fs/fat/fat.ko", &moddir.join("updates/fat.ko"));
    link("fs/fat/vfat.ko", &moddir.join("extra/vfat.ko"));
    link("drivers/block/loop.ko", &moddir.join("extra/loop.ko"));
    link(
        "lib/libcrc32c.ko",
        &moddir.join("kernel/skipme/crc_skipped.ko"),
    );
    let ext = root.join("ext");
    link("lib/libcrc32c.ko", &ext.join("extcrc.ko"));
    link(
        "lib/zstd/zstd_compress.ko",
        &ext.join("sub/zstd_compress.ko"),
    );
    let conf = root.join("depmod.d");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("test.conf"),
        format!(
            "# test\n\
             search updates extra external built-in\n\
             override vfat * kernel/fs/fat\n\
             external 6.* {}\n\
             exclude skipme\n\
             include other.conf\n\
             make_map_files\n\
             bogus line here\n",
            ext.display()
        ),
    )
    .unwrap();
    let conf = conf.to_string_lossy().into_owned();
    let k = compare("-C depmod.d", &root, &moddir, &a(&["-C", &conf, &rel]));
    let dep = String::from_utf8_lossy(k.files[0].as_ref().unwrap()).into_owned();
    assert!(dep.contains("\nupdates/fat.ko:"), "updates/ should win");
    assert!(
        dep.contains("\nextra/loop.ko:"),
        "extra/ should win over built-in"
    );
    assert!(
        dep.contains("\nkernel/fs/fat/vfat.ko:"),
        "the override should win"
    );
    assert!(dep.contains(&format!("\n{}:", ext.join("extcrc.ko").display())));
    assert!(!dep.contains("crc_skipped"), "excluded directory indexed");
    assert!(String::from_utf8_lossy(&k.stderr).contains("ignoring bad line"));
    compare(
        "-C depmod.d -v",
        &root,
        &moddir,
        &a(&["-C", &conf, "-v", "-n", &rel]),
    );

    compare("-P _", &root, &moddir, &a(&["-P", "_", &rel]));
    compare("-m", &root, &moddir, &a(&["-m", "-n", &rel]));

    // -o: the outputs under another root, equal to kmod's in the tree.
    let k = run_tool(true, &root, &moddir, &a(&[&rel]));
    let out = root.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_lkm"))
        .args(["depmod", "-b"])
        .arg(&root)
        .arg("-o")
        .arg(&out)
        .arg(&rel)
        .output()
        .unwrap();
    assert!(o.status.success());
    let l = read_outputs(&out.join("lib/modules").join(&rel));
    for (i, name) in OUTPUTS.iter().enumerate() {
        assert!(k.files[i] == l[i], "-o: {name} differs from kmod's");
    }

    for f in ["modules.builtin", "modules.builtin.modinfo"] {
        std::fs::remove_file(moddir.join(f)).unwrap();
    }
    let k = compare("no modules.builtin*", &root, &moddir, &a(&[&rel]));
    assert!(String::from_utf8_lossy(&k.stderr).contains("could not open modules.builtin"));
    let _ = std::fs::remove_dir_all(&root);
}

/// Two modules built with lkm's SDK that need each other's exports (tests/modules/depcycle), next to
/// fat and vfat: kmod's cycle report, exit status 1 and no outputs.
#[test]
fn dependency_cycle() {
    let Some(c) = corpus() else { return };
    if common::env().is_none() {
        return;
    }
    let built = common::built_ok("depcycle");
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("depmod_vs_kmod/cycle");
    let _ = std::fs::remove_dir_all(&root);
    let moddir = root.join("lib/modules/9.9.9");
    let dir = moddir.join("kernel/x");
    std::fs::create_dir_all(&dir).unwrap();
    for m in ["cyc_a", "cyc_b"] {
        std::fs::copy(built.ko(m), dir.join(format!("{m}.ko"))).unwrap();
    }
    let fat = c
        .dir
        .join("root/lib/modules")
        .join(&c.release)
        .join("kernel/fs/fat");
    for m in ["fat.ko", "vfat.ko"] {
        std::fs::copy(fat.join(m), dir.join(m)).unwrap();
    }
    std::fs::write(
        moddir.join("modules.order"),
        "kernel/x/fat.ko\nkernel/x/cyc_a.ko\nkernel/x/vfat.ko\nkernel/x/cyc_b.ko\n",
    )
    .unwrap();
    let k = compare("cycle", &root, &moddir, &["9.9.9".to_string()]);
    assert_eq!(k.code, Some(1));
    let err = String::from_utf8_lossy(&k.stderr);
    assert!(err.contains("Cycle detected: cyc_"), "{err}");
    assert!(
        err.contains("Found 2 modules in dependency cycles!"),
        "{err}"
    );
    assert!(k.files.iter().all(Option::is_none));
    let _ = std::fs::remove_dir_all(&root);
}

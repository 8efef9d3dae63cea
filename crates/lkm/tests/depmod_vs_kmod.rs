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

use std::path::{Path, PathBuf};
use std::process::Command;

mod kmodiff;
use kmodiff::assert_same;

const OUTPUTS: [&str; 10] = [
    "modules.dep",
    "modules.dep.bin",
    "modules.alias",
    "modules.alias.bin",
    "modules.softdep",
    "modules.symbols",
    "modules.symbols.bin",
    "modules.builtin.bin",
    "modules.builtin.alias.bin",
    "modules.devname",
];

const INPUTS: [&str; 3] = [
    "modules.order",
    "modules.builtin",
    "modules.builtin.modinfo",
];

struct Corpus {
    dir: PathBuf,
    release: String,
}

fn kmod_depmod() -> Option<PathBuf> {
    ["/usr/sbin/depmod", "/sbin/depmod"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn corpus() -> Option<Corpus> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("LKM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".corpus"));
    let release = std::fs::read_to_string(dir.join("release"))
        .ok()
        .map(|r| r.trim().to_owned())
        .filter(|r| {
            ["root", "root-xz", "root-zst"].iter().all(|t| {
                dir.join(t)
                    .join("lib/modules")
                    .join(r)
                    .join("modules.order")
                    .exists()
            })
        });
    let why = match (&release, kmod_depmod()) {
        (Some(release), Some(_)) => {
            return Some(Corpus {
                dir,
                release: release.clone(),
            })
        }
        (None, _) => "the Debian module corpus is missing",
        (_, None) => "kmod's depmod is not installed",
    };
    if std::env::var_os("CI").is_some() {
        panic!("{why}: run scripts/corpus.sh (scripts/test.sh does) before cargo test");
    }
    eprintln!("SKIPPED: {why}; run scripts/corpus.sh to enable the depmod differential tests");
    None
}

/// A fresh copy of a corpus tree: `<scratch>/<name>/lib/modules/<release>` with the modules
/// hardlinked and the kbuild inputs copied. Returns the root.
fn copy_tree(c: &Corpus, tree: &str, name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("depmod_vs_kmod")
        .join(name);
    let _ = std::fs::remove_dir_all(&root);
    let moddir = root.join("lib/modules").join(&c.release);
    std::fs::create_dir_all(&moddir).unwrap();
    let src = c.dir.join(tree).join("lib/modules").join(&c.release);
    let linked = Command::new("cp")
        .arg("-al")
        .arg(src.join("kernel"))
        .arg(&moddir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !linked {
        // Another filesystem: a real copy.
        let _ = std::fs::remove_dir_all(moddir.join("kernel"));
        let ok = Command::new("cp")
            .arg("-a")
            .arg(src.join("kernel"))
            .arg(&moddir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "cannot copy {}", src.display());
    }
    for f in INPUTS {
        std::fs::copy(src.join(f), moddir.join(f)).unwrap();
    }
    root
}

struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
    /// The output files (None: absent), in `OUTPUTS` order.
    files: Vec<Option<Vec<u8>>>,
}

fn clean(moddir: &Path) {
    for f in OUTPUTS {
        let _ = std::fs::remove_file(moddir.join(f));
    }
}

fn run_tool(kmod: bool, root: &Path, moddir: &Path, args: &[String]) -> Run {
    clean(moddir);
    let mut cmd = if kmod {
        // Through PATH, so that getopt's messages name it "depmod" as they name lkm's.
        let dir = kmod_depmod().unwrap().parent().unwrap().to_path_buf();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![dir];
        dirs.extend(std::env::split_paths(&path));
        let mut c = Command::new("depmod");
        c.env("PATH", std::env::join_paths(dirs).unwrap());
        c
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
    let files = OUTPUTS
        .iter()
        .map(|f| std::fs::read(moddir.join(f)).ok())
        .collect();
    // No temporary files may be left behind.
    for e in std::fs::read_dir(moddir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "kernel" || OUTPUTS.contains(&name.as_str()) || INPUTS.contains(&name.as_str()),
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
    for (i, name) in OUTPUTS.iter().enumerate() {
        match (&k.files[i], &l.files[i]) {
            (Some(kf), Some(lf)) => {
                if name.ends_with(".bin") {
                    assert!(
                        kf == lf,
                        "{what}: {name} differs from kmod's ({} vs {} bytes)",
                        kf.len(),
                        lf.len()
                    );
                } else {
                    assert_same(&format!("{what}: {name}"), kf, lf);
                }
            }
            (k, l) => assert_eq!(
                k.is_some(),
                l.is_some(),
                "{what}: {name} written by one tool only"
            ),
        }
    }
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

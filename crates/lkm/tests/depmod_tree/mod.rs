//! Shared by the depmod tests (`depmod_vs_kmod.rs`, `depmod_incremental.rs`): the Debian corpus,
//! private copies of its module trees, and kmod's depmod.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use super::kmodiff::assert_same;

/// The files depmod writes, in kmod's order.
pub const OUTPUTS: [&str; 10] = [
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

/// The kbuild files depmod reads.
pub const INPUTS: [&str; 3] = [
    "modules.order",
    "modules.builtin",
    "modules.builtin.modinfo",
];

/// lkm's module cache (not written by kmod).
pub const CACHE: &str = "modules.lkm-cache";
/// The cache's state file (what the last run left as outputs).
pub const CACHE_STATE: &str = "modules.lkm-cache.state";

/// The corpus made by `scripts/corpus.sh`.
pub struct Corpus {
    pub dir: PathBuf,
    pub release: String,
}

/// kmod's depmod, if installed.
pub fn kmod_depmod() -> Option<PathBuf> {
    ["/usr/sbin/depmod", "/sbin/depmod"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The corpus and kmod, or `None` after saying why the test is skipped (a panic under CI).
pub fn corpus() -> Option<Corpus> {
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

/// A fresh copy of a corpus tree: `<scratch>/<group>/<name>/lib/modules/<release>` with the modules
/// hardlinked (so a test must replace a module file, never write into it) and the kbuild inputs
/// copied. Returns the root.
pub fn copy_tree(c: &Corpus, tree: &str, group: &str, name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
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

/// kmod's depmod as a command found through PATH, so that getopt's messages name it "depmod" as
/// they name lkm's.
pub fn kmod_command() -> Command {
    let dir = kmod_depmod().unwrap().parent().unwrap().to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![dir];
    dirs.extend(std::env::split_paths(&path));
    let mut c = Command::new("depmod");
    c.env("PATH", std::env::join_paths(dirs).unwrap());
    c
}

/// The output files of `moddir` (None: absent), in `OUTPUTS` order.
pub fn read_outputs(moddir: &Path) -> Vec<Option<Vec<u8>>> {
    OUTPUTS
        .iter()
        .map(|f| std::fs::read(moddir.join(f)).ok())
        .collect()
}

/// Output files (in `OUTPUTS` order) must be the same, present or absent alike; `.bin` files are
/// compared whole, text files line by line for a readable failure.
pub fn assert_outputs_same(what: &str, expected: &[Option<Vec<u8>>], actual: &[Option<Vec<u8>>]) {
    for (i, name) in OUTPUTS.iter().enumerate() {
        match (&expected[i], &actual[i]) {
            (Some(e), Some(a)) if name.ends_with(".bin") => assert!(
                e == a,
                "{what}: {name} differs ({} vs {} bytes)",
                e.len(),
                a.len()
            ),
            (Some(e), Some(a)) => assert_same(&format!("{what}: {name}"), e, a),
            (e, a) => assert_eq!(e.is_some(), a.is_some(), "{what}: {name} written once only"),
        }
    }
}

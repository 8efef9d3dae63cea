//! The harness shared by the sandbox integration tests: tools and a scratch root, the SDK, module
//! builds (once per process each), and a sandbox kernel per test that is halted when the test ends.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

pub const VERMAGIC: &str = "6.12.0-lkm SMP preempt mod_unload ";
pub const LSMOD_HEADER: &str = "Module                  Size  Used by\n";

// ---------------------------------------------------------------------------------------------
// Environment: tools, temporary root, SDK.

pub struct Env {
    /// This process's scratch directory (module builds, state directories, SDK cache).
    pub root: PathBuf,
    /// `lkm sdk`.
    pub sdk: PathBuf,
}

pub fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    eprintln!("SKIPPED: {why}");
}

pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

pub fn lkm() -> &'static str {
    env!("CARGO_BIN_EXE_lkm")
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// The test environment, or `None` (after a note) when gcc or make are missing.
pub fn env() -> Option<&'static Env> {
    static ENV: OnceLock<Option<Env>> = OnceLock::new();
    let e = ENV.get_or_init(|| {
        for tool in ["gcc", "make", "ld"] {
            if !have(tool) {
                skip_or_fail(&format!(
                    "{tool} is not installed: the sandbox tests build real modules with gcc and make"
                ));
                return None;
            }
        }
        let tmp = std::env::temp_dir();
        // Directories of earlier runs whose process is gone.
        if let Ok(rd) = std::fs::read_dir(&tmp) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("lkm-sandbox-tests-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let root = tmp.join(format!("lkm-sandbox-tests-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = base_cmd(&root)
            .arg("sdk")
            .output()
            .expect("cannot run lkm sdk");
        assert!(
            out.status.success(),
            "lkm sdk failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sdk = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        assert!(sdk.join("Makefile").exists(), "{}", sdk.display());
        Some(Env { root, sdk })
    });
    e.as_ref()
}

/// `lkm` with the test process's SDK cache and no inherited state-directory settings.
pub fn base_cmd(root: &Path) -> Command {
    let mut c = Command::new(lkm());
    c.env("LKM_SDK_CACHE", root.join("sdk-cache"))
        .env_remove("LKM_STATE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("KMOD_LOG");
    c
}

#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

pub fn run(mut c: Command) -> Run {
    let o = c.output().expect("cannot run a command");
    Run {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code(),
    }
}

/// Replaces console/dmesg timestamps `[    0.012345] ` (the first in each line) by `[    t] `.
pub fn untime(s: &str) -> String {
    s.lines()
        .map(|l| {
            let mut from = 0;
            while let Some(open) = l[from..].find('[').map(|i| from + i) {
                if let Some(close) = l[open..].find("] ").map(|i| open + i) {
                    let inner = l[open + 1..close].trim_start();
                    let stamp = inner.split_once('.').is_some_and(|(a, f)| {
                        !a.is_empty()
                            && a.bytes().all(|c| c.is_ascii_digit())
                            && f.len() == 6
                            && f.bytes().all(|c| c.is_ascii_digit())
                    });
                    if stamp {
                        return format!("{}[    t] {}\n", &l[..open], &l[close + 2..]);
                    }
                }
                from = open + 1;
            }
            format!("{l}\n")
        })
        .collect()
}

/// Whether `line` is `prefix`, 16 hex digits, then `suffix`.
pub fn hex_shape(line: &str, prefix: &str, suffix: &str) -> bool {
    line.strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix))
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Module builds, once per process each.

pub struct Built {
    pub dir: PathBuf,
    pub make: Run,
}

impl Built {
    pub fn ko(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.ko"))
    }
    pub fn path(&self) -> String {
        self.dir.display().to_string()
    }
}

/// The source folder of a build, and extra make arguments.
pub fn build_recipe(key: &str) -> (PathBuf, Vec<String>) {
    let ex = repo().join("examples");
    let tm = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/modules");
    match key {
        "hello" => (ex.join("hello"), vec![]),
        "hello-world" => (ex.join("hello/world"), vec![]),
        "multi" => (ex.join("multi"), vec![]),
        "export" => (ex.join("export"), vec![]),
        "params" => (ex.join("params"), vec![]),
        "chardev" => (ex.join("chardev"), vec![]),
        "faults" => (ex.join("faults"), vec![]),
        "extsym" => {
            let export = built_ok("export");
            (
                tm.join("extsym"),
                vec![format!(
                    "KBUILD_EXTRA_SYMBOLS={}/Module.symvers",
                    export.path()
                )],
            )
        }
        "undef-warn" => (tm.join("undef"), vec!["KBUILD_MODPOST_WARN=1".into()]),
        // The same sources compiled by clang (make CC=clang, as with Kbuild).
        "loader-clang" => (tm.join("loader"), vec!["CC=clang".into()]),
        "hello-clang" => (ex.join("hello"), vec!["CC=clang".into()]),
        other => (tm.join(other), vec![]),
    }
}

/// Copies a module folder into the scratch directory and runs `make KDIR=$(lkm sdk)` there, as a
/// user of the seed Makefiles does; once per key and process.
pub fn built(key: &'static str) -> &'static Built {
    static CELLS: Mutex<BTreeMap<&'static str, &'static OnceLock<Built>>> =
        Mutex::new(BTreeMap::new());
    let cell: &'static OnceLock<Built> = CELLS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert_with(|| Box::leak(Box::new(OnceLock::new())));
    cell.get_or_init(|| {
        let env = env().expect("checked by the caller");
        let (src, args) = build_recipe(key);
        let dir = env.root.join("build").join(key);
        copy_dir(&src, &dir);
        let mut c = make(env);
        c.arg("-C")
            .arg(&dir)
            .arg(format!("KDIR={}", env.sdk.display()))
            .args(&args);
        Built { dir, make: run(c) }
    })
}

/// `make` as the tests run it: this process's SDK cache, and none of cargo's make flags.
pub fn make(env: &Env) -> Command {
    let mut c = Command::new("make");
    c.env("LKM_SDK_CACHE", env.root.join("sdk-cache"))
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    c
}

/// A build that must have succeeded.
pub fn built_ok(key: &'static str) -> &'static Built {
    let b = built(key);
    assert_eq!(
        b.make.code,
        Some(0),
        "building {key} failed:\n{}{}",
        b.make.stdout,
        b.make.stderr
    );
    b
}

// ---------------------------------------------------------------------------------------------
// A sandbox kernel of one test.

pub struct Kernel {
    pub state: PathBuf,
    pub root: PathBuf,
    pub cwd: PathBuf,
}

impl Kernel {
    /// A state directory of its own; the kernel boots on first use.
    pub fn new(name: &str) -> Kernel {
        let env = env().expect("checked by the caller");
        let state = env.root.join("state").join(name);
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(state.parent().unwrap()).unwrap();
        Kernel {
            state,
            root: env.root.clone(),
            cwd: env.root.clone(),
        }
    }

    /// Runs later commands in `dir` (so that file names are printed as given, like `m.ko`).
    pub fn at(mut self, dir: &Path) -> Kernel {
        self.cwd = dir.to_path_buf();
        self
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = base_cmd(&self.root);
        c.arg("--state")
            .arg(&self.state)
            .args(args)
            .current_dir(&self.cwd);
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(self.cmd(args))
    }

    /// Runs and expects exit 0 and nothing on stderr; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, Some(0), "lkm {args:?}: {r:?}");
        assert_eq!(r.stderr, "", "lkm {args:?}: {r:?}");
        r.stdout
    }

    /// `insmod FILE`, which must succeed; returns what the console printed.
    pub fn load(&self, file: &Path) -> String {
        let r = self.run(&["insmod", &file.display().to_string()]);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(0), ""),
            "insmod {}: {r:?}",
            file.display()
        );
        r.stderr
    }

    /// Boots the kernel.
    pub fn boot(&self) {
        let r = self.run(&["boot"]);
        assert_eq!(r.code, Some(0), "{r:?}");
    }

    pub fn cat(&self, path: &str) -> String {
        self.ok(&["cat", path])
    }

    /// `dmesg -t` lines.
    pub fn dmesg(&self) -> Vec<String> {
        self.ok(&["dmesg", "-t"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn proc_modules(&self) -> Vec<String> {
        self.cat("/proc/modules")
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn tainted(&self) -> u64 {
        self.cat("/proc/sys/kernel/tainted").trim().parse().unwrap()
    }

    pub fn state_str(&self) -> String {
        self.state.display().to_string()
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        let _ = self.cmd(&["halt"]).output();
    }
}

/// Asserts that `lines` contains `want` in this order (not necessarily adjacent).
pub fn assert_in_order(lines: &[String], want: &[&str]) {
    let mut at = 0;
    for w in want {
        match lines[at..].iter().position(|l| l == w) {
            Some(i) => at += i + 1,
            None => panic!("line {w:?} missing (in order) from:\n{}", lines.join("\n")),
        }
    }
}

pub fn insmod_error(file: &str, why: &str) -> String {
    format!("insmod: ERROR: could not insert module {file}: {why}\n")
}

#[macro_export]
macro_rules! need_env {
    () => {
        match env() {
            Some(e) => e,
            None => return,
        }
    };
}

//! Differential tests: `lkm modinfo` against kmod's `modinfo` (Debian 12, kmod 30) over Debian's whole
//! kernel module tree, plain and compressed, by path, by name and by alias. Output must be identical
//! byte for byte, with the same stderr and exit status.
//!
//! The corpus comes from `scripts/corpus.sh` (run by `scripts/test.sh`). Without it the tests skip with
//! a message, except under CI, where a missing corpus fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

mod kmodiff;
use kmodiff::assert_same;

struct Corpus {
    dir: PathBuf,
    release: String,
}

impl Corpus {
    fn root(&self, tree: &str) -> PathBuf {
        self.dir.join(tree)
    }
    fn moddir(&self, tree: &str) -> PathBuf {
        self.root(tree).join("lib/modules").join(&self.release)
    }
}

fn corpus() -> Option<Corpus> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("LKM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".corpus"));
    let ready = std::fs::read_to_string(dir.join("release"))
        .ok()
        .map(|r| r.trim().to_owned())
        .filter(|r| {
            ["root", "root-xz", "root-zst", "root-gz"].iter().all(|t| {
                dir.join(t)
                    .join("lib/modules")
                    .join(r)
                    .join("modules.dep")
                    .exists()
            })
        });
    let has_kmod = Command::new("modinfo")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    match ready {
        Some(release) if has_kmod => Some(Corpus { dir, release }),
        _ => {
            let why = if has_kmod {
                "the Debian module corpus is missing"
            } else {
                "kmod's modinfo is not installed"
            };
            if std::env::var_os("CI").is_some() {
                panic!("{why}: run scripts/corpus.sh (scripts/test.sh does) before cargo test");
            }
            eprintln!(
                "SKIPPED: {why}; run scripts/corpus.sh to enable the kmod differential tests"
            );
            None
        }
    }
}

/// Every module file under `dir`, sorted.
fn module_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("kernel")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains(".ko") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        out.len() > 1000,
        "only {} modules under {}",
        out.len(),
        dir.display()
    );
    out
}

struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

fn run(program: &str, pre: &[&str], args: &[String]) -> Run {
    let o = Command::new(program)
        .args(pre)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    Run {
        stdout: o.stdout,
        stderr: o.stderr,
        code: o.status.code(),
    }
}

fn kmod(args: &[String]) -> Run {
    run("modinfo", &[], args)
}

fn lkm(args: &[String]) -> Run {
    run(env!("CARGO_BIN_EXE_lkm"), &["modinfo"], args)
}

fn compare(what: &str, args: &[String]) {
    // Both tools at once: the comparison takes the time of the slower one.
    let (k, l) = std::thread::scope(|s| {
        let k = s.spawn(|| kmod(args));
        (k.join().expect("kmod run"), lkm(args))
    });
    assert_same(&format!("{what} (stdout)"), &k.stdout, &l.stdout);
    assert_same(&format!("{what} (stderr)"), &k.stderr, &l.stderr);
    assert_eq!(k.code, l.code, "{what}: exit status");
}

fn paths(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

fn compare_tree(tree: &str) {
    let Some(c) = corpus() else { return };
    let files = paths(&module_files(&c.moddir(tree)));
    for (i, chunk) in files.chunks(500).enumerate() {
        compare(&format!("{tree} files, chunk {i}"), chunk);
    }
}

#[test]
fn plain_ko_files_match_kmod() {
    compare_tree("root");
}

#[test]
fn xz_files_match_kmod() {
    compare_tree("root-xz");
}

#[test]
fn zst_files_match_kmod() {
    compare_tree("root-zst");
}

/// Debian's kmod 30 has no zlib, so it cannot read `.ko.gz`: the reference is its output for the
/// same module uncompressed, with the file name changed.
#[test]
fn gz_files_match_kmod_on_the_uncompressed_copy() {
    let Some(c) = corpus() else { return };
    let plain_dir = c.moddir("root");
    let gz_dir = c.moddir("root-gz");
    let plain = paths(&module_files(&plain_dir));
    for (i, chunk) in plain.chunks(500).enumerate() {
        let gz: Vec<String> = chunk
            .iter()
            .map(|p| {
                format!(
                    "{}{}.gz",
                    gz_dir.display(),
                    &p[plain_dir.to_string_lossy().len()..]
                )
            })
            .collect();
        let k = kmod(chunk);
        let mut expected = Vec::new();
        for line in k.stdout.split_inclusive(|&b| b == b'\n') {
            match line.strip_prefix(b"filename:       ") {
                Some(rest) => {
                    let p = String::from_utf8_lossy(rest).trim_end().to_owned();
                    let p = p.replacen(&*plain_dir.to_string_lossy(), &gz_dir.to_string_lossy(), 1);
                    expected.extend_from_slice(format!("filename:       {p}.gz\n").as_bytes());
                }
                None => expected.extend_from_slice(line),
            }
        }
        let l = lkm(&gz);
        assert_same(&format!("root-gz chunk {i} (stdout)"), &expected, &l.stdout);
        assert_eq!(l.stderr, b"", "root-gz chunk {i}: stderr");
        assert_eq!(k.code, l.code, "root-gz chunk {i}: exit status");
    }
}

fn lookup_args(c: &Corpus, tree: &str, extra: &[&str], names: &[String]) -> Vec<String> {
    let mut v = vec![
        "-b".to_owned(),
        c.root(tree).to_string_lossy().into_owned(),
        "-k".into(),
        c.release.clone(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v.extend(names.iter().cloned());
    v
}

/// Module names as users type them: the file's basename before the first '.', dashes kept.
fn module_names(c: &Corpus) -> Vec<String> {
    let set: BTreeSet<String> = module_files(&c.moddir("root"))
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .split('.')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    set.into_iter().collect()
}

#[test]
fn every_module_by_name_matches_kmod() {
    let Some(c) = corpus() else { return };
    let names = module_names(&c);
    for tree in ["root", "root-xz"] {
        for (i, chunk) in names.chunks(500).enumerate() {
            compare(
                &format!("{tree} names, chunk {i}"),
                &lookup_args(&c, tree, &[], chunk),
            );
        }
    }
    // -m: the same names strictly as module names.
    for (i, chunk) in names.chunks(500).enumerate() {
        compare(
            &format!("-m names, chunk {i}"),
            &lookup_args(&c, "root", &["-m"], chunk),
        );
    }
}

/// Built-in modules (from modules.builtin) and their aliases (from modules.builtin.modinfo).
#[test]
fn builtin_modules_match_kmod() {
    let Some(c) = corpus() else { return };
    let dir = c.moddir("root");
    let builtin = std::fs::read_to_string(dir.join("modules.builtin")).unwrap();
    let names: Vec<String> = builtin
        .lines()
        .map(|l| {
            Path::new(l)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .split('.')
                .next()
                .unwrap()
                .replace('-', "_")
        })
        .collect();
    assert!(names.len() > 100);
    compare("built-in names", &lookup_args(&c, "root", &[], &names));
    compare(
        "built-in names -m",
        &lookup_args(&c, "root", &["-m"], &names),
    );
    compare(
        "built-in -F name",
        &lookup_args(&c, "root", &["-F", "name"], &names),
    );
    compare("built-in -n", &lookup_args(&c, "root", &["-n"], &names));
    let data = std::fs::read(dir.join("modules.builtin.modinfo")).unwrap();
    let aliases: Vec<String> = data
        .split(|&b| b == 0)
        .filter_map(|r| {
            let r = String::from_utf8_lossy(r);
            let (_, a) = r.split_once(".alias=")?;
            Some(a.to_owned())
        })
        .collect();
    assert!(!aliases.is_empty());
    compare("built-in aliases", &lookup_args(&c, "root", &[], &aliases));
}

/// Every one of the 26,000 aliases in modules.alias, and every `symbol:` alias.
#[test]
fn aliases_match_kmod() {
    let Some(c) = corpus() else { return };
    let dir = c.moddir("root");
    let text = std::fs::read_to_string(dir.join("modules.alias")).unwrap();
    let aliases: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("alias "))
        .filter_map(|l| l.rsplit_once(' ').map(|(a, _)| a.to_owned()))
        .collect();
    assert!(aliases.len() > 20_000);
    for (i, chunk) in aliases.chunks(400).enumerate() {
        compare(
            &format!("aliases chunk {i}"),
            &lookup_args(&c, "root", &[], chunk),
        );
    }
    let symbols = std::fs::read_to_string(dir.join("modules.symbols")).unwrap();
    let syms: Vec<String> = symbols
        .lines()
        .filter_map(|l| l.strip_prefix("alias "))
        .filter_map(|l| l.split_once(' ').map(|(a, _)| a.to_owned()))
        .collect();
    for (i, chunk) in syms.chunks(2000).enumerate() {
        compare(
            &format!("symbol: aliases chunk {i}"),
            &lookup_args(&c, "root", &[], chunk),
        );
    }
    // Concrete device aliases that the patterns in modules.alias must match.
    let devices: Vec<String> = [
        "pci:v00008086d00001572sv00008086sd00000000bc02sc00i00",
        "usb:v046DpC52Bd1200dc00dsc00dp00ic03isc01ip01in00",
        "fs-vfat",
        "crypto-crc32c",
        "char-major-10-237",
        "block-major-7-0",
        "net-pf-10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    compare("device aliases", &lookup_args(&c, "root", &[], &devices));
}

#[test]
fn unknown_names_fail_like_kmod() {
    let Some(c) = corpus() else { return };
    for args in [
        vec!["no-such-module".to_owned()],
        vec!["loop".to_owned(), "no_such".to_owned(), "ext4".to_owned()],
        vec!["bad]alias".to_owned()],
        vec!["bad[alias".to_owned()],
        vec!["-m".to_owned(), "no_such".to_owned()],
        vec!["symbol:no_such_symbol".to_owned()],
    ] {
        let a = lookup_args(&c, "root", &[], &args);
        compare(&format!("{args:?}"), &a);
    }
    compare("no argument", &lookup_args(&c, "root", &[], &[]));
    // A directory that has no index files at all.
    compare(
        "empty basedir",
        &[
            "-b".into(),
            "/nonexistent".into(),
            "-k".into(),
            "1.2.3".into(),
            "loop".into(),
        ],
    );
}

#[test]
fn options_match_kmod() {
    let Some(c) = corpus() else { return };
    let some: Vec<String> = [
        "loop",
        "e1000e",
        "snd-hda-intel",
        "btrfs",
        "nvme",
        "usbcore",
        "unix",
        "ext4",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let option_sets: [&[&str]; 20] = [
        &["-a"],
        &["-d"],
        &["-l"],
        &["-p"],
        &["-n"],
        &["-0"],
        &["-0", "-p"],
        &["-0", "-F", "alias"],
        &["-F", "alias"],
        &["-F", "depends"],
        &["-F", "vermagic"],
        &["-F", "signer"],
        &["-F", "sig_key"],
        &["-F", "sig_hashalgo"],
        &["-F", "signature"],
        &["-F", "parmtype"],
        &["-F", "nosuchfield"],
        &["-a", "-d"],
        &["-F", "license", "-n"],
        &["--field=srcversion", "--null"],
    ];
    for opts in option_sets {
        compare(&format!("{opts:?}"), &lookup_args(&c, "root", opts, &some));
    }
    // Options after the names, and a file path mixed with names.
    let loop_ko = c
        .moddir("root")
        .join("kernel/drivers/block/loop.ko")
        .to_string_lossy()
        .into_owned();
    let mut a = lookup_args(&c, "root", &[], &["ext4".into(), loop_ko.clone()]);
    a.push("-F".into());
    a.push("license".into());
    compare("options after arguments", &a);
    // A relative path is shown relative to the working directory, as kmod shows it.
    let dir = c.moddir("root").join("kernel/drivers/block");
    let rel = |prog: &str, pre: &[&str]| {
        Command::new(prog)
            .args(pre)
            .arg("./loop.ko")
            .current_dir(&dir)
            .env("PWD", &dir)
            .output()
            .unwrap()
    };
    let (k, l) = (
        rel("modinfo", &[]),
        rel(env!("CARGO_BIN_EXE_lkm"), &["modinfo"]),
    );
    assert_same("relative path", &k.stdout, &l.stdout);
}

//! Differential tests: `lkm --host modprobe` against kmod 30's `modprobe` (Debian 12) on copies of
//! Debian's whole module tree (plain, `.ko.xz`, `.ko.zst`), indexed by kmod's depmod. stdout, stderr
//! and the exit status must be byte-identical.
//!
//! Coverage: `--show-depends` and `--resolve-alias` for every module name of the tree (in `-a`
//! batches, where one process handles many names and libkmod's module pool carries state from name
//! to name, plus one process per name for a sample), a sample of aliases of each kind (`pci:`,
//! `usb:`, `fs-`, `crypto-`, `char-major-`), `--show-config`, the same again with a configuration
//! holding every command type (and bad lines), and the messages of the error paths.
//!
//! Only queries and dry runs are compared: nothing is ever inserted into or removed from the host
//! kernel. Both tools read the host's `/proc/cmdline`, `/sys/module` and (without `-C`) its
//! modprobe.d, so they see the same inputs.
//!
//! The corpus comes from `scripts/corpus.sh`. Without it or without kmod the tests skip with a
//! message, except under CI, where they fail.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

mod kmodiff;
use kmodiff::assert_same;
mod depmod_tree;
use depmod_tree::{copy_tree, Corpus};

fn kmod_tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/sbin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// The corpus, kmod's depmod and its modprobe, or `None` after saying why the test is skipped (a
/// panic under CI).
fn corpus() -> Option<Corpus> {
    let c = depmod_tree::corpus()?;
    if kmod_tool("modprobe").is_none() {
        let why = "kmod's modprobe is not installed";
        if std::env::var_os("CI").is_some() {
            panic!("{why}");
        }
        eprintln!("SKIPPED: {why}");
        return None;
    }
    Some(c)
}

/// A copy of a corpus tree under the test scratch directory (modules hardlinked, kbuild inputs
/// copied) indexed by kmod's depmod; made once per tree form. Returns the root.
fn tree(c: &Corpus, form: &str) -> PathBuf {
    type Cells = Mutex<HashMap<String, std::sync::Arc<OnceLock<PathBuf>>>>;
    static TREES: OnceLock<Cells> = OnceLock::new();
    let cell = TREES
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(form.to_owned())
        .or_default()
        .clone();
    cell.get_or_init(|| build_tree(c, form)).clone()
}

fn build_tree(c: &Corpus, form: &str) -> PathBuf {
    let root = copy_tree(c, form, "modprobe_vs_kmod", form);
    let ok = Command::new(kmod_tool("depmod").unwrap())
        .arg("-b")
        .arg(&root)
        .arg(&c.release)
        .status()
        .unwrap()
        .success();
    assert!(ok, "kmod's depmod failed on {}", root.display());
    root
}

#[derive(Debug)]
struct Out {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

fn run(kmod: bool, args: &[String]) -> Out {
    let mut cmd = if kmod {
        // Through PATH, so that getopt names it "modprobe" as lkm's parser does.
        let dir = kmod_tool("modprobe")
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![dir];
        dirs.extend(std::env::split_paths(&path));
        let mut c = Command::new("modprobe");
        c.env("PATH", std::env::join_paths(dirs).unwrap());
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lkm"));
        c.args(["--host", "modprobe"]);
        c
    };
    let o = cmd
        .args(args)
        .env("LC_ALL", "C")
        .env_remove("MODPROBE_OPTIONS")
        .env_remove("KMOD_LOG")
        .output()
        .unwrap();
    Out {
        stdout: o.stdout,
        stderr: o.stderr,
        code: o.status.code(),
    }
}

fn compare(what: &str, args: &[String]) -> Out {
    let k = run(true, args);
    let l = run(false, args);
    assert_same(&format!("{what}: stdout"), &k.stdout, &l.stdout);
    assert_same(&format!("{what}: stderr"), &k.stderr, &l.stderr);
    assert_eq!(k.code, l.code, "{what}: exit status");
    k
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `-d ROOT -S RELEASE` and `extra`.
fn base(c: &Corpus, root: &Path, extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        "-d".to_owned(),
        root.to_string_lossy().into_owned(),
        "-S".to_owned(),
        c.release.clone(),
    ];
    a.extend(strings(extra));
    a
}

/// Every module name of the tree, as written in `modules.dep` (file name up to the first `.`, so
/// with `-` where the file has one: lookups normalise it).
fn module_names(c: &Corpus, root: &Path) -> Vec<String> {
    let dep = std::fs::read_to_string(
        root.join("lib/modules")
            .join(&c.release)
            .join("modules.dep"),
    )
    .unwrap();
    dep.lines()
        .filter_map(|l| l.split(':').next())
        .map(|p| {
            let base = p.rsplit('/').next().unwrap();
            base.split('.').next().unwrap().to_owned()
        })
        .collect()
}

/// A concrete string for an alias pattern: `*` dropped, `?` → `0`, a bracket → its first member.
fn concrete(pattern: &str) -> Option<String> {
    let mut out = String::new();
    let mut it = pattern.chars().peekable();
    while let Some(ch) = it.next() {
        match ch {
            '*' => {}
            '?' => out.push('0'),
            '[' => {
                let first = it.next()?;
                if first == '!' || first == '^' {
                    return None;
                }
                out.push(first);
                for c in it.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Every `step`-th alias of each kind, made concrete, plus a few that match nothing.
fn alias_sample(c: &Corpus, root: &Path, step: usize) -> Vec<String> {
    let text = std::fs::read_to_string(
        root.join("lib/modules")
            .join(&c.release)
            .join("modules.alias"),
    )
    .unwrap();
    let mut out = Vec::new();
    for kind in [
        "pci:",
        "usb:",
        "fs-",
        "crypto-",
        "char-major-",
        "platform:",
        "acpi*:",
    ] {
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split(' ').nth(1))
            .filter(|k| k.starts_with(kind.trim_end_matches('*')))
            .collect();
        assert!(!keys.is_empty(), "no {kind} aliases in the corpus");
        out.extend(keys.iter().step_by(step).filter_map(|k| concrete(k)));
    }
    out.extend(strings(&[
        "pci:v0000FFFFd0000FFFFsv00000000sd00000000bc00sc00i00",
        "fs-nosuchfs",
        "symbol:fat_search_long",
        "crypto-crc32c",
        "char-major-10-237",
    ]));
    out
}

/// Runs `base + -a + names` in batches of `chunk` names on two threads; every batch must agree.
fn compare_batches(what: &str, args: &[String], names: &[String], chunk: usize) {
    let chunks: Vec<&[String]> = names.chunks(chunk).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(names) = chunks.get(i) else { break };
                let mut a = args.to_vec();
                a.push("-a".into());
                a.extend(names.iter().cloned());
                compare(&format!("{what} (batch {i}: {}…)", names[0]), &a);
            });
        }
    });
}

/// One process per name for every `step`-th name (and for `always`), with `args` before the name.
fn compare_each(what: &str, args: &[String], names: &[String], step: usize, always: &[&str]) {
    let mut pick: Vec<String> = names.iter().step_by(step).cloned().collect();
    pick.extend(strings(always));
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(name) = pick.get(i) else { break };
                let mut a = args.to_vec();
                a.push(name.clone());
                compare(&format!("{what} {name}"), &a);
            });
        }
    });
}

const NOTABLE: [&str; 10] = [
    "btrfs",
    "ext4",
    "amdgpu",
    "snd-hda-intel",
    "nouveau",
    "i915",
    "unix",
    "cifs",
    "libcrc32c",
    "nf_tables",
];

#[test]
fn show_depends_every_module_plain_tree() {
    let Some(c) = corpus() else { return };
    let root = tree(&c, "root");
    let names = module_names(&c, &root);
    assert!(names.len() > 4000, "{} modules", names.len());
    let args = base(&c, &root, &["--show-depends"]);
    compare_batches("-D", &args, &names, 300);
    compare_each("-D", &args, &names, 16, &NOTABLE);
    // Module options from the command line reach the named module only.
    let mut a = args.clone();
    a.extend(strings(&["loop", "max_part=4", "x=a b", "y='c d'"]));
    compare("-D loop with options", &a);
}

#[test]
fn resolve_every_module_and_alias_sample() {
    let Some(c) = corpus() else { return };
    let root = tree(&c, "root");
    let names = module_names(&c, &root);
    let aliases = alias_sample(&c, &root, 40);
    assert!(aliases.len() > 200, "{} aliases", aliases.len());
    let r = base(&c, &root, &["-R"]);
    compare_batches("-R", &r, &names, 500);
    compare_batches("-R aliases", &r, &aliases, 100);
    let d = base(&c, &root, &["-D"]);
    compare_batches("-D aliases", &d, &aliases, 100);
    compare_each("-R", &r, &aliases, 5, &["crypto-crc32c", "fs-vfat"]);
    compare_each("-D", &d, &aliases, 5, &[]);
}

#[test]
fn show_depends_compressed_trees() {
    let Some(c) = corpus() else { return };
    for form in ["root-xz", "root-zst"] {
        let root = tree(&c, form);
        let names = module_names(&c, &root);
        compare_batches(
            &format!("{form} -D"),
            &base(&c, &root, &["-D"]),
            &names,
            400,
        );
        compare_each(
            &format!("{form} -D"),
            &base(&c, &root, &["-D"]),
            &names,
            200,
            &NOTABLE,
        );
    }
}

#[test]
fn show_config_plain_tree() {
    let Some(c) = corpus() else { return };
    let root = tree(&c, "root");
    let k = compare("-c", &base(&c, &root, &["-c"]));
    let text = String::from_utf8_lossy(&k.stdout);
    assert!(text.contains("\n# End of configuration files. Dumping indexes now:\n\n"));
    assert!(
        text.lines().count() > 40_000,
        "{} lines",
        text.lines().count()
    );
}

/// A configuration with every command kmod 30 knows, the quirks (softdep words before `pre:`,
/// several softdep lines for one module, a softdep value starting with one blank), bad lines, a
/// `.alias` file, an ignored file, a subdirectory, and two directories sharing a file name.
fn config_dirs(c: &Corpus) -> (PathBuf, PathBuf) {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("modprobe_vs_kmod")
        .join("conf");
    let (a, b) = (base.join("a"), base.join("b"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(a.join("sub.conf")).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let _ = c;
    std::fs::write(
        a.join("10-all.conf"),
        "# every command type\n\
         alias my-loop loop\n\
         alias my-fs* vfat\n\
         alias pci:v0000DEADd* e1000e\n\
         alias symbol:fat_* vfat\n\
         blacklist e1000e\n\
         blacklist pcspkr\n\
         options loop max_loop=8\n\
         options my_loop max_part=2\n\
         options  vfat   codepage=850\tiocharset=utf8\n\
         options e1000e\n\
         install vfat /bin/echo installing vfat $CMDLINE_OPTS\n\
         install dummy-inst /bin/true\n\
         remove vfat /bin/echo removing vfat\n\
         remove only-remove /bin/true\n\
         softdep ext4 pre: crc32c-generic post: fat\n\
         softdep ext4 pre: loop\n\
         softdep btrfs xor pre: loop post: zram\n\
         softdep xfs  pre: fat\n\
         softdep nf_* post: loop\n\
         softdep cifs gcm\n\
         weakdep loop fat\n\
         bad line here\n\
         options\n\
         softdep x\n\
         alias a]b loop\n\
         \x20 # indented comment\n\
         include /etc/foo\n\
         config x\n\
         install long-cmd /bin/echo a \\\n   b\n",
    )
    .unwrap();
    std::fs::write(a.join("20-old.alias"), "alias old-name fat\n").unwrap();
    std::fs::write(a.join("ignored.txt"), "alias never-read loop\n").unwrap();
    std::fs::write(a.join(".hidden.conf"), "alias hidden loop\n").unwrap();
    std::fs::write(a.join("30-same.conf"), "options fat first=1\n").unwrap();
    std::fs::write(b.join("30-same.conf"), "options fat second=1\n").unwrap();
    std::fs::write(
        b.join("05-b.conf"),
        "blacklist snd_pcsp\nalias my-snd snd-pcsp\n",
    )
    .unwrap();
    (a, b)
}

#[test]
fn with_every_config_command() {
    let Some(c) = corpus() else { return };
    let root = tree(&c, "root");
    let (a, b) = config_dirs(&c);
    let conf = |extra: &[&str]| {
        let mut v = base(&c, &root, &[]);
        v.extend(strings(&[
            "-C",
            a.to_str().unwrap(),
            "-C",
            b.to_str().unwrap(),
        ]));
        v.extend(strings(extra));
        v
    };
    compare("-C -c", &conf(&["-c"]));
    let names = module_names(&c, &root);
    compare_batches("-C -D", &conf(&["-D"]), &names, 400);
    let targeted = [
        "loop",
        "my-loop",
        "my-fsx",
        "vfat",
        "ext4",
        "btrfs",
        "xfs",
        "nf_tables",
        "cifs",
        "e1000e",
        "pci:v0000DEADd00001234",
        "dummy-inst",
        "only-remove",
        "old-name",
        "never-read",
        "hidden",
        "fat",
        "my-snd",
        "snd-pcsp",
        "symbol:fat_search_long",
        "long-cmd",
    ];
    for (what, flags) in [
        ("-C -D", &["-D"][..]),
        ("-C -D -b", &["-D", "-b"]),
        ("-C -D -i", &["-D", "-i"]),
        ("-C -R", &["-R"]),
        ("-C -n -v", &["-n", "-v"]),
        ("-C -r -n -v", &["-r", "-n", "-v"]),
        ("-C -r -D", &["-r", "-D"]),
    ] {
        compare_each(what, &conf(flags), &[], 1, &targeted);
    }
    let mut a1 = conf(&["-D", "vfat", "a=1", "b=x y"]);
    compare("-C -D vfat with options", &a1);
    a1 = conf(&["-D", "my-loop", "z=1"]);
    compare("-C -D my-loop with options", &a1);
}

#[test]
fn messages_and_exit_codes() {
    let Some(c) = corpus() else { return };
    let root = tree(&c, "root");
    let moddir = root.join("lib/modules").join(&c.release);
    let fat = moddir.join("kernel/fs/fat/fat.ko");
    let fat = fat.to_str().unwrap();
    let empty = Path::new(env!("CARGO_TARGET_TMPDIR")).join("modprobe_vs_kmod/empty.conf");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["-D", "no-such-module"],
        vec!["-q", "-D", "no-such-module"],
        vec!["-a", "-D", "no-such-module", "loop", "other-missing"],
        vec!["-R", "no-such-module"],
        vec!["-D", "pci:v]"],
        vec!["-D", "/abs/path/x.ko"],
        vec![],
        vec!["-D"],
        vec!["-w", "abc", "-r", "loop"],
        vec!["-w", "", "-r", "loop"],
        vec!["-Z"],
        vec!["--bogus-option"],
        // glibc getopt_long's checks and messages: abbreviations, ambiguity in kmod's table order,
        // arguments where none is allowed or one is missing, permutation.
        vec!["--rem", "loop"],
        vec!["--show-", "loop"],
        vec!["--show-d", "loop"],
        vec!["--foo=bar", "loop"],
        vec!["--remove-d=3", "loop"],
        vec!["-D", "--conf"],
        vec!["-D", "-w"],
        vec!["-D", "loop", "--verb"],
        vec!["--ig", "-D", "loop"],
        vec!["-r", "-n", "loop"],
        vec!["-r", "unix"],
        vec!["-r", "-a", "unix", "no-such-module", "loop"],
        vec!["-r", "no-such-module"],
        vec!["-r", "--first-time", "-n", "loop"],
        vec!["-n", "-v", "loop"],
        vec!["-n", "-v", "btrfs"],
        vec!["-n", "-q", "-v", "loop"],
        vec!["-D", "--first-time", "loop"],
        vec!["-D", "-C", empty, "btrfs"],
        vec!["-c", "-C", empty],
        vec!["-c", "-C", "/no/such/dir"],
        vec!["--show-exports", fat],
        vec!["--show-modversions", fat],
        vec!["--dump-modversions", fat],
        vec!["--show-exports", "/no/such/file.ko"],
        vec!["--show-modversions"],
        vec!["--show-depends", "--dirname", "/no/such/root", "loop"],
    ];
    for case in cases {
        let args = base(&c, &root, &case);
        compare(&format!("modprobe {}", case.join(" ")), &args);
    }
    // MODPROBE_OPTIONS is read before the command line (-q there silences the FATAL message).
    for env in ["-q", "-v", "-C /no/such", "\"-q\""] {
        let args = base(&c, &root, &["-D", "no-such-module"]);
        let k = Command::new(kmod_tool("modprobe").unwrap())
            .args(&args)
            .env("MODPROBE_OPTIONS", env)
            .output()
            .unwrap();
        let l = Command::new(env!("CARGO_BIN_EXE_lkm"))
            .args(["--host", "modprobe"])
            .args(&args)
            .env("MODPROBE_OPTIONS", env)
            .output()
            .unwrap();
        assert_same(
            &format!("MODPROBE_OPTIONS={env}: stdout"),
            &k.stdout,
            &l.stdout,
        );
        assert_same(
            &format!("MODPROBE_OPTIONS={env}: stderr"),
            &k.stderr,
            &l.stderr,
        );
        assert_eq!(k.status.code(), l.status.code(), "MODPROBE_OPTIONS={env}");
    }
}

#[test]
fn all_softdeps_option_uses_every_line() {
    // lkm's fix: btrfs's modinfo has four softdep lines; kmod 30 uses only the first.
    let Some(c) = corpus() else { return };
    let root = tree(&c, "root");
    let mut a = base(&c, &root, &["-D", "btrfs"]);
    let k = run(true, &a);
    a.insert(0, "--all-softdeps".into());
    let l = run(false, &a);
    assert_eq!(l.code, Some(0));
    let (k, l) = (
        String::from_utf8_lossy(&k.stdout).into_owned(),
        String::from_utf8_lossy(&l.stdout).into_owned(),
    );
    assert!(!k.contains("xxhash_generic"), "{k}");
    for m in ["xxhash_generic", "sha256", "crc32c-intel"] {
        assert!(l.contains(m), "{m} missing from:\n{l}");
    }
    // Each module once, every module kmod loads still loaded, btrfs last.
    let mut seen = std::collections::HashSet::new();
    assert!(l.lines().all(|line| seen.insert(line)), "{l}");
    for line in k.lines() {
        assert!(l.contains(line), "{line} missing from:\n{l}");
    }
    assert!(l.trim_end().ends_with("btrfs.ko"), "{l}");
}

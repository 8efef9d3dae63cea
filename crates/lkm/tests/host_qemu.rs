//! lkm's tools on a real Linux kernel: Debian 12's `linux-image-amd64` (6.1) booted under QEMU (TCG,
//! never KVM) by `scripts/qemu/run.sh`, with a busybox initramfs holding the static lkm binary and
//! Debian's kmod 30.
//!
//! * **kmod versus lkm**: the guest runs the same steps (`scripts/qemu/guest/steps.sh`) with kmod's
//!   tools and with lkm's installed under kmod's names (`lkm install-links`); every step's stdout,
//!   stderr, exit status, `/proc/modules` and new dmesg lines must be identical. run.sh prints a
//!   diff for each step that differs; the README's deliberate differences (`.ko.gz`) are printed
//!   but allowed.
//! * **Sandbox versus Linux**: the repository's examples (hello, params, export, chardev), built
//!   against the SDK, run here in the sandbox kernel with the same commands as in the guest (where
//!   they were built against linux-headers-amd64); each step's dmesg lines and output must match.
//!
//! Without QEMU, the Debian kernel or its headers the test skips with a message, except under CI
//! (env CI set), where it fails. `LKM_QEMU_REUSE=1` (ignored under CI) reuses the last boot's
//! results for the sandbox comparison.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{skip_or_fail, Kernel};

/// What the test needs on the host, or why it cannot run.
fn prerequisites() -> Result<(), String> {
    let qemu_ok = Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !qemu_ok {
        return Err(
            "qemu-system-x86_64 is not installed (apt-get install --no-install-recommends qemu-system-x86)"
                .into(),
        );
    }
    let kernels: Vec<String> = std::fs::read_dir("/boot")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_prefix("vmlinuz-")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    if kernels.is_empty() {
        return Err("no /boot/vmlinuz-* (apt-get install linux-image-amd64)".into());
    }
    if !kernels
        .iter()
        .any(|k| Path::new("/lib/modules").join(k).join("build").is_dir())
    {
        return Err("no kernel headers (apt-get install linux-headers-amd64)".into());
    }
    Ok(())
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One step's record from the guest.
#[derive(Debug)]
struct Step {
    out: String,
    rc: String,
    dmesg: String,
}

fn read_step(dir: &Path) -> Step {
    let f = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
    Step {
        out: f("out"),
        rc: f("rc").trim().to_string(),
        dmesg: f("dmesg"),
    }
}

/// The step directory `NN-name` of a set.
fn find_step(set: &Path, name: &str) -> PathBuf {
    std::fs::read_dir(set)
        .unwrap_or_else(|e| panic!("{}: {e}", set.display()))
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split_once('-'))
                .is_some_and(|(_, n)| n == name)
        })
        .unwrap_or_else(|| panic!("no step {name} in {}", set.display()))
}

/// Kernel messages that depend on the kernel's history rather than on the module: Linux prints them
/// once per boot (the guest's were printed before the compared steps), the sandbox on its first
/// load. And the dynamic character major: 6.1's own drivers in the guest hold 254 downwards.
fn normalize(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.contains("loading out-of-tree module taints kernel")
                && !l.contains("module verification failed")
        })
        .map(|l| {
            if let Some((head, tail)) = l.split_once("registered as ") {
                if let Some((_, minor)) = tail.split_once(':') {
                    return format!("{head}registered as MAJOR:{minor}\n");
                }
            }
            match l.split_once(' ') {
                Some((num, rest)) if rest == "acme" && num.bytes().all(|b| b.is_ascii_digit()) => {
                    "MAJOR acme\n".to_string()
                }
                _ => format!("{l}\n"),
            }
        })
        .collect()
}

/// The guest's example steps replayed in the sandbox: each entry is a step name of steps.sh and the
/// `lkm` commands doing the same there (`{hello}` and so on: the folder where that example was built
/// against the SDK, as its README says, `make KDIR=$(lkm sdk)`).
const SANDBOX_STEPS: &[(&str, &[&[&str]])] = &[
    ("ex-hello-load", &[&["insmod", "{hello}/hello.ko"]]),
    ("ex-hello-unload", &[&["rmmod", "hello"]]),
    (
        "ex-params-load",
        &[
            &[
                "insmod",
                "{params}/params.ko",
                "myint=42",
                "mycharp=hi",
                "myintarray=1,2,3",
                "mystring=hello",
                "verbose=3",
                "myinvbool=n",
            ],
            &["cat", "/sys/module/params/parameters/myint"],
        ],
    ),
    (
        "ex-params-write",
        &[
            &["write", "/sys/module/params/parameters/verbose", "9"],
            &["cat", "/sys/module/params/parameters/verbose"],
        ],
    ),
    ("ex-params-unload", &[&["rmmod", "params"]]),
    (
        "ex-export-load",
        &[
            &["insmod", "{export}/provider.ko"],
            &["insmod", "{export}/consumer.ko"],
        ],
    ),
    ("ex-export-unload", &[&["rmmod", "consumer", "provider"]]),
    (
        "ex-chardev-load",
        &[&["insmod", "{chardev}/acme.ko"], &["cat", "/proc/devices"]],
    ),
    (
        "ex-chardev-io",
        &[&["write", "/dev/acme", "hello"], &["cat", "/dev/acme"]],
    ),
    ("ex-chardev-unload", &[&["rmmod", "acme"]]),
];

/// Runs the example steps in a sandbox kernel; returns (step, output, exit status, dmesg) per step.
fn sandbox_run() -> Vec<(String, Step)> {
    let dirs: Vec<(String, String)> = ["hello", "params", "export", "chardev"]
        .iter()
        .map(|ex| (format!("{{{ex}}}"), common::built_ok(ex).path()))
        .collect();
    let k = Kernel::new("qemu-promise");
    k.boot();
    let _ = k.run(&["dmesg", "-C"]);
    let mut steps = Vec::new();
    for (name, cmds) in SANDBOX_STEPS {
        let mut out = String::new();
        let mut rc = 0;
        for cmd in *cmds {
            let args: Vec<String> = cmd
                .iter()
                .map(|a| {
                    dirs.iter()
                        .fold(a.to_string(), |a, (key, dir)| a.replace(key, dir))
                })
                .collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = k.run(&args);
            // The guest greps /proc/devices for the driver's line.
            if args == ["cat", "/proc/devices"] {
                out.extend(
                    r.stdout
                        .lines()
                        .filter(|l| l.ends_with(" acme"))
                        .map(|l| format!("{}\n", l.trim_start())),
                );
            } else {
                out.push_str(&r.stdout);
            }
            rc = r.code.unwrap_or(-1);
            if rc != 0 {
                out.push_str(&r.stderr);
                break;
            }
        }
        let dmesg = k.run(&["dmesg", "-t", "-c"]).stdout;
        steps.push((
            name.to_string(),
            Step {
                out,
                rc: rc.to_string(),
                dmesg,
            },
        ));
    }
    steps
}

fn unified_diff(label_a: &str, a: &str, label_b: &str, b: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lkm-qemu-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a"), a).unwrap();
    std::fs::write(dir.join("b"), b).unwrap();
    let o = Command::new("diff")
        .args(["-u", "--label", label_a, "--label", label_b])
        .arg(dir.join("a"))
        .arg(dir.join("b"))
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match o {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => format!("--- {label_a}\n{a}+++ {label_b}\n{b}"),
    }
}

#[test]
fn tools_on_a_real_kernel_match_kmod_and_the_sandbox() {
    if let Err(why) = prerequisites() {
        skip_or_fail(&why);
        return;
    }
    let Some(_) = common::env() else { return };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qemu");
    // LKM_QEMU_REUSE=1: compare the sandbox with the results of the last boot instead of booting
    // again (for work on the sandbox side; never set in CI).
    let reuse = std::env::var_os("LKM_QEMU_REUSE").is_some()
        && std::env::var_os("CI").is_none()
        && out.join("res/lkm").is_dir();
    let code = if reuse {
        eprintln!(
            "host_qemu: LKM_QEMU_REUSE: using the results in {}",
            out.display()
        );
        Some(0)
    } else {
        eprintln!(
            "host_qemu: running scripts/qemu/run.sh {} (static lkm build, initramfs, one QEMU boot)",
            out.display()
        );
        Command::new(repo().join("scripts/qemu/run.sh"))
            .arg(&out)
            .status()
            .expect("cannot run scripts/qemu/run.sh")
            .code()
    };
    assert_eq!(
        code,
        Some(0),
        "the QEMU test failed: kmod and lkm differ on the real kernel (diffs above), or the harness \
         failed (exit 2; console log under {})",
        out.display()
    );

    // The sandbox-host promise: the examples behave in the sandbox as on Linux.
    let lkm_set = out.join("res/lkm");
    let mut differences = Vec::new();
    for (name, sandbox) in sandbox_run() {
        let guest = read_step(&find_step(&lkm_set, &name));
        for (what, g, s) in [
            ("exit status", &guest.rc, &sandbox.rc),
            ("output", &guest.out, &sandbox.out),
            ("dmesg", &guest.dmesg, &sandbox.dmesg),
        ] {
            let (g, s) = (normalize(g), normalize(s));
            if g != s {
                differences.push(unified_diff(
                    &format!("linux {name} {what}"),
                    &g,
                    &format!("sandbox {name} {what}"),
                    &s,
                ));
            } else {
                eprintln!("host_qemu: sandbox = linux: {name} {what}");
            }
        }
    }
    assert!(
        differences.is_empty(),
        "the examples behave differently in the sandbox and on Linux 6.1:\n{}",
        differences.join("\n")
    );
}

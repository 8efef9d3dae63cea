//! Differential test: our `dmesg` against util-linux's, fed the same records.
//!
//! util-linux reads a `SYSLOG_ACTION_READ_ALL`-format file with `dmesg -F FILE`; we write the
//! records in that format with `log::syslog_line` and compare the output of both for a set of
//! options. Skips when no `dmesg` binary is installed.

use std::io;
use std::path::Path;
use std::process::Command;

use lkm_printk::dmesg::{run_dmesg_with, HostKmsg, KmsgSource, TimeZone};
use lkm_printk::log::{syslog_line, Record};

struct Fixed(Vec<Record>, f64);

impl KmsgSource for Fixed {
    fn read_all(&mut self) -> io::Result<Vec<Record>> {
        Ok(self.0.clone())
    }
    fn wait_newer(&mut self, _after: Option<u64>) -> io::Result<Vec<Record>> {
        Ok(Vec::new())
    }
    fn clear(&mut self) -> io::Result<()> {
        Err(io::Error::other("not in this test"))
    }
    fn set_console_level(&mut self, _level: u8) -> io::Result<()> {
        Err(io::Error::other("not in this test"))
    }
    fn boot_wall_secs(&mut self) -> io::Result<f64> {
        Ok(self.1)
    }
}

fn records() -> Vec<Record> {
    let texts: &[(u8, u8, u64, &[u8])] = &[
        (0, 6, 0, b"Linux version 6.1.0-lkm"),
        (0, 3, 1_234_567_000, b"e1000: link down"),
        (1, 4, 2_000_001_000, b"user warn from userspace"),
        (0, 0, 10_000_000_000, b"emerg: everything is on fire"),
        (0, 7, 11_000_000_000, b"debug message"),
        (0, 1, 12_345_678_000, b"alert msg"),
        (0, 2, 13_000_000_000, b"crit: msg"),
        (
            0,
            6,
            14_000_000_000,
            b"a.out[123]: segfault at 0 ip 0000 sp 0000 error 4",
        ),
        (0, 6, 15_000_000_000, b"tab\there ctl\x01x"),
        (0, 5, 16_000_000_000, b"ACPI: "),
        (0, 5, 17_000_000_000, b"usb 1-1:  new device"),
        (3, 6, 18_000_000_000, b"daemon: started"),
        (0, 4, 100_999_999_000, b"x:y no subsystem"),
        (0, 6, 12_345_000_000_000, b"late message"),
        (0, 6, 12_346_000_000_000, b""),
    ];
    texts
        .iter()
        .enumerate()
        .map(|(i, &(facility, level, ts_nsec, text))| Record {
            seq: i as u64,
            ts_nsec,
            facility,
            level,
            cont: false,
            newline: true,
            caller: 0,
            text: text.to_vec(),
        })
        .collect()
}

fn ours(args: &[&str], recs: &[Record], boot: f64) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_dmesg_with(
        &args,
        &mut Fixed(recs.to_vec(), boot),
        &mut out,
        &mut err,
        false,
        TimeZone::Utc,
    );
    (code, String::from_utf8(out).unwrap())
}

fn theirs(args: &[&str], file: &Path) -> (i32, String) {
    let out = Command::new("dmesg")
        .arg("-F")
        .arg(file)
        .args(args)
        .env("TZ", "UTC")
        .env("LC_ALL", "C.UTF-8")
        .env_remove("TERMINAL_COLORS_DEBUG")
        .output()
        .expect("run dmesg");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn render_matches_util_linux() {
    if Command::new("dmesg").arg("--version").output().is_err() {
        eprintln!("skipping: no dmesg binary");
        return;
    }
    let recs = records();
    let dir = std::env::temp_dir().join(format!("lkm-printk-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("syslog.txt");
    let text: String = recs.iter().map(syslog_line).collect();
    std::fs::write(&file, text).unwrap();

    let cases: &[&[&str]] = &[
        &[],
        &["-x"],
        &["-t"],
        &["-x", "-t"],
        &["--color=always"],
        &["--color=always", "-x"],
        &["--color=always", "-t"],
        &["--color=never"],
        &["-l", "err,warn"],
        &["-l", "0,1,2"],
        &["--level=DEBUG,info", "-x"],
        &["-k"],
        &["-u", "-x"],
        &["-f", "daemon,user"],
        &["-k", "-l", "info", "--color=always"],
        &["-xt", "-l", "notice", "--color=always"],
    ];
    for args in cases {
        let (tc, to) = theirs(args, &file);
        let (oc, oo) = ours(args, &recs, 0.0);
        assert_eq!((oc, oo.as_str()), (tc, to.as_str()), "dmesg {args:?}");
    }

    // -r on a syslog file prints the file as it is; on /dev/kmsg records (what we render) an empty
    // record is an empty line, so compare without the empty record.
    let file_r = dir.join("syslog-raw.txt");
    let nonempty: Vec<Record> = recs
        .iter()
        .filter(|r| !r.text.is_empty())
        .cloned()
        .collect();
    std::fs::write(
        &file_r,
        nonempty.iter().map(syslog_line).collect::<String>(),
    )
    .unwrap();
    for args in [&["-r"][..], &["-r", "-k"][..]] {
        let (tc, to) = theirs(args, &file_r);
        let (oc, oo) = ours(args, &nonempty, 0.0);
        if args.len() == 1 {
            assert_eq!((oc, oo.as_str()), (tc, to.as_str()), "dmesg {args:?}");
        } else {
            // util-linux refuses level/facility filters with -r on a syslog buffer; we read
            // records, like its /dev/kmsg path, and filter.
            assert_eq!(tc, 1);
            assert_eq!(oc, 0);
            assert!(!oo.contains("<12>") && oo.contains("<6>"));
        }
    }

    // -T uses the boot time: take the host's, as util-linux does, and skip if it moved across a
    // second boundary while dmesg ran.
    let Ok(before) = HostKmsg::new().boot_wall_secs() else {
        return;
    };
    for args in [&["-T"][..], &["-T", "-x", "--color=always"][..]] {
        let (tc, to) = theirs(args, &file);
        let after = HostKmsg::new().boot_wall_secs().unwrap();
        if before.floor() != after.floor() {
            eprintln!("skipping -T: boot time moved across a second");
            continue;
        }
        let (oc, oo) = ours(args, &recs, before);
        assert_eq!((oc, oo.as_str()), (tc, to.as_str()), "dmesg {args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The running kernel, read through `/dev/kmsg` by both (read-only: no clear, no console level).
#[test]
fn host_kmsg_matches_util_linux() {
    if Command::new("dmesg").arg("--version").output().is_err() {
        eprintln!("skipping: no dmesg binary");
        return;
    }
    let mut host = HostKmsg::new();
    let Ok(recs) = host.read_all() else {
        eprintln!("skipping: /dev/kmsg not readable");
        return;
    };
    if recs.is_empty() {
        return;
    }
    for args in [&["-x"][..], &["-r"][..], &["-t", "--color=always"][..]] {
        let out = Command::new("dmesg")
            .args(args)
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("run dmesg");
        let theirs = String::from_utf8_lossy(&out.stdout).into_owned();
        let args_s: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut ours = Vec::new();
        let code = run_dmesg_with(
            &args_s,
            &mut HostKmsg::new(),
            &mut ours,
            &mut Vec::new(),
            false,
            TimeZone::Utc,
        );
        assert_eq!(code, 0);
        let ours = String::from_utf8(ours).unwrap();
        // New messages may arrive between the two reads: compare the common prefix of lines.
        let n = theirs.lines().count().min(ours.lines().count());
        assert!(n > 0);
        let a: Vec<&str> = theirs.lines().take(n).collect();
        let b: Vec<&str> = ours.lines().take(n).collect();
        assert_eq!(b, a, "dmesg {args:?}");
    }
}

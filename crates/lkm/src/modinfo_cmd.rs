//! The `modinfo` command line, with kmod's options and their "last one wins" rule.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use lkm_kmod::modinfo::{self, ModinfoOptions};
use lkm_kmod::Reporter;

/// kmod's `modinfo` options.
pub fn command(name: &'static str) -> Command {
    let flag = |id: &'static str, short: char, long: &'static str, help: &'static str| {
        Arg::new(id)
            .short(short)
            .long(long)
            .action(ArgAction::SetTrue)
            .help(help)
    };
    Command::new(name)
        .disable_version_flag(true)
        .override_usage(format!("{name} [options] <modulename|filename> [args]"))
        .arg(flag("author", 'a', "author", "Print only 'author'"))
        .arg(flag(
            "description",
            'd',
            "description",
            "Print only 'description'",
        ))
        .arg(flag("license", 'l', "license", "Print only 'license'"))
        .arg(flag("parameters", 'p', "parameters", "Print only 'parm'"))
        .arg(flag("filename", 'n', "filename", "Print only 'filename'"))
        .arg(flag("null", '0', "null", "Use \\0 instead of \\n"))
        .arg(flag(
            "modname",
            'm',
            "modname",
            "Handle argument as module name instead of alias or filename",
        ))
        .arg(
            Arg::new("field")
                .short('F')
                .long("field")
                .value_name("FIELD")
                .action(ArgAction::Append)
                .help("Print only provided FIELD"),
        )
        .arg(
            Arg::new("set-version")
                .short('k')
                .long("set-version")
                .value_name("VERSION")
                .action(ArgAction::Append)
                .help("Use VERSION instead of `uname -r`"),
        )
        .arg(
            Arg::new("basedir")
                .short('b')
                .long("basedir")
                .value_name("DIR")
                .action(ArgAction::Append)
                .help("Use DIR as filesystem root for /lib/modules"),
        )
        .arg(flag("version", 'V', "version", "Show version"))
        .arg(
            Arg::new("modules")
                .value_name("MODULE")
                .num_args(0..)
                .action(ArgAction::Append),
        )
}

/// The last occurrence of any of the field-selecting options decides the field, as with getopt.
fn selected_field(m: &ArgMatches) -> Option<String> {
    let shortcuts = [
        ("author", "author"),
        ("description", "description"),
        ("license", "license"),
        ("parameters", "parm"),
        ("filename", "filename"),
    ];
    let mut best: Option<(usize, String)> = None;
    let mut consider = |idx: usize, value: String| {
        if best.as_ref().map(|(i, _)| idx > *i).unwrap_or(true) {
            best = Some((idx, value));
        }
    };
    for (id, field) in shortcuts {
        if m.get_flag(id) {
            if let Some(idx) = m.indices_of(id).and_then(|mut i| i.next_back()) {
                consider(idx, field.to_owned());
            }
        }
    }
    if let (Some(values), Some(indices)) = (m.get_many::<String>("field"), m.indices_of("field")) {
        for (v, idx) in values.zip(indices) {
            consider(idx, v.clone());
        }
    }
    best.map(|(_, f)| f)
}

fn last(m: &ArgMatches, id: &str) -> Option<String> {
    m.get_many::<String>(id)
        .and_then(|mut v| v.next_back().cloned())
}

/// Parses `args` (args[0] is the program name) and runs modinfo; returns the exit status.
pub fn run(prog: &'static str, args: &[OsString]) -> i32 {
    let m = match command(prog).try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            // kmod's tools exit 1 on bad usage, and 0 for --help.
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if m.get_flag("version") {
        println!(
            "lkm version {} (kmod 30 compatible)",
            env!("CARGO_PKG_VERSION")
        );
        println!("+ZSTD +XZ +ZLIB +PKCS7");
        return 0;
    }
    let opts = ModinfoOptions {
        field: selected_field(&m),
        null: m.get_flag("null"),
        modname: m.get_flag("modname"),
        basedir: last(&m, "basedir").map(PathBuf::from),
        kversion: last(&m, "set-version"),
    };
    let modules: Vec<String> = m
        .get_many::<String>("modules")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let rep = Reporter::new(prog);
    let code = modinfo::run(&opts, &modules, &mut out, &mut std::io::stderr(), &rep);
    if out.flush().is_err() {
        return 1;
    }
    code
}

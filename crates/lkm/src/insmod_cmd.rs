//! The `insmod` command line: kmod 30's getopt string `psfVh` with `--version` and `--help`, kmod's
//! help text and getopt's messages for unknown options. Also the parsing helpers `rmmod` and `lsmod`
//! share.

use std::ffi::OsString;
use std::io::Write;

use clap::{Arg, ArgAction, ArgMatches, Command};
use lkm_kernel_api::Kernel;
use lkm_kmod::insmod::{self, InsmodOptions};
use lkm_kmod::Reporter;

/// Where a tool gets its kernel: called only once the command line is known to need one, so that
/// `--help` works without a kernel.
pub type KernelSource<'a> = &'a dyn Fn() -> Result<Box<dyn Kernel>, String>;

/// A short flag (and long name, if any) that may be repeated, as getopt allows.
pub(crate) fn flag(id: &'static str, short: char, long: Option<&'static str>) -> Arg {
    let a = Arg::new(id).short(short).action(ArgAction::Count);
    match long {
        Some(l) => a.long(l),
        None => a,
    }
}

/// The operands: everything that is not an option, in order, options allowed between them (GNU
/// getopt permutes) and `--` ending the options.
pub(crate) fn operands() -> Arg {
    Arg::new("args")
        .num_args(0..)
        .action(ArgAction::Append)
        .value_name("ARGS")
}

/// Parses `args` (args[0] is the program name) with `cmd`. glibc getopt's checks come first
/// ([`crate::getopt::normalize`]): an unknown, ambiguous or misused option gets getopt's message
/// (with `argv0` as getopt prints it) and status 1, as with kmod's tools; like getopt, parsing stops
/// at the first of the `terminal` options (help, version: the tool acts on it at once), so what
/// follows it is never looked at.
pub(crate) fn parse(
    cmd: Command,
    argv0: &str,
    args: &[OsString],
    terminal: &[&str],
) -> Result<ArgMatches, i32> {
    let posix = std::env::var_os("POSIXLY_CORRECT").is_some();
    let args = match crate::getopt::normalize(argv0, args, &cmd, terminal, posix) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return Err(1);
        }
    };
    match cmd.try_get_matches_from(&args) {
        Ok(m) => Ok(m),
        Err(e) => {
            let _ = e.print();
            Err(if e.use_stderr() { 1 } else { 0 })
        }
    }
}

/// Which of `ids` (options that end the program as soon as getopt meets them) came first, if any.
pub(crate) fn first_of<'a>(m: &ArgMatches, ids: &[&'a str]) -> Option<&'a str> {
    ids.iter()
        .filter(|id| m.get_count(id) > 0)
        .filter_map(|id| {
            m.indices_of(id)
                .and_then(|mut i| i.next())
                .map(|i| (i, *id))
        })
        .min()
        .map(|(_, id)| id)
}

/// The operands as strings.
pub(crate) fn operand_values(m: &ArgMatches) -> Vec<String> {
    m.get_many::<String>("args")
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

/// `-V`: lkm's version, in the two lines kmod prints.
pub(crate) fn print_version() {
    println!(
        "lkm version {} (kmod 30 compatible)",
        env!("CARGO_PKG_VERSION")
    );
    println!("+ZSTD +XZ +ZLIB +PKCS7");
}

/// Obtains the kernel, or reports why not (`PROG: ERROR: …`).
pub(crate) fn get_kernel(kernel: KernelSource, prog: &str) -> Result<Box<dyn Kernel>, i32> {
    kernel().map_err(|why| {
        let mut rep = Reporter::new(prog);
        rep.error(&why);
        let _ = std::io::stderr().write_all(&rep.take());
        1
    })
}

/// kmod 30's insmod options.
pub fn command(name: &'static str) -> Command {
    Command::new(name)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .override_usage(format!("{name} [options] filename [args]"))
        .arg(flag("p", 'p', None))
        .arg(flag("s", 's', None))
        .arg(flag("force", 'f', None))
        .arg(flag("version", 'V', Some("version")))
        .arg(flag("help", 'h', Some("help")))
        .arg(operands())
}

fn help(prog: &str) {
    print!(
        "Usage:\n\
         \t{prog} [options] filename [args]\n\
         Options:\n\
         \t-V, --version     show version\n\
         \t-h, --help        show this help\n"
    );
}

/// Parses `args` (args[0] is the program name as getopt should print it) and runs insmod as `prog` on
/// the kernel from `kernel`; returns the exit status.
pub fn run(prog: &'static str, args: &[OsString], kernel: KernelSource) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| prog.to_owned());
    let m = match parse(command(prog), &argv0, args, &["help", "version"]) {
        Ok(m) => m,
        Err(code) => return code,
    };
    match first_of(&m, &["help", "version"]) {
        Some("help") => {
            help(prog);
            return 0;
        }
        Some(_) => {
            print_version();
            return 0;
        }
        None => {}
    }
    let operands = operand_values(&m);
    let opts = InsmodOptions {
        force: m.get_count("force") > 0,
    };
    let rep = Reporter::new(prog);
    // The checks that need no kernel come first, so they behave the same without one.
    if operands.is_empty() || operands[0] == "-" {
        return insmod::run(&opts, &operands, &Unreached, &mut std::io::stderr(), &rep);
    }
    let kernel = match get_kernel(kernel, prog) {
        Ok(k) => k,
        Err(code) => return code,
    };
    insmod::run(&opts, &operands, &*kernel, &mut std::io::stderr(), &rep)
}

/// Passed where the tool is known to fail on its arguments before it would touch a kernel, so that
/// those errors read the same whether or not a kernel is available.
pub(crate) struct Unreached;

fn unreached<T>() -> std::io::Result<T> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

impl Kernel for Unreached {
    fn release(&self) -> std::io::Result<String> {
        unreached()
    }
    fn init_module(&self, _: &[u8], _: &str) -> std::io::Result<()> {
        unreached()
    }
    fn finit_module(&self, _: &std::fs::File, _: &str, _: u32) -> std::io::Result<()> {
        unreached()
    }
    fn delete_module(&self, _: &str, _: u32) -> std::io::Result<()> {
        unreached()
    }
    fn read_file(&self, _: &str) -> std::io::Result<Vec<u8>> {
        unreached()
    }
    fn write_file(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
        unreached()
    }
    fn read_dir(&self, _: &str) -> std::io::Result<Vec<String>> {
        unreached()
    }
}

//! The `lsmod` command line: kmod 30's lsmod takes no options at all; any argument (`-h` included)
//! gets `Usage: <argv0>` and status 1.

use std::ffi::OsString;
use std::io::Write;

use clap::{Arg, ArgAction, Command};
use lkm_kmod::lsmod;

use crate::insmod_cmd::{get_kernel, KernelSource};

/// lsmod's (empty) option set: every argument is collected, to be refused.
pub fn command(name: &'static str) -> Command {
    Command::new(name)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .override_usage(name)
        .arg(
            Arg::new("args")
                .num_args(0..)
                .action(ArgAction::Append)
                .allow_hyphen_values(true)
                .value_parser(clap::value_parser!(OsString))
                .hide(true),
        )
}

/// Parses `args` (args[0] is the program name, printed in the usage line as kmod prints its argv[0])
/// and runs lsmod as `prog` on the kernel from `kernel`; returns the exit status.
pub fn run(prog: &'static str, args: &[OsString], kernel: KernelSource) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| prog.to_owned());
    let extra = match command(prog).try_get_matches_from(args) {
        Ok(m) => m.get_many::<OsString>("args").is_some(),
        Err(_) => true,
    };
    // kmod tests argc before anything else, including `--` and other dashes.
    if extra || args.len() != 1 {
        eprintln!("Usage: {argv0}");
        return 1;
    }
    let kernel = match get_kernel(kernel, prog) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let code = lsmod::run(&*kernel, &mut out, &mut std::io::stderr());
    if out.flush().is_err() {
        return 1;
    }
    code
}

//! The `rmmod` command line: kmod 30's getopt string `fsvVwh` with `--force --syslog --verbose
//! --version --help`, kmod's help text and getopt's messages.

use std::ffi::OsString;

use clap::Command;
use lkm_kmod::rmmod::{self, RmmodOptions};
use lkm_kmod::Reporter;

use crate::insmod_cmd::{
    first_of, flag, get_kernel, operand_values, operands, parse, print_version, KernelSource,
    Unreached,
};

/// kmod 30's rmmod options, and `-w`/`--wait`: in kmod 30's getopt string but without a case (kmod
/// answers "unexpected getopt_long() value 'w'."); lkm waits until the module is unused, as
/// rmmod's manual page describes.
pub fn command(name: &'static str) -> Command {
    Command::new(name)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .override_usage(format!("{name} [options] modulename ..."))
        .arg(flag("force", 'f', Some("force")))
        .arg(flag("syslog", 's', Some("syslog")))
        .arg(flag("verbose", 'v', Some("verbose")))
        .arg(flag("version", 'V', Some("version")))
        .arg(flag("help", 'h', Some("help")))
        .arg(flag("wait", 'w', Some("wait")))
        .arg(operands())
}

fn help(prog: &str) {
    print!(
        "Usage:\n\
         \t{prog} [options] modulename ...\n\
         Options:\n\
         \t-f, --force       forces a module unload and may crash your\n\
         \t                  machine. This requires Forced Module Removal\n\
         \t                  option in your kernel. DANGEROUS\n\
         \t-s, --syslog      print to syslog, not stderr\n\
         \t-v, --verbose     enables more messages\n\
         \t-V, --version     show version\n\
         \t-h, --help        show this help\n"
    );
}

/// Parses `args` (args[0] is the program name as getopt should print it) and runs rmmod as `prog` on
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
    let opts = RmmodOptions {
        force: m.get_count("force") > 0,
        syslog: m.get_count("syslog") > 0,
        verbose: u32::from(m.get_count("verbose")),
        module_dir: None,
        wait: m.get_count("wait") > 0,
    };
    let operands = operand_values(&m);
    let rep = Reporter::new(prog);
    if operands.is_empty() {
        return rmmod::run(&opts, &operands, &Unreached, &mut std::io::stderr(), &rep);
    }
    let kernel = match get_kernel(kernel, prog) {
        Ok(k) => k,
        Err(code) => return code,
    };
    rmmod::run(&opts, &operands, &*kernel, &mut std::io::stderr(), &rep)
}

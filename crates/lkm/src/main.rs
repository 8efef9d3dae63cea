//! `lkm`: one binary for the whole system. Run as `lkm <command>`, or through a link named after a kmod
//! tool (`modinfo`, `insmod`, …) to behave as that tool.

mod modinfo_cmd;
mod modpost_cmd;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};

/// The kmod tool names `lkm` answers to when run through a link.
const KMOD_TOOLS: [&str; 6] = ["insmod", "rmmod", "lsmod", "modinfo", "modprobe", "depmod"];

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.first().map(|a| {
        Path::new(a)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    });
    let code = match argv0.as_deref() {
        Some("modinfo") => modinfo_cmd::run("modinfo", &args),
        Some(tool) if KMOD_TOOLS.contains(&tool) => not_yet(tool),
        _ => lkm_main(args),
    };
    ExitCode::from(code as u8)
}

fn not_yet(tool: &str) -> i32 {
    eprintln!(
        "{tool}: ERROR: lkm does not implement '{tool}' on the running kernel yet; use kmod's {tool} for now \
         (lkm modinfo works: 'lkm modinfo --help')"
    );
    1
}

fn cli() -> Command {
    Command::new("lkm")
        .about("The Linux loadable-kernel-module system: kmod-compatible tools and a sandbox kernel")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            modinfo_cmd::command("modinfo")
                .about("Show information about a kernel module (kmod's modinfo)"),
        )
        .subcommand(
            Command::new("install-links")
                .about("Make links named insmod, rmmod, lsmod, modinfo, modprobe and depmod to this binary")
                .arg(Arg::new("dir").required(true).value_name("DIR").value_parser(clap::value_parser!(PathBuf)))
                .arg(
                    Arg::new("force")
                        .short('f')
                        .long("force")
                        .action(ArgAction::SetTrue)
                        .help("Replace existing files of those names"),
                ),
        )
}

fn lkm_main(args: Vec<OsString>) -> i32 {
    let mut argv = args.clone();
    // `lkm modinfo ...` goes straight to the kmod-compatible parser, so that its flags behave exactly as
    // kmod's (for example `-V`, and errors exiting with status 1).
    if argv.get(1).map(|a| a == "modinfo").unwrap_or(false) {
        argv.remove(0);
        return modinfo_cmd::run("modinfo", &argv);
    }
    // The SDK's makefile drives modpost with its own small flag set, as Kbuild drives scripts/mod/modpost.
    if argv.get(1).map(|a| a == "modpost").unwrap_or(false) {
        return modpost_cmd::run(&argv[2..]);
    }
    let matches = match cli().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    match matches.subcommand() {
        Some(("install-links", m)) => {
            let dir = m.get_one::<PathBuf>("dir").expect("required");
            install_links(dir, m.get_flag("force"))
        }
        _ => unreachable!("clap requires a known subcommand"),
    }
}

fn install_links(dir: &Path, force: bool) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("lkm: ERROR: cannot find this program's own path: {e}");
            return 1;
        }
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("lkm: ERROR: cannot create {}: {e}", dir.display());
        return 1;
    }
    let mut status = 0;
    for tool in KMOD_TOOLS {
        let link = dir.join(tool);
        if force && link.symlink_metadata().is_ok() {
            let _ = std::fs::remove_file(&link);
        }
        match std::os::unix::fs::symlink(&exe, &link) {
            Ok(()) => println!("{} -> {}", link.display(), exe.display()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                eprintln!(
                    "lkm: ERROR: {} already exists; use --force to replace it",
                    link.display()
                );
                status = 1;
            }
            Err(e) => {
                eprintln!("lkm: ERROR: cannot create {}: {e}", link.display());
                status = 1;
            }
        }
    }
    status
}

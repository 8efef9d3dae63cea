//! `lkm`: one binary for the whole system. Run as `lkm <command>`, or through a link named after a kmod
//! tool (`modinfo`, `insmod`, …) to behave as that tool.

mod chardev_cmd;
mod depmod_cmd;
mod getopt;
mod insmod_cmd;
mod lsmod_cmd;
mod modinfo_cmd;
mod modpost_cmd;
mod modprobe_cmd;
mod rmmod_cmd;
mod sandbox_cmd;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};

/// The kmod tool names `lkm` answers to when run through a link.
const KMOD_TOOLS: [&str; 6] = ["insmod", "rmmod", "lsmod", "modinfo", "modprobe", "depmod"];

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // The sandbox kernel process: it must reserve its module arena before anything else runs.
    if args.get(1).is_some_and(|a| a == "__kernel") {
        return ExitCode::from(sandbox_cmd::kernel_process(&args[2..]) as u8);
    }
    let argv0 = args.first().map(|a| {
        Path::new(a)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    });
    let code = match argv0.as_deref() {
        Some("modinfo") => modinfo_cmd::run("modinfo", &args),
        // As kmod's depmod: the host's /lib/modules (or -b DIR).
        Some("depmod") => depmod_cmd::run("depmod", &args),
        // Through a link, as kmod: on the running kernel.
        Some("insmod") => insmod_cmd::run("insmod", &args, &host_kernel),
        Some("rmmod") => rmmod_cmd::run("rmmod", &args, &host_kernel),
        Some("lsmod") => lsmod_cmd::run("lsmod", &args, &host_kernel),
        Some("modprobe") => modprobe_cmd::run("modprobe", &args, &host_kernel, &|_| None),
        _ => lkm_main(args),
    };
    ExitCode::from(code as u8)
}

fn host_kernel() -> Result<Box<dyn lkm_kernel_api::Kernel>, String> {
    Ok(Box::new(lkm_kernel_api::HostKernel::new()))
}

/// The sandbox kernel `lkm insmod`, `lkm rmmod` and `lkm lsmod` act on.
fn sandbox_kernel() -> Result<Box<dyn lkm_kernel_api::Kernel>, String> {
    sandbox_cmd::sandbox_kernel()
}

/// `lkm [--host] insmod|rmmod|lsmod ARGS...`: the tool on the sandbox kernel, or with `--host` on the
/// running kernel. `None` when `args` is not such a command line.
fn kernel_tool(args: &[OsString]) -> Option<i32> {
    let host = args.get(1).is_some_and(|a| a == "--host");
    let at = if host { 2 } else { 1 };
    let tool = args.get(at)?.to_str()?;
    let kernel: &dyn Fn() -> Result<Box<dyn lkm_kernel_api::Kernel>, String> =
        if host { &host_kernel } else { &sandbox_kernel };
    let argv = &args[at..];
    match tool {
        "insmod" => Some(insmod_cmd::run("insmod", argv, kernel)),
        "rmmod" => Some(rmmod_cmd::run("rmmod", argv, kernel)),
        "lsmod" => Some(lsmod_cmd::run("lsmod", argv, kernel)),
        "modprobe" if host => Some(modprobe_cmd::run("modprobe", argv, kernel, &|_| None)),
        "modprobe" => Some(modprobe_cmd::run("modprobe", argv, kernel, &sandbox_tree)),
        _ => None,
    }
}

/// The sandbox's own module tree, `<state>/lib/modules/<release>`, and the root of its modprobe
/// configuration (`<state>/etc/modprobe.d`, …): the state directory.
fn sandbox_tree(kernel: &dyn lkm_kernel_api::Kernel) -> Option<(PathBuf, PathBuf)> {
    let release = kernel.release().ok()?;
    let state = sandbox_cmd::client().state().to_path_buf();
    Some((state.join("lib/modules").join(release), state))
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
        .arg(
            Arg::new("host")
                .long("host")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("insmod, rmmod, lsmod, modprobe: act on the running kernel instead of the sandbox kernel"),
        )
        .subcommand(
            Command::new("depmod")
                .about("Generate modules.dep and the index files (kmod's depmod; lkm depmod --help)")
                .arg(Arg::new("args").num_args(0..).allow_hyphen_values(true).trailing_var_arg(true)),
        )
        .subcommand(insmod_cmd::command("insmod").about("Insert a module file into the sandbox kernel (kmod's insmod)"))
        .subcommand(rmmod_cmd::command("rmmod").about("Remove modules from the sandbox kernel (kmod's rmmod)"))
        .subcommand(lsmod_cmd::command("lsmod").about("List the sandbox kernel's modules (kmod's lsmod)"))
        .subcommand(modprobe_cmd::command("modprobe").about("Load or remove modules with their dependencies in the sandbox kernel (kmod's modprobe)"))
        .arg(
            Arg::new("state")
                .long("state")
                .value_name("DIR")
                .help("The sandbox kernel's state directory (default: $LKM_STATE, $XDG_RUNTIME_DIR/lkm, /tmp/lkm-$UID)"),
        )
        .subcommand(Command::new("sdk").about("Print the module SDK's directory (use it as KDIR: make -C $(lkm sdk) M=$PWD modules)"))
        .subcommand(
            Command::new("build")
                .about("Build the modules of DIR (default: .) as 'make -C $(lkm sdk) M=DIR modules' does, without make")
                .arg(Arg::new("dir").value_name("DIR"))
                .arg(Arg::new("verbose").short('v').long("verbose").action(ArgAction::SetTrue).help("Print the full commands (V=1)")),
        )
        .subcommand(
            Command::new("boot")
                .about("Start a sandbox kernel in the background")
                .arg(Arg::new("mount").long("mount").value_name("DIR").help("Then show its /dev, /proc and /sys under DIR (FUSE), as 'lkm mount DIR'")),
        )
        .subcommand(
            Command::new("mount")
                .about("Show the sandbox's /dev, /proc and /sys as DIR/dev, DIR/proc and DIR/sys (FUSE, served by the running kernel)")
                .arg(Arg::new("dir").required(true).value_name("DIR")),
        )
        .subcommand(
            Command::new("umount")
                .about("Unmount a directory 'lkm mount' mounted")
                .arg(Arg::new("dir").required(true).value_name("DIR")),
        )
        .subcommand(Command::new("halt").about("Stop the sandbox kernel"))
        .subcommand(Command::new("state-dir").about("Print the sandbox kernel's state directory (its module tree is lib/modules/<release> under it)"))
        .subcommand(Command::new("status").about("Tell whether a sandbox kernel runs (exit 3 if none)"))
        .subcommand(
            Command::new("dmesg")
                .about("Print the sandbox kernel's log (util-linux dmesg's options; --host: the running kernel's)")
                .arg(Arg::new("args").num_args(0..).allow_hyphen_values(true).trailing_var_arg(true)),
        )
        .subcommand(
            Command::new("cat")
                .about("Print files of the sandbox's /proc, /sys and /dev/kmsg (a directory lists its names)")
                .arg(Arg::new("path").required(true).num_args(1..).value_name("PATH")),
        )
        .subcommand(
            Command::new("write")
                .about("Write VALUE and a newline to a sandbox file, as 'echo VALUE > PATH'")
                .arg(Arg::new("path").required(true).value_name("PATH"))
                // `lkm write PATH -3`, as `echo -3 > PATH`.
                .arg(Arg::new("value").required(true).value_name("VALUE").allow_hyphen_values(true)),
        )
        .subcommand(
            Command::new("mknod")
                .about("Make a character device node in the sandbox's /dev: mknod [-m MODE] PATH c MAJOR MINOR")
                .arg(Arg::new("mode").short('m').long("mode").value_name("MODE").help("Permission bits, octal (default 644)"))
                .arg(Arg::new("path").required(true).value_name("PATH"))
                .arg(Arg::new("type").required(true).value_name("TYPE"))
                .arg(Arg::new("major").required(true).value_name("MAJOR"))
                .arg(Arg::new("minor").required(true).value_name("MINOR")),
        )
        .subcommand(
            Command::new("ioctl")
                .about("ioctl on a sandbox device: CMD is a number or _IO(T,N), _IOR/_IOW/_IOWR(T,N,SIZE); ARG an integer or hex:BYTES")
                .arg(Arg::new("path").required(true).value_name("PATH"))
                .arg(Arg::new("cmd").required(true).value_name("CMD"))
                .arg(Arg::new("arg").value_name("ARG").allow_hyphen_values(true)),
        )
        .subcommand(
            Command::new("modpost")
                .about("modpost for the SDK's makefile (lkm modpost --help)")
                .arg(Arg::new("args").num_args(0..).allow_hyphen_values(true).trailing_var_arg(true)),
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

fn lkm_main(mut args: Vec<OsString>) -> i32 {
    if let Err(e) = sandbox_cmd::take_state_option(&mut args) {
        eprintln!("{e}");
        return 1;
    }
    let mut argv = args.clone();
    // `lkm [--host] dmesg ...` takes util-linux dmesg's options.
    {
        let host = argv.get(1).is_some_and(|a| a == "--host");
        let at = if host { 2 } else { 1 };
        if argv.get(at).is_some_and(|a| a == "dmesg") {
            let rest: Vec<String> = argv[at + 1..]
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            return sandbox_cmd::dmesg(&rest, host);
        }
    }
    // modinfo and depmod read module files and the host's module tree whatever the kernel: `--host`
    // changes nothing for them.
    if argv.get(1).is_some_and(|a| a == "--host")
        && argv.get(2).is_some_and(|a| a == "modinfo" || a == "depmod")
    {
        argv.remove(1);
    }
    // `lkm modinfo ...` goes straight to the kmod-compatible parser, so that its flags behave exactly as
    // kmod's (for example `-V`, and errors exiting with status 1).
    if argv.get(1).map(|a| a == "modinfo").unwrap_or(false) {
        argv.remove(0);
        return modinfo_cmd::run("modinfo", &argv);
    }
    // `lkm depmod ...`: kmod 30's depmod on the host's module tree (or -b DIR), with its own parser.
    // (Indexing the sandbox kernel's own module tree comes later.)
    if argv.get(1).is_some_and(|a| a == "depmod") {
        argv.remove(0);
        return depmod_cmd::run("depmod", &argv);
    }
    // `lkm [--host] insmod|rmmod|lsmod ...` take kmod's own option parsers, like modinfo.
    if let Some(code) = kernel_tool(&argv) {
        return code;
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
        Some(("sdk", _)) => sandbox_cmd::sdk(),
        Some(("build", m)) => sandbox_cmd::build(
            m.get_one::<String>("dir").map(String::as_str),
            m.get_flag("verbose"),
        ),
        Some(("boot", m)) => sandbox_cmd::boot(m.get_one::<String>("mount").map(String::as_str)),
        Some(("mount", m)) => sandbox_cmd::mount(m.get_one::<String>("dir").expect("required")),
        Some(("umount", m)) => sandbox_cmd::umount(m.get_one::<String>("dir").expect("required")),
        Some(("halt", _)) => sandbox_cmd::halt(),
        Some(("state-dir", _)) => {
            println!("{}", sandbox_cmd::client().state().display());
            0
        }
        Some(("status", _)) => sandbox_cmd::status(),
        Some(("cat", m)) => {
            let paths: Vec<String> = m
                .get_many::<String>("path")
                .expect("required")
                .cloned()
                .collect();
            sandbox_cmd::cat(&paths)
        }
        Some(("write", m)) => sandbox_cmd::write(
            m.get_one::<String>("path").expect("required"),
            m.get_one::<String>("value").expect("required"),
        ),
        Some(("mknod", m)) => chardev_cmd::mknod(
            m.get_one::<String>("path").expect("required"),
            m.get_one::<String>("type").expect("required"),
            m.get_one::<String>("major").expect("required"),
            m.get_one::<String>("minor").expect("required"),
            m.get_one::<String>("mode").map(String::as_str),
        ),
        Some(("ioctl", m)) => chardev_cmd::ioctl(
            m.get_one::<String>("path").expect("required"),
            m.get_one::<String>("cmd").expect("required"),
            m.get_one::<String>("arg").map(String::as_str),
        ),
        Some(("install-links", m)) => {
            let dir = m.get_one::<PathBuf>("dir").expect("required");
            install_links(dir, m.get_flag("force"))
        }
        Some((other, _)) => {
            eprintln!("lkm: {other}: cannot be combined with these options (see lkm --help)");
            1
        }
        None => unreachable!("clap requires a subcommand"),
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

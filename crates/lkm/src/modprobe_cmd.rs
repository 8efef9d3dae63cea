//! The `modprobe` command line: kmod 30's getopt string `arw:RibfDcnC:d:S:sqvVh` with its long
//! options, `$MODPROBE_OPTIONS` put in front of the arguments as kmod splits it, kmod's help text,
//! and one lkm option, `--all-softdeps`.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use lkm_kernel_api::Kernel;
use lkm_kmod::modprobe::{self, level, Action, ModprobeOptions};
use lkm_kmod::Reporter;

use crate::insmod_cmd::{
    first_of, flag, operand_values, operands, parse, print_version, KernelSource, Unreached,
};

fn value(id: &'static str, short: Option<char>, long: &'static str) -> Arg {
    let a = Arg::new(id)
        .long(long)
        .num_args(1)
        .allow_hyphen_values(true)
        .action(ArgAction::Append);
    match short {
        Some(c) => a.short(c),
        None => a,
    }
}

fn long_flag(id: &'static str, long: &'static str) -> Arg {
    Arg::new(id).long(long).action(ArgAction::Count)
}

/// kmod 30's modprobe options, in the order of its getopt table (which getopt's "ambiguous"
/// message follows), then lkm's own.
pub fn command(name: &'static str) -> Command {
    Command::new(name)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .override_usage(format!("{name} [options] [-i] [-b] modulename"))
        .arg(flag("all", 'a', Some("all")))
        .arg(flag("remove", 'r', Some("remove")))
        .arg(long_flag("remove-holders", "remove-dependencies").alias("remove-holders"))
        .arg(value("wait", Some('w'), "wait"))
        .arg(flag("resolve", 'R', Some("resolve-alias")))
        .arg(long_flag("first-time", "first-time"))
        .arg(flag("ignore", 'i', Some("ignore-install")).alias("ignore-remove"))
        .arg(flag("blacklist", 'b', Some("use-blacklist")))
        .arg(flag("force", 'f', Some("force")))
        .arg(long_flag("force-modversion", "force-modversion"))
        .arg(long_flag("force-vermagic", "force-vermagic"))
        .arg(flag("show-depends", 'D', Some("show-depends")))
        .arg(flag("show-config", 'c', Some("showconfig")).alias("show-config"))
        .arg(long_flag("show-modversions", "show-modversions").alias("dump-modversions"))
        .arg(long_flag("show-exports", "show-exports"))
        .arg(flag("dry-run", 'n', Some("dry-run")).alias("show"))
        .arg(value("config", Some('C'), "config"))
        .arg(value("dirname", Some('d'), "dirname"))
        .arg(value("set-version", Some('S'), "set-version"))
        .arg(flag("syslog", 's', Some("syslog")))
        .arg(flag("quiet", 'q', Some("quiet")))
        .arg(flag("verbose", 'v', Some("verbose")))
        .arg(flag("version", 'V', Some("version")))
        .arg(flag("help", 'h', Some("help")))
        .arg(long_flag("all-softdeps", "all-softdeps"))
        .arg(operands())
}

fn help(prog: &str) {
    let p = prog;
    print!(
        "Usage:\n\
         \t{p} [options] [-i] [-b] modulename\n\
         \t{p} [options] -a [-i] [-b] modulename [modulename...]\n\
         \t{p} [options] -r [-i] modulename\n\
         \t{p} [options] -r -a [-i] modulename [modulename...]\n\
         \t{p} [options] -c\n\
         \t{p} [options] --dump-modversions filename\n\
         Management Options:\n\
         \t-a, --all                   Consider every non-argument to\n\
         \t                            be a module name to be inserted\n\
         \t                            or removed (-r)\n\
         \t-r, --remove                Remove modules instead of inserting\n\
         \t    --remove-dependencies   Deprecated: use --remove-holders\n\
         \t    --remove-holders        Also remove module holders (use together with -r)\n\
         \t-w, --wait <MSEC>           When removing a module, wait up to MSEC for\n\
         \t                            module's refcount to become 0 so it can be\n\
         \t                            removed (use together with -r)\n\
         \t    --first-time            Fail if module already inserted or removed\n\
         \t-i, --ignore-install        Ignore install commands\n\
         \t-i, --ignore-remove         Ignore remove commands\n\
         \t-b, --use-blacklist         Apply blacklist to resolved alias.\n\
         \t-f, --force                 Force module insertion or removal.\n\
         \t                            implies --force-modversions and\n\
         \t                            --force-vermagic\n\
         \t    --force-modversion      Ignore module's version\n\
         \t    --force-vermagic        Ignore module's version magic\n\
         \t    --all-softdeps          lkm: use every matching softdep line, and load\n\
         \t                            softdep words before pre:/post: as pre:\n\
         \n\
         Query Options:\n\
         \t-R, --resolve-alias         Only lookup and print alias and exit\n\
         \t-D, --show-depends          Only print module dependencies and exit\n\
         \t-c, --showconfig            Print out known configuration and exit\n\
         \t-c, --show-config           Same as --showconfig\n\
         \t    --show-modversions      Dump module symbol version and exit\n\
         \t    --dump-modversions      Same as --show-modversions\n\
         \t    --show-exports          Only print module exported symbol versions and exit\n\
         \n\
         General Options:\n\
         \t-n, --dry-run               Do not execute operations, just print out\n\
         \t-n, --show                  Same as --dry-run\n\
         \t-C, --config=FILE           Use FILE instead of default search paths\n\
         \t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules\n\
         \t-S, --set-version=VERSION   Use VERSION instead of `uname -r`\n\
         \t-s, --syslog                print to syslog, not stderr\n\
         \t-q, --quiet                 disable messages\n\
         \t-v, --verbose               enables more messages\n\
         \t-V, --version               show version\n\
         \t-h, --help                  show this help\n"
    );
}

/// kmod's `prepend_options_from_env`: `$MODPROBE_OPTIONS` split at blanks (a blank inside quotes
/// does not split; a word that starts with a quote ends at the closing one, other quote pairs are
/// removed), put between the program name and the arguments. Empty words are kept, as kmod keeps
/// them.
pub fn prepend_env_options(args: &[OsString], env: Option<&str>) -> Vec<OsString> {
    let Some(env) = env else {
        return args.to_vec();
    };
    let mut buf: Vec<u8> = env.as_bytes().to_vec();
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut start = 0usize;
    let mut quote: Option<usize> = None;
    let mut s = 0usize;
    while s < buf.len() {
        match quote {
            None => {
                if buf[s] == b' ' {
                    words.push(buf[start..s].to_vec());
                    start = s + 1;
                } else if buf[s] == b'"' || buf[s] == b'\'' {
                    quote = Some(s);
                }
            }
            Some(q) => {
                if buf[s] == buf[q] {
                    if q == start {
                        words.push(buf[start + 1..s].to_vec());
                        start = s + 1;
                    } else {
                        // Drop both quote characters and go on after them.
                        buf.remove(s);
                        buf.remove(q);
                        s -= 2;
                    }
                    quote = None;
                }
            }
        }
        s += 1;
    }
    if start < s.min(buf.len()) {
        words.push(buf[start..].to_vec());
    }
    let mut out = Vec::with_capacity(args.len() + words.len());
    if let Some(a0) = args.first() {
        out.push(a0.clone());
    }
    use std::os::unix::ffi::OsStringExt;
    out.extend(words.into_iter().map(OsString::from_vec));
    out.extend(args.iter().skip(1).cloned());
    out
}

/// `strtoul(s, &end, 0)` accepting only a whole, non-empty number, as kmod checks `-w`.
fn parse_wait(s: &str) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    if digits.is_empty() {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The values of an option, in order.
fn values(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

/// Occurrence positions of a flag.
fn positions(m: &ArgMatches, id: &str) -> Vec<usize> {
    if m.get_count(id) == 0 {
        return Vec::new();
    }
    m.indices_of(id).map(|i| i.collect()).unwrap_or_default()
}

/// The kernel's own module directory and configuration root, if it has them (see [`run`]).
pub type SandboxTree = dyn Fn(&dyn Kernel) -> Option<(PathBuf, PathBuf)>;

/// Parses `args` (args[0] is the program name as getopt should print it) and runs modprobe as `prog`
/// on the kernel from `kernel`. `sandbox_tree`: the kernel's own module directory and the root its
/// configuration directories are under (`ROOT/etc/modprobe.d`, …), used when neither `-d` nor `-S`
/// is given (the sandbox's; `None` for the host). Returns the exit status.
pub fn run(
    prog: &'static str,
    args: &[OsString],
    kernel: KernelSource,
    sandbox_tree: &SandboxTree,
) -> i32 {
    let env = std::env::var("MODPROBE_OPTIONS").ok();
    let args = prepend_env_options(args, env.as_deref());
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| prog.to_owned());
    let terminal = ["help", "version"];
    let m = match parse(command(prog), &argv0, &args, &terminal) {
        Ok(m) => m,
        Err(code) => return code,
    };
    match first_of(&m, &terminal) {
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
    let rep = Reporter::new(prog);
    let mut opts = ModprobeOptions::default();
    if let Some(w) = values(&m, "wait").last() {
        match parse_wait(w) {
            Some(v) => opts.wait_msec = v,
            None => {
                let mut r = rep.fork();
                r.error(&format!("unexpected wait value '{w}'."));
                let _ = std::io::stderr().write_all(&r.take());
                return 1;
            }
        }
    }
    let count = |id: &str| m.get_count(id) > 0;
    opts.all = count("all");
    opts.remove_holders = count("remove-holders");
    opts.first_time = count("first-time");
    opts.ignore_commands = count("ignore");
    opts.use_blacklist = count("blacklist");
    opts.force = count("force");
    opts.force_modversion = count("force-modversion");
    opts.force_vermagic = count("force-vermagic");
    opts.show_depends = count("show-depends");
    opts.resolve_alias = count("resolve");
    opts.dry_run = count("dry-run");
    opts.syslog = count("syslog");
    opts.all_softdeps = count("all-softdeps");
    opts.config_paths = values(&m, "config")
        .into_iter()
        .map(PathBuf::from)
        .collect();
    opts.dirname = values(&m, "dirname").last().map(PathBuf::from);
    opts.kversion = values(&m, "set-version").last().cloned();
    opts.action = if count("show-config") {
        Action::ShowConfig
    } else if count("show-modversions") {
        Action::ShowModversions
    } else if count("show-exports") {
        Action::ShowExports
    } else if count("remove") {
        Action::Remove
    } else {
        Action::Insert
    };

    // -q sets the verbosity, -v raises it: their order matters. Both, with -C and -s, are passed on
    // to install commands in $MODPROBE_OPTIONS, in command-line order.
    let mut events: Vec<(usize, &str, Option<String>)> = Vec::new();
    for id in ["quiet", "verbose", "syslog"] {
        events.extend(positions(&m, id).into_iter().map(|i| (i, id, None)));
    }
    if let Some(idx) = m.indices_of("config") {
        let vals = values(&m, "config");
        events.extend(idx.zip(vals).map(|(i, v)| (i, "config", Some(v))));
    }
    events.sort_by_key(|e| e.0);
    let mut child = env.clone();
    let mut append = |v: &str| {
        child = Some(match child.take() {
            Some(old) => format!("{old} {v}"),
            None => v.to_owned(),
        });
    };
    for (_, id, v) in &events {
        match *id {
            "quiet" => {
                opts.verbose = level::EMERG;
                append("-q");
            }
            "verbose" => {
                opts.verbose += 1;
                append("-v");
            }
            "syslog" => append("-s"),
            _ => {
                append("-C");
                append(v.as_deref().unwrap_or_default());
            }
        }
    }
    opts.child_options = child;

    let operands = operand_values(&m);
    let needs_kernel = !operands.is_empty()
        && match opts.action {
            Action::Insert => !(opts.show_depends || opts.resolve_alias || opts.dry_run),
            Action::Remove => !(opts.show_depends || opts.dry_run),
            _ => false,
        };
    let kernel_box: Box<dyn Kernel> = match kernel() {
        Ok(k) => k,
        Err(why) if needs_kernel => {
            let mut r = rep.fork();
            r.error(&why);
            let _ = std::io::stderr().write_all(&r.take());
            return 1;
        }
        // Queries need no kernel: without one there is no command line and nothing is loaded.
        Err(_) => Box::new(Unreached),
    };
    if opts.dirname.is_none() && opts.kversion.is_none() {
        if let Some((dir, config_root)) = sandbox_tree(&*kernel_box) {
            if !dir.is_dir() {
                eprintln!(
                    "lkm: the sandbox's module tree {} does not exist yet: install modules into it with 'make -C $(lkm sdk) M=DIR modules_install'",
                    dir.display()
                );
            }
            opts.module_dir = Some(dir);
            opts.config_root = Some(config_root);
        }
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    modprobe::run(
        &opts,
        &operands,
        &*kernel_box,
        &mut out,
        &mut std::io::stderr(),
        &rep,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(env: &str) -> Vec<String> {
        prepend_env_options(
            &[OsString::from("modprobe"), OsString::from("x")],
            Some(env),
        )
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
    }

    #[test]
    fn env_options_split_like_kmod() {
        assert_eq!(split("-q -v"), ["modprobe", "-q", "-v", "x"]);
        assert_eq!(split("-q  -v"), ["modprobe", "-q", "", "-v", "x"]);
        assert_eq!(split("-q "), ["modprobe", "-q", "x"]);
        assert_eq!(split("\"a b\" c"), ["modprobe", "a b", "", "c", "x"]);
        assert_eq!(split("-Cx\"y z\"w"), ["modprobe", "-Cxy zw", "x"]);
        assert_eq!(split("\"open"), ["modprobe", "\"open", "x"]);
    }

    #[test]
    fn wait_values_like_strtoul() {
        assert_eq!(parse_wait("100"), Some(100));
        assert_eq!(parse_wait("0x10"), Some(16));
        assert_eq!(parse_wait("010"), Some(8));
        assert_eq!(parse_wait("0"), Some(0));
        assert_eq!(parse_wait(""), None);
        assert_eq!(parse_wait("1x"), None);
    }
}

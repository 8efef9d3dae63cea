//! The `depmod` command line: kmod 30's getopt string `aAb:C:E:F:euqrvnP:wmVh` and long options,
//! parsed as glibc's `getopt_long` does (permutation, `--`, unique prefixes of long options, its
//! error messages), plus `-o`/`--outdir` from kmod 31.
//!
//! `lkm depmod` and a link named `depmod` both act on the host's `/lib/modules` (or `-b DIR`), as kmod
//! does. (Indexing the sandbox kernel's own module tree comes with `modprobe` for the sandbox.)

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use lkm_kmod::depmod::{self, DepmodOptions};
use lkm_kmod::moddir::make_absolute;

use crate::getopt::{ambiguous_message, lookup, LongOpt, Lookup};

/// `--no-cache` and `--stats` (lkm's own) have no short form: these stand for them.
const NO_CACHE: char = '\u{100}';
const STATS: char = '\u{101}';

/// (long name, takes an argument, short equivalent)
const LONG: [(&str, bool, char); 21] = [
    ("all", false, 'a'),
    ("quick", false, 'A'),
    ("basedir", true, 'b'),
    ("outdir", true, 'o'),
    ("config", true, 'C'),
    ("symvers", true, 'E'),
    ("filesyms", true, 'F'),
    ("errsyms", false, 'e'),
    ("unresolved-error", false, 'u'),
    ("quiet", false, 'q'),
    ("root", false, 'r'),
    ("verbose", false, 'v'),
    ("show", false, 'n'),
    ("dry-run", false, 'n'),
    ("symbol-prefix", true, 'P'),
    ("warn", false, 'w'),
    ("map", false, 'm'),
    ("version", false, 'V'),
    ("help", false, 'h'),
    ("no-cache", false, NO_CACHE),
    ("stats", false, STATS),
];

/// Short options; `true` when they take an argument.
fn short(c: char) -> Option<bool> {
    match c {
        'b' | 'o' | 'C' | 'E' | 'F' | 'P' => Some(true),
        'a' | 'A' | 'e' | 'u' | 'q' | 'r' | 'v' | 'n' | 'w' | 'm' | 'V' | 'h' => Some(false),
        _ => None,
    }
}

/// One option as getopt returns it: the character, its argument, and the long name used (if any).
type Opt = (char, Option<OsString>, Option<&'static str>);

/// glibc `getopt_long` over `args[1..]`: the options in order, and the operands (permuted to the end).
/// `Err(())` after printing getopt's message.
fn getopt(
    argv0: &str,
    args: &[OsString],
    err: &mut dyn Write,
) -> Result<(Vec<Opt>, Vec<OsString>), ()> {
    let posix = std::env::var_os("POSIXLY_CORRECT").is_some();
    let mut opts = Vec::new();
    let mut operands = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy().into_owned();
        i += 1;
        if arg == "--" {
            operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(OsString::from(v))),
                None => (body, None),
            };
            let table: Vec<LongOpt> = LONG
                .iter()
                .map(|&(name, has_arg, c)| LongOpt {
                    name: name.to_string(),
                    has_arg,
                    val: c.to_string(),
                })
                .collect();
            let found = match lookup(&table, name) {
                Lookup::Found(k) => LONG[k],
                Lookup::Ambiguous(which) => {
                    let _ = writeln!(err, "{}", ambiguous_message(argv0, body, &table, &which));
                    return Err(());
                }
                Lookup::Unknown => {
                    let _ = writeln!(err, "{argv0}: unrecognized option '--{body}'");
                    return Err(());
                }
            };
            let (lname, has_arg, c) = found;
            let value = if has_arg {
                match value {
                    Some(v) => Some(v),
                    None if i < args.len() => {
                        i += 1;
                        Some(args[i - 1].clone())
                    }
                    None => {
                        let _ = writeln!(err, "{argv0}: option '--{lname}' requires an argument");
                        return Err(());
                    }
                }
            } else if value.is_some() {
                let _ = writeln!(err, "{argv0}: option '--{lname}' doesn't allow an argument");
                return Err(());
            } else {
                None
            };
            opts.push((c, value, Some(lname)));
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let chars: Vec<char> = arg[1..].chars().collect();
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                k += 1;
                match short(c) {
                    None => {
                        let _ = writeln!(err, "{argv0}: invalid option -- '{c}'");
                        return Err(());
                    }
                    Some(false) => opts.push((c, None, None)),
                    Some(true) => {
                        let rest: String = chars[k..].iter().collect();
                        let value = if !rest.is_empty() {
                            OsString::from(rest)
                        } else if i < args.len() {
                            i += 1;
                            args[i - 1].clone()
                        } else {
                            let _ = writeln!(err, "{argv0}: option requires an argument -- '{c}'");
                            return Err(());
                        };
                        opts.push((c, Some(value), None));
                        break;
                    }
                }
            }
            continue;
        }
        operands.push(args[i - 1].clone());
        if posix {
            operands.extend(args[i..].iter().cloned());
            break;
        }
    }
    Ok((opts, operands))
}

fn help(prog: &str) {
    print!(
        "Usage:\n\
         \t{prog} -[aA] [options] [forced_version]\n\
         \n\
         If no arguments (except options) are given, \"depmod -a\" is assumed\n\
         \n\
         depmod will output a dependency list suitable for the modprobe utility.\n\
         \n\
         Options:\n\
         \t-a, --all            Probe all modules\n\
         \t-A, --quick          Only does the work if there's a new module\n\
         \t-e, --errsyms        Report not supplied symbols\n\
         \t-n, --show           Write the dependency file on stdout only\n\
         \t-P, --symbol-prefix  Architecture symbol prefix\n\
         \t-C, --config=PATH    Read configuration from PATH\n\
         \t-v, --verbose        Enable verbose mode\n\
         \t-w, --warn           Warn on duplicates\n\
         \t-V, --version        show version\n\
         \t-h, --help           show this help\n\
         \n\
         The following options are useful for people managing distributions:\n\
         \t-b, --basedir=DIR    Use an image of a module tree.\n\
         \t-o, --outdir=DIR     Output directory for generated files.\n\
         \t-F, --filesyms=FILE  Use the file instead of the\n\
         \t                     current kernel symbols.\n\
         \t-E, --symvers=FILE   Use Module.symvers file to check\n\
         \t                     symbol versions.\n\
         \n\
         lkm's own:\n\
         \t--no-cache           Read every module; neither use nor write modules.lkm-cache\n\
         \t--stats              Say how many modules were read and how many came from the cache\n\
         \t                     (and \"(outputs unchanged)\" when the outputs were left as they were)\n"
    );
}

/// Parses `args` (args[0] is the program name) and runs depmod as `prog`; returns the exit status.
pub fn run(prog: &'static str, args: &[OsString]) -> i32 {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| prog.to_owned());
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let (options, operands) = match getopt(&argv0, args, &mut err) {
        Ok(x) => x,
        Err(()) => return 1,
    };
    let mut o = DepmodOptions::default();
    for (c, value, long) in options {
        let text = || value.clone().unwrap_or_default();
        match c {
            'a' => {}
            'A' => o.quick = true,
            'b' => o.basedir = Some(make_absolute(&text().to_string_lossy())),
            'o' => o.outdir = Some(make_absolute(&text().to_string_lossy())),
            'C' => o.config_paths.push(PathBuf::from(text())),
            'E' => o.symvers = Some(PathBuf::from(text())),
            'F' => o.system_map = Some(PathBuf::from(text())),
            'e' => o.errsyms = true,
            'v' => o.verbose += 1,
            'n' => o.dry_run = true,
            'P' => {
                let v = text();
                let b = std::os::unix::ffi::OsStrExt::as_bytes(v.as_os_str()).to_vec();
                if b.len() != 1 {
                    let _ = writeln!(err, "{prog}: FATAL: -P only takes a single char");
                    return 1;
                }
                o.sym_prefix = Some(b[0]);
            }
            'w' => o.warn_dups = true,
            NO_CACHE => o.cache = false,
            STATS => o.stats = true,
            'u' | 'q' | 'r' | 'm' => {
                let _ = match long {
                    Some(l) => writeln!(err, "{prog}: WARNING: Ignored deprecated option --{l}"),
                    None => writeln!(err, "{prog}: WARNING: Ignored deprecated option -{c}"),
                };
            }
            'h' => {
                help(prog);
                return 0;
            }
            'V' => {
                println!(
                    "lkm version {} (kmod 30 compatible)",
                    env!("CARGO_PKG_VERSION")
                );
                println!("+ZSTD +XZ +ZLIB +PKCS7");
                return 0;
            }
            _ => unreachable!("getopt returned an unknown option"),
        }
    }
    let mut operands = operands.into_iter();
    o.kversion = operands.next().map(|v| v.to_string_lossy().into_owned());
    o.files = operands.map(PathBuf::from).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let code = depmod::run(&o, prog, &mut out, &mut err);
    if out.flush().is_err() {
        return 1;
    }
    code
}

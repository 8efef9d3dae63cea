//! glibc's `getopt_long` as kmod's tools meet it: the checks it makes and the messages it prints,
//! for the tools whose options are described with clap (insmod, rmmod, modprobe) and for depmod's
//! own parser.
//!
//! A long option is found by its exact name, else by a unique prefix; several prefixes that stand
//! for one option (same argument rule, same meaning: an alias) count as one. A prefix shared by
//! different options is ambiguous: glibc lists the first option it matched and every later one that
//! differs from it, in the table's order. Options may come after operands (permutation) unless
//! `POSIXLY_CORRECT` is set; `--` ends them.

use std::ffi::OsString;

use clap::Command;

/// One long option of a getopt table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LongOpt {
    pub name: String,
    pub has_arg: bool,
    /// What the option stands for (its clap id, or depmod's short letter).
    pub val: String,
}

/// What a `--name` finds in a table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(usize),
    /// The options glibc names in its message, in table order.
    Ambiguous(Vec<usize>),
    Unknown,
}

/// `getopt_long`'s search for `name` (the text after `--`, up to any `=`).
pub(crate) fn lookup(table: &[LongOpt], name: &str) -> Lookup {
    if let Some(i) = table.iter().position(|o| o.name == name) {
        return Lookup::Found(i);
    }
    let mut first: Option<usize> = None;
    let mut ambiguous = Vec::new();
    for (i, o) in table.iter().enumerate() {
        if !o.name.starts_with(name) {
            continue;
        }
        match first {
            None => first = Some(i),
            Some(f) if table[f].has_arg != o.has_arg || table[f].val != o.val => {
                if ambiguous.is_empty() {
                    ambiguous.push(f);
                }
                ambiguous.push(i);
            }
            Some(_) => {}
        }
    }
    match first {
        None => Lookup::Unknown,
        Some(_) if !ambiguous.is_empty() => Lookup::Ambiguous(ambiguous),
        Some(f) => Lookup::Found(f),
    }
}

/// glibc's message for an ambiguous `--text`.
pub(crate) fn ambiguous_message(
    argv0: &str,
    text: &str,
    table: &[LongOpt],
    which: &[usize],
) -> String {
    let mut m = format!("{argv0}: option '--{text}' is ambiguous; possibilities:");
    for &i in which {
        m.push_str(&format!(" '--{}'", table[i].name));
    }
    m
}

/// A clap command's options as getopt sees them: the long table (each name and alias, in the order
/// the options are declared) and the short options with whether they take an argument.
pub(crate) fn tables(cmd: &Command) -> (Vec<LongOpt>, Vec<(char, bool, String)>) {
    let mut longs = Vec::new();
    let mut shorts = Vec::new();
    for a in cmd.get_arguments().filter(|a| !a.is_positional()) {
        let has_arg = a.get_action().takes_values();
        let val = a.get_id().as_str().to_string();
        if let Some(c) = a.get_short() {
            shorts.push((c, has_arg, val.clone()));
        }
        let names = a
            .get_long()
            .into_iter()
            .chain(a.get_all_aliases().unwrap_or_default());
        for name in names {
            longs.push(LongOpt {
                name: name.to_string(),
                has_arg,
                val: val.clone(),
            });
        }
    }
    (longs, shorts)
}

/// Walks `args[1..]` as `getopt_long` would for `cmd`'s options, up to and including the first
/// option in `terminal` (ids of options the tool acts on at once, so that getopt never looks
/// further). Returns the arguments with each long option spelled out in full (`--rem` →
/// `--remove`), for clap to parse; or getopt's message for the first error. `posix`: getopt's
/// `POSIXLY_CORRECT` (options end at the first operand).
pub(crate) fn normalize(
    argv0: &str,
    args: &[OsString],
    cmd: &Command,
    terminal: &[&str],
    posix: bool,
) -> Result<Vec<OsString>, String> {
    let (longs, shorts) = tables(cmd);
    let mut out: Vec<OsString> = args.iter().take(1).cloned().collect();
    let mut i = 1;
    while i < args.len() {
        let raw = &args[i];
        i += 1;
        let Some(arg) = raw.to_str() else {
            out.push(raw.clone());
            continue;
        };
        if arg == "--" {
            out.extend(args[i - 1..].iter().cloned());
            return Ok(out);
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let o = match lookup(&longs, name) {
                Lookup::Found(k) => &longs[k],
                Lookup::Ambiguous(which) => {
                    return Err(ambiguous_message(argv0, body, &longs, &which))
                }
                Lookup::Unknown => return Err(format!("{argv0}: unrecognized option '{arg}'")),
            };
            match (o.has_arg, value) {
                (false, Some(_)) => {
                    return Err(format!(
                        "{argv0}: option '--{}' doesn't allow an argument",
                        o.name
                    ))
                }
                (true, None) if i >= args.len() => {
                    return Err(format!(
                        "{argv0}: option '--{}' requires an argument",
                        o.name
                    ))
                }
                (true, None) => {
                    out.push(OsString::from(format!("--{}", o.name)));
                    out.push(args[i].clone());
                    i += 1;
                }
                (_, Some(v)) => out.push(OsString::from(format!("--{}={v}", o.name))),
                (false, None) => out.push(OsString::from(format!("--{}", o.name))),
            }
            if terminal.contains(&o.val.as_str()) {
                return Ok(out);
            }
            continue;
        }
        if arg.len() < 2 || !arg.starts_with('-') {
            // An operand: getopt permutes it after the options, unless POSIXLY_CORRECT.
            if posix {
                // The rest are operands, whatever they look like: said so to clap with `--`.
                out.push(OsString::from("--"));
                out.extend(args[i - 1..].iter().cloned());
                return Ok(out);
            }
            out.push(raw.clone());
            continue;
        }
        out.push(raw.clone());
        let chars: Vec<char> = arg[1..].chars().collect();
        for (k, &c) in chars.iter().enumerate() {
            let Some((_, has_arg, val)) = shorts.iter().find(|s| s.0 == c) else {
                return Err(format!("{argv0}: invalid option -- '{c}'"));
            };
            if *has_arg {
                // The rest of this argument, or the next one, is the value.
                if k + 1 == chars.len() {
                    if i >= args.len() {
                        return Err(format!("{argv0}: option requires an argument -- '{c}'"));
                    }
                    out.push(args[i].clone());
                    i += 1;
                }
                break;
            }
            if terminal.contains(&val.as_str()) {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(name: &str, has_arg: bool, val: &str) -> LongOpt {
        LongOpt {
            name: name.into(),
            has_arg,
            val: val.into(),
        }
    }

    #[test]
    fn lookup_follows_glibc() {
        let t = [
            opt("remove", false, "r"),
            opt("remove-dependencies", false, "5"),
            opt("remove-holders", false, "5"),
            opt("show-config", false, "c"),
            opt("showconfig", false, "c"),
            opt("config", true, "C"),
        ];
        assert_eq!(lookup(&t, "remove"), Lookup::Found(0));
        assert_eq!(lookup(&t, "rem"), Lookup::Ambiguous(vec![0, 1, 2]));
        // Two names of one option are one match.
        assert_eq!(lookup(&t, "remove-"), Lookup::Found(1));
        assert_eq!(lookup(&t, "show"), Lookup::Found(3));
        assert_eq!(lookup(&t, "conf"), Lookup::Found(5));
        assert_eq!(lookup(&t, "x"), Lookup::Unknown);
        // The empty name matches everything: the first, and each later one unlike it.
        assert_eq!(lookup(&t, ""), Lookup::Ambiguous(vec![0, 1, 2, 3, 4, 5]));
        assert_eq!(
            ambiguous_message("modprobe", "rem", &t, &[0, 1, 2]),
            "modprobe: option '--rem' is ambiguous; possibilities: '--remove' \
             '--remove-dependencies' '--remove-holders'"
        );
    }

    fn cmd() -> Command {
        use clap::{Arg, ArgAction};
        Command::new("t")
            .arg(
                Arg::new("remove")
                    .short('r')
                    .long("remove")
                    .action(ArgAction::Count),
            )
            .arg(
                Arg::new("holders")
                    .long("remove-dependencies")
                    .alias("remove-holders")
                    .action(ArgAction::Count),
            )
            .arg(Arg::new("wait").short('w').long("wait").num_args(1))
            .arg(
                Arg::new("help")
                    .short('h')
                    .long("help")
                    .action(ArgAction::Count),
            )
            .arg(Arg::new("args").num_args(0..))
    }

    fn run(args: &[&str], posix: bool) -> Result<Vec<String>, String> {
        let args: Vec<OsString> = std::iter::once("t")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        normalize("t", &args, &cmd(), &["help"], posix).map(|v| {
            v.iter()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        })
    }

    #[test]
    fn normalize_spells_out_and_checks_like_getopt() {
        assert_eq!(
            run(&["--remove-h", "x"], false).unwrap(),
            ["--remove-holders", "x"]
        );
        assert_eq!(
            run(&["--wa=5", "--wait", "6"], false).unwrap(),
            ["--wait=5", "--wait", "6"]
        );
        assert_eq!(
            run(&["--rem"], false).unwrap_err(),
            "t: option '--rem' is ambiguous; possibilities: '--remove' '--remove-dependencies' \
             '--remove-holders'"
        );
        assert_eq!(
            run(&["--x=1"], false).unwrap_err(),
            "t: unrecognized option '--x=1'"
        );
        assert_eq!(
            run(&["--remove=1"], false).unwrap_err(),
            "t: option '--remove' doesn't allow an argument"
        );
        assert_eq!(
            run(&["--wai"], false).unwrap_err(),
            "t: option '--wait' requires an argument"
        );
        assert_eq!(run(&["-q"], false).unwrap_err(), "t: invalid option -- 'q'");
        assert_eq!(
            run(&["-rw"], false).unwrap_err(),
            "t: option requires an argument -- 'w'"
        );
        assert_eq!(
            run(&["-rw5", "-w", "6"], false).unwrap(),
            ["-rw5", "-w", "6"]
        );
        // A terminal option ends the walk: what follows is never looked at.
        assert_eq!(run(&["x", "-h", "--bogus"], false).unwrap(), ["x", "-h"]);
        // `--` ends the options.
        assert_eq!(run(&["--", "--bogus"], false).unwrap(), ["--", "--bogus"]);
        // Permutation, unless POSIXLY_CORRECT: then the first operand ends the options.
        assert_eq!(
            run(&["x", "--bogus"], false).unwrap_err(),
            "t: unrecognized option '--bogus'"
        );
        assert_eq!(
            run(&["x", "--bogus"], true).unwrap(),
            ["--", "x", "--bogus"]
        );
    }
}

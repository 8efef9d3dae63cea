//! modprobe.d, `modules.softdep` and the kernel command line, read as kmod 30's libkmod reads them
//! (`kmod_config_new`): which files, in which order, and what each line means.
//!
//! Everything is kept as bytes, exactly as written, so that `modprobe -c` prints it back unchanged.
//! Messages are libkmod's, as its default logger prints them while the context is being created
//! (`libkmod: ERROR ../libkmod/libkmod-config.c:LINE FUNC: MSG`), because kmod 30 parses the
//! configuration before modprobe installs its own logger.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use lkm_modindex::normalize::alias_normalize;

use crate::depmod::config::logical_lines;

/// kmod 30's configuration directories, in precedence order (a file name found in an earlier one
/// hides the same name in later ones).
pub const DEFAULT_PATHS: [&str; 4] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// One `softdep` line: the module pattern and its pre- and post-dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Softdep {
    /// The module name pattern (`fnmatch`), `-` normalised to `_`.
    pub name: Vec<u8>,
    pub pre: Vec<Vec<u8>>,
    pub post: Vec<Vec<u8>>,
    /// Words before any `pre:`/`post:`. kmod 30 drops them; lkm's `--all-softdeps` loads them as
    /// pre-dependencies.
    pub unmarked: Vec<Vec<u8>>,
}

/// The configuration, each list in file order (files sorted by name, then the kernel command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `alias PATTERN MODNAME`.
    pub aliases: Vec<(Vec<u8>, Vec<u8>)>,
    /// `blacklist MODNAME` and `modprobe.blacklist=` on the kernel command line.
    pub blacklists: Vec<Vec<u8>>,
    /// `options NAME OPTIONS` (tabs in OPTIONS turned into spaces) and `NAME.PARAM=VALUE` from the
    /// kernel command line.
    pub options: Vec<(Vec<u8>, Vec<u8>)>,
    /// `install NAME COMMAND`.
    pub install: Vec<(Vec<u8>, Vec<u8>)>,
    /// `remove NAME COMMAND`.
    pub remove: Vec<(Vec<u8>, Vec<u8>)>,
    pub softdeps: Vec<Softdep>,
}

/// A message libkmod logs while reading the configuration: its line in `libkmod-config.c`, the
/// function, and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMessage {
    pub line: u32,
    pub func: &'static str,
    pub msg: String,
}

impl ConfigMessage {
    /// As Debian's kmod 30 (built with `--enable-debug`) prints it to stderr.
    pub fn line_text(&self) -> String {
        format!(
            "libkmod: ERROR ../libkmod/libkmod-config.c:{} {}: {}\n",
            self.line, self.func, self.msg
        )
    }
}

fn bad_line(filename: &str, linenum: u32, cmd: &[u8]) -> ConfigMessage {
    ConfigMessage {
        line: 712,
        func: "kmod_config_parse",
        msg: format!(
            "{filename} line {linenum}: ignoring bad line starting with '{}'",
            String::from_utf8_lossy(cmd)
        ),
    }
}

/// `strtok_r(s, " \t")` state over one line (a C string).
struct Tokens<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Tokens<'a> {
    fn is_delim(b: u8) -> bool {
        b == b' ' || b == b'\t'
    }

    /// The next space/tab-separated token.
    fn next_token(&mut self) -> Option<&'a [u8]> {
        while self.at < self.s.len() && Self::is_delim(self.s[self.at]) {
            self.at += 1;
        }
        if self.at >= self.s.len() {
            return None;
        }
        let start = self.at;
        while self.at < self.s.len() && !Self::is_delim(self.s[self.at]) {
            self.at += 1;
        }
        let tok = &self.s[start..self.at];
        // strtok_r overwrites the delimiter and resumes after it.
        if self.at < self.s.len() {
            self.at += 1;
        }
        Some(tok)
    }

    /// `strtok_r(NULL, "\0")`: the rest of the line as it is (leading blanks kept), `None` if empty.
    fn rest(&mut self) -> Option<&'a [u8]> {
        let r = &self.s[self.at..];
        self.at = self.s.len();
        (!r.is_empty()).then_some(r)
    }
}

/// kmod's `underscores`: `-` → `_` outside brackets; `None` for a missing word or bad brackets.
fn underscores(word: Option<&[u8]>) -> Option<Vec<u8>> {
    alias_normalize(word?).ok()
}

/// C `isspace`.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The words of a softdep value split as kmod 30's `kmod_config_add_softdep` splits them. This keeps
/// its quirk: when the value starts with exactly one blank, that blank stays part of the first word
/// (so `softdep m  pre: x`, with two spaces after the name, has no `pre:` marker).
fn softdep_words(line: &[u8]) -> Vec<&[u8]> {
    let mut words = Vec::new();
    let mut p = 0;
    let mut was_space = false;
    let mut s = 0;
    loop {
        let end = s >= line.len();
        if !end {
            let c = line[s];
            if !is_c_space(c) {
                was_space = false;
                s += 1;
                continue;
            }
            if was_space {
                p = s + 1;
                s += 1;
                continue;
            }
            was_space = true;
            if p >= s {
                s += 1;
                continue;
            }
        }
        let word = &line[p.min(s)..s];
        if !end || !was_space {
            words.push(word);
        }
        p = s + 1;
        if end {
            break;
        }
        s += 1;
    }
    words
}

fn parse_softdep(name: Vec<u8>, value: &[u8]) -> Softdep {
    #[derive(PartialEq)]
    enum Mode {
        None,
        Pre,
        Post,
    }
    let mut dep = Softdep {
        name,
        pre: Vec::new(),
        post: Vec::new(),
        unmarked: Vec::new(),
    };
    let mut mode = Mode::None;
    for w in softdep_words(value) {
        match w {
            b"pre:" => mode = Mode::Pre,
            b"post:" => mode = Mode::Post,
            // An empty word is the end of a value that ends in a blank: never a module.
            _ if w.is_empty() => {}
            _ => match mode {
                Mode::Pre => dep.pre.push(w.to_vec()),
                Mode::Post => dep.post.push(w.to_vec()),
                Mode::None => dep.unmarked.push(w.to_vec()),
            },
        }
    }
    dep
}

impl Softdep {
    /// The value `modprobe -c` prints (kmod 30's `softdep_to_char`): `pre: a b` and `post: c`, glued
    /// together without a blank between them, as kmod 30 does.
    pub fn display_value(&self) -> Vec<u8> {
        let mut v = Vec::new();
        if !self.pre.is_empty() {
            v.extend_from_slice(b"pre: ");
            v.extend_from_slice(&self.pre.join(&b' '));
        }
        if !self.post.is_empty() {
            v.extend_from_slice(b"post: ");
            v.extend_from_slice(&self.post.join(&b' '));
        }
        v
    }
}

impl Config {
    /// Parses one configuration file's bytes (`kmod_config_parse`); `filename` is the name used in
    /// messages.
    pub fn parse(&mut self, data: &[u8], filename: &str, log: &mut dyn FnMut(ConfigMessage)) {
        for (line, linenum) in logical_lines(data) {
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            // A C string: it ends at the first NUL.
            let line = match line.iter().position(|&b| b == 0) {
                Some(n) => &line[..n],
                None => &line[..],
            };
            let mut tok = Tokens { s: line, at: 0 };
            let Some(cmd) = tok.next_token() else {
                continue;
            };
            let ok = match cmd {
                b"alias" => {
                    let alias = underscores(tok.next_token());
                    let modname = underscores(tok.next_token());
                    match (alias, modname) {
                        (Some(a), Some(m)) => {
                            self.aliases.push((a, m));
                            true
                        }
                        _ => false,
                    }
                }
                b"blacklist" => match underscores(tok.next_token()) {
                    Some(m) => {
                        self.blacklists.push(m);
                        true
                    }
                    None => false,
                },
                b"options" | b"install" | b"remove" | b"softdep" => {
                    let name = underscores(tok.next_token());
                    match (name, tok.rest()) {
                        (Some(name), Some(rest)) => {
                            match cmd {
                                b"options" => {
                                    let opts = rest
                                        .iter()
                                        .map(|&b| if b == b'\t' { b' ' } else { b })
                                        .collect();
                                    self.options.push((name, opts));
                                }
                                b"install" => self.install.push((name, rest.to_vec())),
                                b"remove" => self.remove.push((name, rest.to_vec())),
                                _ => self.softdeps.push(parse_softdep(name, rest)),
                            }
                            true
                        }
                        _ => false,
                    }
                }
                b"include" | b"config" => {
                    log(ConfigMessage {
                        line: 708,
                        func: "kmod_config_parse",
                        msg: format!(
                            "{filename}: command {} is deprecated and not parsed anymore",
                            String::from_utf8_lossy(cmd)
                        ),
                    });
                    true
                }
                _ => false,
            };
            if !ok {
                log(bad_line(filename, linenum, cmd));
            }
        }
    }

    /// Adds the module options and blacklist entries of a kernel command line (`/proc/cmdline`), as
    /// kmod 30's `kmod_config_parse_kcmdline` reads it: `MOD.PARAM[=VALUE]` becomes `options MOD
    /// PARAM[=VALUE]`, `modprobe.blacklist=a,b` blacklists a and b; badly quoted tokens are skipped.
    pub fn parse_kcmdline(&mut self, cmdline: &[u8], log: &mut dyn FnMut(ConfigMessage)) {
        // read_str_safe into a 4096-byte buffer: at most 4095 bytes, as a C string.
        let text = &cmdline[..cmdline.len().min(4095)];
        let text = match text.iter().position(|&b| b == 0) {
            Some(n) => &text[..n],
            None => text,
        };
        let mut buf = text.to_vec();
        buf.push(0);

        #[derive(PartialEq, Clone, Copy)]
        enum State {
            Ignore,
            Modname,
            Param,
            Value,
            Complete,
        }
        let mut state = State::Modname;
        let mut is_quoted = false;
        let mut quote_start: Option<usize> = None;
        let mut modname = 0usize;
        let mut param: Option<usize> = None;
        let mut value: Option<usize> = None;
        let mut p = 0usize;
        loop {
            let c = buf[p];
            let mut last = false;
            match c {
                b'"' => {
                    is_quoted = !is_quoted;
                    if is_quoted && state == State::Modname && p == modname {
                        quote_start = Some(p);
                        modname = p + 1;
                    } else if state != State::Value {
                        state = State::Ignore;
                    }
                }
                0 | b' ' | b'\n' | b'\t' | 0x0b | 0x0c | b'\r' => {
                    last = c == 0;
                    if is_quoted && state == State::Value {
                    } else if is_quoted {
                        state = State::Ignore;
                    } else if state == State::Value || state == State::Param {
                        buf[p] = 0;
                        state = State::Complete;
                    } else {
                        modname = p + 1;
                        state = State::Modname;
                        quote_start = None;
                    }
                }
                b'.' => {
                    if state == State::Modname {
                        buf[p] = 0;
                        param = Some(p + 1);
                        state = State::Param;
                    } else if state == State::Param {
                        state = State::Ignore;
                    }
                }
                b'=' => {
                    if state == State::Param {
                        value = Some(p + 1);
                        state = State::Value;
                    } else if state == State::Modname {
                        state = State::Ignore;
                    }
                }
                _ => {}
            }
            if state == State::Complete {
                let (mut m, mut pa, mut v) = (modname, param.unwrap_or(0), value);
                if let (Some(qs), Some(val)) = (quote_start, v) {
                    if qs < m && val >= m {
                        // Put the bootloader's quote back around the value:
                        // "mod.param=a b" becomes mod.param="a b".
                        buf.copy_within(m..val, qs);
                        m -= 1;
                        pa -= 1;
                        let nv = val - 1;
                        buf[nv] = b'"';
                        v = Some(nv);
                    }
                }
                self.kcmdline_result(&buf, m, pa, v, log);
                modname = p + 1;
                state = State::Modname;
                quote_start = None;
            }
            if last {
                break;
            }
            p += 1;
        }
    }

    fn kcmdline_result(
        &mut self,
        buf: &[u8],
        modname: usize,
        param: usize,
        value: Option<usize>,
        log: &mut dyn FnMut(ConfigMessage),
    ) {
        let cstr = |at: usize| -> &[u8] {
            let s = &buf[at.min(buf.len())..];
            &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
        };
        let m = cstr(modname);
        let pa = cstr(param);
        if m == b"modprobe" && pa.starts_with(b"blacklist=") {
            let v = value.map(cstr).unwrap_or_default();
            for t in v.split(|&b| b == b',') {
                self.blacklists.push(t.to_vec());
            }
            return;
        }
        match alias_normalize(m) {
            Ok(name) => self.options.push((name, pa.to_vec())),
            Err(_) => log(ConfigMessage {
                line: 489,
                func: "kcmdline_parse_result",
                msg: format!(
                    "Ignoring bad option on kernel command line while parsing module name: '{}'",
                    String::from_utf8_lossy(m)
                ),
            }),
        }
    }
}

/// The configuration files kmod 30 reads from `paths` (directories or single files), in the order it
/// parses them: all `*.conf` (and `*.alias`) names of all directories sorted together by name, the
/// first directory having a name winning; a single file is listed under its base name. The module
/// directory's `modules.softdep` takes part in the sort first.
pub fn conf_files(
    paths: &[PathBuf],
    module_dir: &Path,
    log: &mut dyn FnMut(ConfigMessage),
) -> Vec<PathBuf> {
    let mut files: Vec<(Vec<u8>, PathBuf)> = vec![(
        b"modules.softdep".to_vec(),
        module_dir.join("modules.softdep"),
    )];
    let mut add = |name: Vec<u8>, path: PathBuf| {
        if let Err(at) = files.binary_search_by(|f| f.0.cmp(&name)) {
            files.insert(at, (name, path));
        }
    };
    for dir in paths {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        if !meta.is_dir() {
            // GNU basename: what follows the last '/'.
            let b = dir.as_os_str().as_bytes();
            let base = match b.iter().rposition(|&c| c == b'/') {
                Some(n) => &b[n + 1..],
                None => b,
            };
            add(base.to_vec(), dir.clone());
            continue;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let name = entry.file_name();
            let nb = name.as_bytes();
            if nb.first() == Some(&b'.') {
                continue;
            }
            if nb.len() < 6 || !(nb.ends_with(b".conf") || nb.ends_with(b".alias")) {
                continue;
            }
            let full = {
                let mut s = dir.clone().into_os_string();
                s.push("/");
                s.push(&name);
                PathBuf::from(s)
            };
            if std::fs::metadata(&full).is_ok_and(|m| m.is_dir()) {
                log(ConfigMessage {
                    line: 772,
                    func: "conf_files_filter_out",
                    msg: format!(
                        "Directories inside directories are not supported: {}/{}",
                        dir.display(),
                        name.to_string_lossy()
                    ),
                });
                continue;
            }
            add(nb.to_vec(), full);
        }
    }
    files.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Config, Vec<String>) {
        let mut cfg = Config::default();
        let mut msgs = Vec::new();
        cfg.parse(text.as_bytes(), "t.conf", &mut |m| msgs.push(m.line_text()));
        (cfg, msgs)
    }

    #[test]
    fn commands_are_read_like_kmod() {
        let (c, msgs) = parse(
            "alias foo-bar loop\nblacklist snd-pcsp\noptions  loop   max_loop=8\tx=1\n\
             install vfat /bin/echo $CMDLINE_OPTS\nremove vfat /bin/true\n\
             softdep ext4 pre: a b post: c d\nsoftdep x y pre: q\n  #c\nweakdep a b\ninclude x\n",
        );
        assert_eq!(c.aliases, vec![(b"foo_bar".to_vec(), b"loop".to_vec())]);
        assert_eq!(c.blacklists, vec![b"snd_pcsp".to_vec()]);
        assert_eq!(
            c.options,
            vec![(b"loop".to_vec(), b"  max_loop=8 x=1".to_vec())]
        );
        assert_eq!(c.install[0].1, b"/bin/echo $CMDLINE_OPTS");
        assert_eq!(c.softdeps[0].display_value(), b"pre: a bpost: c d");
        assert_eq!(c.softdeps[1].display_value(), b"pre: q");
        assert_eq!(c.softdeps[1].unmarked, vec![b"y".to_vec()]);
        assert_eq!(
            msgs,
            vec![
                "libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: t.conf line 8: ignoring bad line starting with '#c'\n",
                "libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: t.conf line 9: ignoring bad line starting with 'weakdep'\n",
                "libkmod: ERROR ../libkmod/libkmod-config.c:708 kmod_config_parse: t.conf: command include is deprecated and not parsed anymore\n",
            ]
        );
    }

    #[test]
    fn missing_values_are_bad_lines() {
        let (c, msgs) = parse("options loop\noptions loop \nalias x\nblacklist\nalias a] b\n");
        assert_eq!(c, Config::default());
        assert_eq!(msgs.len(), 5);
    }

    #[test]
    fn softdep_single_leading_blank_quirk() {
        let (c, _) = parse("softdep m  pre: x\nsoftdep n   pre: y\n");
        assert!(c.softdeps[0].pre.is_empty());
        assert_eq!(c.softdeps[1].pre, vec![b"y".to_vec()]);
    }

    #[test]
    fn kernel_command_line() {
        let mut c = Config::default();
        let mut msgs = Vec::new();
        c.parse_kcmdline(
            b"quiet random.trust_cpu=1 a.b.c=1 x=y \"parport.dyndbg=file x.c +p\" modprobe.blacklist=a,b-c m.flag bad].p=1 -- --x 0.0.0.0:1\n",
            &mut |m| msgs.push(m.line_text()),
        );
        assert_eq!(
            c.options,
            vec![
                (b"random".to_vec(), b"trust_cpu=1".to_vec()),
                (b"parport".to_vec(), b"dyndbg=\"file x.c +p\"".to_vec()),
                (b"m".to_vec(), b"flag".to_vec()),
            ]
        );
        assert_eq!(c.blacklists, vec![b"a".to_vec(), b"b-c".to_vec()]);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
    }
}

//! util-linux 2.38 `dmesg`: rendering as pure functions, option parsing, and the sources it reads.
//!
//! [`render`] reproduces `print_record()` for records read from `/dev/kmsg`: the
//! `facility:level :` decode prefix, `[%5ld.%06ld] ` / `[ctime] ` / no timestamp, `<prio>[...] `
//! raw lines, colours (timestamp green, subsystem prefix brown, alert/crit/err/warn and
//! "segfault at" messages), `\xNN` escapes of unprintable bytes (as in a UTF-8 locale) and the
//! indentation of continuation lines. [`run_dmesg`] is the command: util-linux's options and
//! messages, over a [`KmsgSource`] — [`HostKmsg`] for the running kernel, [`BufferSource`] for a
//! [`LogBuffer`].

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::log::{parse_kmsg, LogBuffer, Record};
use crate::sys;
pub use crate::time::{ctime, TimeZone, Tzif};

/// Level names, by level.
pub const LEVEL_NAMES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
];

/// Facility names, by facility.
pub const FACILITY_NAMES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "res0", "res1", "res2", "res3", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

const LEVEL_HELP: [&str; 8] = [
    "system is unusable",
    "action must be taken immediately",
    "critical conditions",
    "error conditions",
    "warning conditions",
    "normal but significant condition",
    "informational",
    "debug-level messages",
];

const FACILITY_HELP: [&str; 8] = [
    "kernel messages",
    "random user-level messages",
    "mail system",
    "system daemons",
    "security/authorization messages",
    "messages generated internally by syslogd",
    "line printer subsystem",
    "network news subsystem",
];

/// util-linux's default colour sequences.
pub mod colors {
    pub const TIME: &str = "\x1b[32m";
    pub const SUBSYS: &str = "\x1b[33m";
    pub const ALERT: &str = "\x1b[7m\x1b[31m";
    pub const CRIT: &str = "\x1b[1m\x1b[31m";
    pub const ERR: &str = "\x1b[31m";
    pub const WARN: &str = "\x1b[1m";
    pub const SEGFAULT: &str = "\x1b[2m\x1b[31m";
    pub const RESET: &str = "\x1b[0m";
}

/// How timestamps are shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// `[    1.234567] ` (the default).
    #[default]
    Monotonic,
    /// `-t`: none.
    NoTime,
    /// `-T`: `[Sun Nov 22 03:05:48 2026] `.
    Ctime,
}

/// `--color[=WHEN]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorMode {
    #[default]
    Auto,
    Always,
    Never,
}

/// What [`render`] shows. `Default` is plain `dmesg` with colours off and `-T` in UTC.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DmesgOptions {
    /// `-l`: bit `n` set = show level `n`. `None` shows all.
    pub levels: Option<u8>,
    /// `-k`, `-u`, `-f`: bit `n` set = show facility `n`. `None` shows all.
    pub facilities: Option<u32>,
    /// `-x`.
    pub decode: bool,
    /// `-r`.
    pub raw: bool,
    pub time: TimeFormat,
    /// Colours on (already resolved from [`ColorMode`]).
    pub color: bool,
    /// The zone `-T` uses.
    pub tz: TimeZone,
}

fn accept(r: &Record, opts: &DmesgOptions) -> bool {
    if let Some(l) = opts.levels {
        if r.level > 7 || l & (1 << r.level) == 0 {
            return false;
        }
    }
    if let Some(f) = opts.facilities {
        if r.facility > 31 || f & (1 << r.facility) == 0 {
            return false;
        }
    }
    true
}

/// Render records as `dmesg` prints them. `boot_wall_secs` is the wall-clock time of boot, used by
/// `-T` the way util-linux 2.38 does: whole seconds of boot plus whole seconds of the record.
pub fn render(records: &[Record], opts: &DmesgOptions, boot_wall_secs: f64) -> String {
    let mut out = String::new();
    for r in records {
        render_record(&mut out, r, opts, boot_wall_secs);
    }
    out
}

/// One record of [`render`], appended to `out`.
pub fn render_record(out: &mut String, r: &Record, opts: &DmesgOptions, boot_wall_secs: f64) {
    if !accept(r, opts) {
        return;
    }
    if r.text.is_empty() {
        out.push('\n');
        return;
    }
    let (sec, usec) = r.ts_sec_usec();
    if opts.raw {
        let prefix = format!("<{}>[{sec:5}.{usec:06}] ", r.prio());
        out.push_str(&prefix);
        safe_write(out, &r.text, prefix.len());
        out.push('\n');
        return;
    }
    let fp = if opts.decode && r.level <= 7 && usize::from(r.facility) < FACILITY_NAMES.len() {
        format!(
            "{:<6}:{:<6}: ",
            FACILITY_NAMES[usize::from(r.facility)],
            LEVEL_NAMES[usize::from(r.level)]
        )
    } else {
        String::new()
    };
    let ts = match opts.time {
        TimeFormat::Monotonic => format!("[{sec:5}.{usec:06}] "),
        TimeFormat::NoTime => String::new(),
        TimeFormat::Ctime => {
            let t = (boot_wall_secs.floor() as i64)
                .saturating_add(i64::try_from(sec).unwrap_or(i64::MAX));
            format!("[{}] ", ctime(t, &opts.tz))
        }
    };
    let indent = ts.len() + fp.len();
    out.push_str(&fp);
    if !ts.is_empty() {
        if opts.color {
            out.push_str(colors::TIME);
        }
        out.push_str(&ts);
        if opts.color {
            out.push_str(colors::RESET);
        }
    }
    if opts.color {
        let mut line: &[u8] = &r.text;
        if let Some(k) = subsys_end(line) {
            out.push_str(colors::SUBSYS);
            safe_write(out, &line[..k], indent);
            out.push_str(colors::RESET);
            line = &line[k..];
        }
        let color = match r.level {
            1 => Some(colors::ALERT),
            2 => Some(colors::CRIT),
            3 => Some(colors::ERR),
            4 => Some(colors::WARN),
            _ if line.windows(11).any(|w| w == b"segfault at") => Some(colors::SEGFAULT),
            _ => None,
        };
        if let Some(c) = color {
            out.push_str(c);
        }
        safe_write(out, line, indent);
        if color.is_some() {
            out.push_str(colors::RESET);
        }
    } else {
        safe_write(out, &r.text, indent);
    }
    out.push('\n');
}

/// `get_subsys_delimiter`: the end of the first `"...:<blank>"` prefix followed by more text.
fn subsys_end(mesg: &[u8]) -> Option<usize> {
    let mut p = 0;
    let mut sz = mesg.len();
    while sz > 0 {
        let d = p + mesg[p..p + sz].iter().position(|&b| b == b':')?;
        sz -= d - p + 1;
        if sz > 0 {
            if sz >= 2 && matches!(mesg[d + 1], b' ' | b'\t') {
                return Some(d + 2);
            }
            p = d + 1;
        }
    }
    None
}

/// `safe_fwrite`: unprintable bytes as `\xNN` (a UTF-8 locale: valid printable multibyte
/// characters pass), and a newline followed by more text indented by `indent` spaces.
fn safe_write(out: &mut String, text: &[u8], indent: usize) {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b < 0x80 {
            let printable =
                (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
            if !printable {
                out.push_str(&format!("\\x{b:02x}"));
            } else if b == b'\n' && i + 1 < text.len() && indent > 0 {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
            } else {
                out.push(b as char);
            }
            i += 1;
            continue;
        }
        let len = match b {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        let decoded = (len > 0)
            .then(|| text.get(i..i + len))
            .flatten()
            .and_then(|s| std::str::from_utf8(s).ok());
        match decoded.and_then(|s| s.chars().next().map(|c| (s, c))) {
            Some((s, c)) => {
                if c.is_control() {
                    for &x in s.as_bytes() {
                        out.push_str(&format!("\\x{x:02x}"));
                    }
                } else {
                    out.push_str(s);
                }
                i += len;
            }
            None => {
                out.push_str(&format!("\\x{b:02x}"));
                i += 1;
            }
        }
    }
}

/// Where `dmesg` gets its records and performs its actions.
pub trait KmsgSource {
    /// Every record after the last clear.
    fn read_all(&mut self) -> io::Result<Vec<Record>>;
    /// Block until there are records newer than `after_seq` (all, for `None`) and return them.
    /// An empty result means the source has ended: `dmesg -w` stops.
    fn wait_newer(&mut self, after_seq: Option<u64>) -> io::Result<Vec<Record>>;
    /// `SYSLOG_ACTION_CLEAR`.
    fn clear(&mut self) -> io::Result<()>;
    /// `SYSLOG_ACTION_READ_CLEAR` (`dmesg -c`): every record after the last clear, then clear, with
    /// nothing lost in between where the source can do it atomically.
    fn read_clear(&mut self) -> io::Result<Vec<Record>> {
        let recs = self.read_all()?;
        self.clear()?;
        Ok(recs)
    }
    /// `SYSLOG_ACTION_CONSOLE_LEVEL` with 1..=8.
    fn set_console_level(&mut self, level: u8) -> io::Result<()>;
    /// Wall-clock time of boot, in seconds since the epoch.
    fn boot_wall_secs(&mut self) -> io::Result<f64>;
}

/// The running kernel: `/dev/kmsg` and `klogctl(2)`.
#[derive(Debug, Default)]
pub struct HostKmsg {
    follow: Option<File>,
}

impl HostKmsg {
    pub fn new() -> Self {
        Self::default()
    }
}

const KMSG_READ_SIZE: usize = 8192;

/// Read one record; `Ok(None)` when none is available yet (non-blocking descriptors).
fn read_kmsg_record(f: &mut File) -> io::Result<Option<Record>> {
    let mut buf = vec![0u8; KMSG_READ_SIZE];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok(None),
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                match parse_kmsg(&text) {
                    Ok(r) => return Ok(Some(r)),
                    Err(_) => continue,
                }
            }
            // EPIPE: the record was overwritten while we read; the next read goes on.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

impl KmsgSource for HostKmsg {
    fn read_all(&mut self) -> io::Result<Vec<Record>> {
        let mut f = File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")?;
        sys::seek_data(&f)?;
        let mut recs = Vec::new();
        while let Some(r) = read_kmsg_record(&mut f)? {
            recs.push(r);
        }
        Ok(recs)
    }

    fn wait_newer(&mut self, after_seq: Option<u64>) -> io::Result<Vec<Record>> {
        if self.follow.is_none() {
            let f = File::open("/dev/kmsg")?;
            sys::seek_data(&f)?;
            self.follow = Some(f);
        }
        let f = self.follow.as_mut().expect("opened above");
        loop {
            match read_kmsg_record(f)? {
                Some(r) if after_seq.is_none_or(|s| r.seq > s) => return Ok(vec![r]),
                Some(_) => continue,
                None => return Ok(Vec::new()),
            }
        }
    }

    fn clear(&mut self) -> io::Result<()> {
        sys::klogctl_nobuf(sys::SYSLOG_ACTION_CLEAR, 0).map(|_| ())
    }

    fn set_console_level(&mut self, level: u8) -> io::Result<()> {
        sys::klogctl_nobuf(sys::SYSLOG_ACTION_CONSOLE_LEVEL, i32::from(level)).map(|_| ())
    }

    fn boot_wall_secs(&mut self) -> io::Result<f64> {
        let up = sys::boottime()?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(io::Error::other)?;
        Ok(now.saturating_sub(up).as_secs_f64())
    }
}

/// A [`LogBuffer`] as a source. `follow_timeout` bounds each wait of `dmesg -w` (`None`: forever);
/// a wait that times out ends the follow.
pub struct BufferSource<'a> {
    pub log: &'a LogBuffer,
    pub follow_timeout: Option<Duration>,
}

impl KmsgSource for BufferSource<'_> {
    fn read_all(&mut self) -> io::Result<Vec<Record>> {
        Ok(self.log.read_all())
    }
    fn wait_newer(&mut self, after_seq: Option<u64>) -> io::Result<Vec<Record>> {
        Ok(self.log.wait_after(after_seq, self.follow_timeout))
    }
    fn clear(&mut self) -> io::Result<()> {
        self.log.clear();
        Ok(())
    }
    fn read_clear(&mut self) -> io::Result<Vec<Record>> {
        Ok(self.log.read_clear())
    }
    fn set_console_level(&mut self, level: u8) -> io::Result<()> {
        self.log
            .syslog_console_level(i32::from(level))
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
    }
    fn boot_wall_secs(&mut self) -> io::Result<f64> {
        Ok(self.log.boot_wall_secs())
    }
}

/// A parse error of a level or facility list: `Some(message)`, or `None` for util-linux's silent
/// failure on an empty list item.
pub type ListError = Option<String>;

fn strtol_prefix(s: &str) -> (usize, Option<i64>) {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    (digits, s[..digits].parse::<i64>().ok())
}

/// util-linux `parse_level(str, len)`: `list_item` is `Some(len)` inside a `-l` list (0..=7), `None`
/// for `-n` (1..=8, a level name meaning "that level and more important").
fn parse_level(s: &str, list_item: Option<usize>) -> Result<u8, String> {
    let (len, offset) = match list_item {
        Some(n) => (n, 0i64),
        None => (s.len(), 1),
    };
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (n, v) = strtol_prefix(s);
        match v {
            None => {
                return Err(format!(
                    "failed to parse level '{s}': Numerical result out of range"
                ))
            }
            Some(v) => {
                let x = v - offset;
                if n == len && (0..8).contains(&x) {
                    return Ok((x + offset) as u8);
                }
            }
        }
    } else if let Some(item) = s.get(..len) {
        if let Some(i) = LEVEL_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(item))
        {
            return Ok(i as u8 + offset as u8);
        }
    }
    Err(format!("unknown level '{s}'"))
}

fn parse_facility(s: &str, len: usize) -> Result<u8, String> {
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (n, v) = strtol_prefix(s);
        match v {
            None => {
                return Err(format!(
                    "failed to parse facility '{s}': Numerical result out of range"
                ))
            }
            Some(v) if n == len && (0..FACILITY_NAMES.len() as i64).contains(&v) => {
                return Ok(v as u8)
            }
            Some(_) => {}
        }
    } else if let Some(item) = s.get(..len) {
        if let Some(i) = FACILITY_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(item))
        {
            return Ok(i as u8);
        }
    }
    Err(format!("unknown facility '{s}'"))
}

/// util-linux `string_to_bitarray` over a comma-separated list.
fn list_to_bits(
    list: &str,
    parse: impl Fn(&str, usize) -> Result<u8, String>,
) -> Result<u32, ListError> {
    let b = list.as_bytes();
    let mut bits = 0u32;
    let mut begin: Option<usize> = None;
    for p in 0..b.len() {
        if begin.is_none() {
            begin = Some(p);
        }
        let mut end = None;
        if b[p] == b',' {
            end = Some(p);
        }
        if p + 1 == b.len() {
            end = Some(p + 1);
        }
        let (Some(bg), Some(e)) = (begin, end) else {
            continue;
        };
        if e <= bg {
            return Err(None);
        }
        let bit = parse(&list[bg..], e - bg).map_err(Some)?;
        bits |= 1 << bit;
        begin = None;
        if e == b.len() {
            break;
        }
    }
    Ok(bits)
}

/// Parse a `-l` list (`err,warn`, `3`, case-insensitive names) into a level bit mask.
pub fn parse_level_list(list: &str) -> Result<u8, ListError> {
    list_to_bits(list, |s, n| parse_level(s, Some(n))).map(|b| b as u8)
}

/// Parse a `-f` list into a facility bit mask.
pub fn parse_facility_list(list: &str) -> Result<u32, ListError> {
    list_to_bits(list, parse_facility)
}

/// Parse the `-n` argument: 1..=8 or a level name (`debug` is 8).
pub fn parse_console_level(s: &str) -> Result<u8, String> {
    parse_level(s, None)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum HasArg {
    No,
    Required,
    Optional,
}

/// `(long name, argument, short code)`, in util-linux's order; codes above 0x7f have no short form.
const LONGOPTS: &[(&str, HasArg, u32)] = &[
    ("buffer-size", HasArg::Required, 's' as u32),
    ("clear", HasArg::No, 'C' as u32),
    ("color", HasArg::Optional, 'L' as u32),
    ("console-level", HasArg::Required, 'n' as u32),
    ("console-off", HasArg::No, 'D' as u32),
    ("console-on", HasArg::No, 'E' as u32),
    ("decode", HasArg::No, 'x' as u32),
    ("file", HasArg::Required, 'F' as u32),
    ("facility", HasArg::Required, 'f' as u32),
    ("follow", HasArg::No, 'w' as u32),
    ("follow-new", HasArg::No, 'W' as u32),
    ("human", HasArg::No, 'H' as u32),
    ("help", HasArg::No, 'h' as u32),
    ("json", HasArg::No, 'J' as u32),
    ("kernel", HasArg::No, 'k' as u32),
    ("level", HasArg::Required, 'l' as u32),
    ("since", HasArg::Required, OPT_SINCE),
    ("syslog", HasArg::No, 'S' as u32),
    ("raw", HasArg::No, 'r' as u32),
    ("read-clear", HasArg::No, 'c' as u32),
    ("reltime", HasArg::No, 'e' as u32),
    ("show-delta", HasArg::No, 'd' as u32),
    ("ctime", HasArg::No, 'T' as u32),
    ("noescape", HasArg::No, OPT_NOESC),
    ("notime", HasArg::No, 't' as u32),
    ("nopager", HasArg::No, 'P' as u32),
    ("until", HasArg::Required, OPT_UNTIL),
    ("userspace", HasArg::No, 'u' as u32),
    ("version", HasArg::No, 'V' as u32),
    ("time-format", HasArg::Required, OPT_TIME_FORMAT),
    ("force-prefix", HasArg::No, 'p' as u32),
];

const OPT_TIME_FORMAT: u32 = 0x100;
const OPT_NOESC: u32 = 0x101;
const OPT_SINCE: u32 = 0x102;
const OPT_UNTIL: u32 = 0x103;

/// The short options string of util-linux 2.38.
const SHORTOPTS: &str = "CcDdEeF:f:HhJkL::l:n:iPprSs:TtuVWwx";

/// Groups of mutually exclusive options (util-linux's `excl[]`).
const EXCLUSIVE: &[&[char]] = &[
    &['C', 'D', 'E', 'c', 'n', 'r'],
    &['H', 'r'],
    &['L', 'r'],
    &['S', 'w'],
    &['T', 'r'],
    &['d', 'r'],
    &['e', 'r'],
    &['r', 'x'],
    &['r', 't'],
];

fn short_has_arg(c: char) -> Option<HasArg> {
    let s = SHORTOPTS.as_bytes();
    let i = s.iter().position(|&b| b == c as u8 && b != b':')?;
    Some(match (s.get(i + 1), s.get(i + 2)) {
        (Some(b':'), Some(b':')) => HasArg::Optional,
        (Some(b':'), _) => HasArg::Required,
        _ => HasArg::No,
    })
}

fn long_name(code: u32) -> Option<&'static str> {
    LONGOPTS.iter().find(|o| o.2 == code).map(|o| o.0)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    ReadAll,
    ReadClear,
    Clear,
    ConsoleLevel(u8),
}

const TRY_HELP: &str = "Try 'dmesg --help' for more information.\n";

fn usage() -> String {
    let mut s = String::from(
        "\nUsage:\n dmesg [options]\n\nDisplay or control the kernel ring buffer.\n\nOptions:\n \
-C, --clear                 clear the kernel ring buffer\n \
-c, --read-clear            read and clear all messages\n \
-f, --facility <list>       restrict output to defined facilities\n \
-k, --kernel                display kernel messages\n \
-L, --color[=<when>]        colorize messages (auto, always or never)\n                               \
colors are enabled by default\n \
-l, --level <list>          restrict output to defined levels\n \
-n, --console-level <level> set level of messages printed to console\n \
-P, --nopager               do not pipe output into a pager\n \
-r, --raw                   print the raw message buffer\n \
-u, --userspace             display userspace messages\n \
-w, --follow                wait for new messages\n \
-W, --follow-new            wait and print only new messages\n \
-x, --decode                decode facility and level to readable string\n \
-T, --ctime                 show human-readable timestamp (may be inaccurate!)\n \
-t, --notime                don't show any timestamp with messages\n     \
--time-format <format>  show timestamp using the given format:\n                               \
[ctime|notime]\n\n \
-h, --help                  display this help\n \
-V, --version               display version\n\nSupported log facilities:\n",
    );
    for (n, h) in FACILITY_NAMES.iter().zip(FACILITY_HELP) {
        s.push_str(&format!(" {n:>7} - {h}\n"));
    }
    s.push_str("\nSupported log levels (priorities):\n");
    for (n, h) in LEVEL_NAMES.iter().zip(LEVEL_HELP) {
        s.push_str(&format!(" {n:>7} - {h}\n"));
    }
    s.push_str("\nFor more details see dmesg(1).\n");
    s
}

/// `strerror` text of an I/O error, without Rust's `(os error N)` suffix.
fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Run `dmesg` with `args` (the arguments after the program name). Colours for `--color=auto` (and
/// by default) are on when the process's stdout is a terminal and `$TERM` is set and not `dumb`;
/// `-T` uses the local time zone from `$TZ` or `/etc/localtime`.
pub fn run_dmesg(
    args: &[String],
    source: &mut dyn KmsgSource,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let tty = io::stdout().is_terminal()
        && std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb");
    run_dmesg_with(args, source, out, err, tty, TimeZone::from_env())
}

/// [`run_dmesg`] with the terminal test and the time zone given.
pub fn run_dmesg_with(
    args: &[String],
    source: &mut dyn KmsgSource,
    out: &mut dyn Write,
    err: &mut dyn Write,
    stdout_is_tty: bool,
    tz: TimeZone,
) -> i32 {
    match run_inner(args, source, out, err, stdout_is_tty, tz) {
        Ok(code) => code,
        Err(msg) => {
            let _ = err.write_all(msg.as_bytes());
            1
        }
    }
}

fn run_inner(
    args: &[String],
    source: &mut dyn KmsgSource,
    out: &mut dyn Write,
    err: &mut dyn Write,
    stdout_is_tty: bool,
    tz: TimeZone,
) -> Result<i32, String> {
    let mut opts = DmesgOptions {
        tz,
        ..DmesgOptions::default()
    };
    let mut action = Action::ReadAll;
    let mut color_mode = ColorMode::Auto;
    let mut follow = false;
    let mut follow_new = false;
    let mut excl_status: Vec<Option<char>> = vec![None; EXCLUSIVE.len()];
    let mut operands = 0usize;

    // Collect (code, argument, spelled-as) in getopt order.
    let mut i = 0;
    let mut parsed: Vec<(u32, Option<String>)> = Vec::new();
    let mut only_operands = false;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if only_operands || a == "-" || !a.starts_with('-') {
            operands += 1;
            continue;
        }
        if a == "--" {
            only_operands = true;
            continue;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let exact = LONGOPTS.iter().find(|o| o.0 == name);
            let opt = match exact {
                Some(o) => o,
                None => {
                    let cands: Vec<_> = LONGOPTS.iter().filter(|o| o.0.starts_with(name)).collect();
                    match cands.len() {
                        0 => {
                            return Err(format!(
                                "dmesg: unrecognized option '--{name}'\n{TRY_HELP}"
                            ))
                        }
                        1 => cands[0],
                        _ => {
                            let mut m =
                                format!("dmesg: option '--{name}' is ambiguous; possibilities:");
                            for c in cands {
                                m.push_str(&format!(" '--{}'", c.0));
                            }
                            return Err(format!("{m}\n{TRY_HELP}"));
                        }
                    }
                }
            };
            let arg = match (opt.1, value) {
                (HasArg::No, Some(_)) => {
                    return Err(format!(
                        "dmesg: option '--{}' doesn't allow an argument\n{TRY_HELP}",
                        opt.0
                    ))
                }
                (HasArg::Required, None) => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => {
                        return Err(format!(
                            "dmesg: option '--{}' requires an argument\n{TRY_HELP}",
                            opt.0
                        ))
                    }
                },
                (_, v) => v,
            };
            parsed.push((opt.2, arg));
            handle(
                opt.2,
                parsed.last().and_then(|p| p.1.clone()),
                &mut State {
                    opts: &mut opts,
                    action: &mut action,
                    color_mode: &mut color_mode,
                    follow: &mut follow,
                    follow_new: &mut follow_new,
                    excl_status: &mut excl_status,
                },
            )?;
            if let Some(code) = early_exit(opt.2, out) {
                return Ok(code);
            }
            continue;
        }
        let chars: Vec<char> = a[1..].chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            k += 1;
            let Some(has_arg) = short_has_arg(c) else {
                return Err(format!("dmesg: invalid option -- '{c}'\n{TRY_HELP}"));
            };
            let rest: String = chars[k..].iter().collect();
            let arg = match has_arg {
                HasArg::No => None,
                HasArg::Optional => {
                    k = chars.len();
                    (!rest.is_empty()).then_some(rest)
                }
                HasArg::Required => {
                    k = chars.len();
                    if !rest.is_empty() {
                        Some(rest)
                    } else if let Some(v) = args.get(i) {
                        i += 1;
                        Some(v.clone())
                    } else {
                        return Err(format!(
                            "dmesg: option requires an argument -- '{c}'\n{TRY_HELP}"
                        ));
                    }
                }
            };
            handle(
                c as u32,
                arg,
                &mut State {
                    opts: &mut opts,
                    action: &mut action,
                    color_mode: &mut color_mode,
                    follow: &mut follow,
                    follow_new: &mut follow_new,
                    excl_status: &mut excl_status,
                },
            )?;
            if let Some(code) = early_exit(c as u32, out) {
                return Ok(code);
            }
        }
    }
    if operands > 0 {
        return Err(format!("dmesg: bad usage\n{TRY_HELP}"));
    }

    opts.color = match color_mode {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => stdout_is_tty,
    };
    if opts.raw {
        opts.color = false;
    }

    match action {
        Action::ReadAll | Action::ReadClear => {
            let boot = if opts.time == TimeFormat::Ctime {
                match source.boot_wall_secs() {
                    Ok(b) => b,
                    Err(_) => {
                        let _ = err.write_all(b"dmesg: failed to determine boot time, timestamps will be inaccurate\n");
                        0.0
                    }
                }
            } else {
                0.0
            };
            // -c reads and clears in one step (SYSLOG_ACTION_READ_CLEAR), so a message arriving
            // between the read and the clear is not lost.
            let recs = if action == Action::ReadClear {
                source.read_clear()
            } else {
                source.read_all()
            }
            .map_err(|e| format!("dmesg: read kernel buffer failed: {}\n", strerror(&e)))?;
            let mut last = recs.last().map(|r| r.seq);
            if !follow_new {
                write_out(out, &render(&recs, &opts, boot))?;
            }
            if follow {
                loop {
                    let recs = source.wait_newer(last).map_err(|e| {
                        format!("dmesg: read kernel buffer failed: {}\n", strerror(&e))
                    })?;
                    if recs.is_empty() {
                        break;
                    }
                    last = recs.last().map(|r| r.seq).or(last);
                    write_out(out, &render(&recs, &opts, boot))?;
                }
            }
        }
        Action::Clear => {
            source
                .clear()
                .map_err(|e| format!("dmesg: clear kernel buffer failed: {}\n", strerror(&e)))?;
        }
        Action::ConsoleLevel(level) => {
            source
                .set_console_level(level)
                .map_err(|e| format!("dmesg: klogctl failed: {}\n", strerror(&e)))?;
        }
    }
    Ok(0)
}

fn write_out(out: &mut dyn Write, s: &str) -> Result<(), String> {
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("dmesg: write failed: {}\n", strerror(&e))),
    }
}

struct State<'a> {
    opts: &'a mut DmesgOptions,
    action: &'a mut Action,
    color_mode: &'a mut ColorMode,
    follow: &'a mut bool,
    follow_new: &'a mut bool,
    excl_status: &'a mut Vec<Option<char>>,
}

/// `-h` and `-V` print and exit.
fn early_exit(code: u32, out: &mut dyn Write) -> Option<i32> {
    match char::from_u32(code) {
        Some('h') => {
            let _ = out.write_all(usage().as_bytes());
            Some(0)
        }
        Some('V') => {
            let _ =
                out.write_all(format!("dmesg from lkm {}\n", env!("CARGO_PKG_VERSION")).as_bytes());
            Some(0)
        }
        _ => None,
    }
}

fn handle(code: u32, arg: Option<String>, st: &mut State<'_>) -> Result<(), String> {
    // err_exclusive_options
    if let Some(c) = char::from_u32(code) {
        for (g, group) in EXCLUSIVE.iter().enumerate() {
            if !group.contains(&c) {
                continue;
            }
            match st.excl_status[g] {
                None => st.excl_status[g] = Some(c),
                Some(prev) if prev != c => {
                    let mut m = String::from("dmesg: mutually exclusive arguments:");
                    for &o in group.iter() {
                        match long_name(o as u32) {
                            Some(n) => m.push_str(&format!(" --{n}")),
                            None => m.push_str(&format!(" -{o}")),
                        }
                    }
                    return Err(m + "\n");
                }
                Some(_) => {}
            }
        }
    }
    let arg_s = arg.unwrap_or_default();
    match code {
        c if c == 'C' as u32 => *st.action = Action::Clear,
        c if c == 'c' as u32 => *st.action = Action::ReadClear,
        c if c == 'k' as u32 => *st.opts.facilities.get_or_insert(0) |= 1,
        c if c == 'u' as u32 => {
            *st.opts.facilities.get_or_insert(0) |= !1 & ((1 << FACILITY_NAMES.len()) - 1)
        }
        c if c == 'f' as u32 => match parse_facility_list(&arg_s) {
            Ok(bits) => *st.opts.facilities.get_or_insert(0) |= bits,
            Err(Some(m)) => return Err(format!("dmesg: {m}\n")),
            Err(None) => return Err(String::new()),
        },
        c if c == 'l' as u32 => match parse_level_list(&arg_s) {
            Ok(bits) => *st.opts.levels.get_or_insert(0) |= bits,
            Err(Some(m)) => return Err(format!("dmesg: {m}\n")),
            Err(None) => return Err(String::new()),
        },
        c if c == 'L' as u32 => {
            *st.color_mode = ColorMode::Auto;
            if !arg_s.is_empty() {
                *st.color_mode = match arg_s.to_ascii_lowercase().as_str() {
                    "auto" => ColorMode::Auto,
                    "always" => ColorMode::Always,
                    "never" => ColorMode::Never,
                    _ => return Err(format!("dmesg: unsupported color mode: '{arg_s}'\n")),
                };
            }
        }
        c if c == 'n' as u32 => {
            let level = parse_console_level(&arg_s).map_err(|m| format!("dmesg: {m}\n"))?;
            *st.action = Action::ConsoleLevel(level);
        }
        c if c == 'r' as u32 => st.opts.raw = true,
        c if c == 'T' as u32 => st.opts.time = TimeFormat::Ctime,
        c if c == 't' as u32 => st.opts.time = TimeFormat::NoTime,
        c if c == 'w' as u32 => *st.follow = true,
        c if c == 'W' as u32 => {
            *st.follow = true;
            *st.follow_new = true;
        }
        c if c == 'x' as u32 => st.opts.decode = true,
        c if c == 'P' as u32 || c == 'h' as u32 || c == 'V' as u32 => {}
        OPT_TIME_FORMAT => match arg_s.as_str() {
            "notime" => st.opts.time = TimeFormat::NoTime,
            "ctime" => st.opts.time = TimeFormat::Ctime,
            "delta" | "reltime" | "iso" => {
                return Err(format!("dmesg: time format '{arg_s}' is not supported\n"))
            }
            _ => return Err(format!("dmesg: unknown time format: {arg_s}\n")),
        },
        other => {
            let spelled = match (
                long_name(other),
                char::from_u32(other).filter(|c| c.is_ascii_alphabetic()),
            ) {
                (Some(n), Some(c)) => format!("-{c}/--{n}"),
                (Some(n), None) => format!("--{n}"),
                (None, Some(c)) => format!("-{c}"),
                (None, None) => "?".to_string(),
            };
            return Err(format!("dmesg: option {spelled} is not supported\n"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, ts_nsec: u64, facility: u8, level: u8, text: &str) -> Record {
        Record {
            seq,
            ts_nsec,
            facility,
            level,
            cont: false,
            newline: true,
            caller: 0,
            text: text.as_bytes().to_vec(),
        }
    }

    fn sample() -> Vec<Record> {
        vec![
            rec(0, 0, 0, 6, "Linux version"),
            rec(1, 1_234_567_000, 0, 3, "e1000: link down"),
            rec(2, 2_000_001_000, 1, 4, "user warn"),
            rec(3, 10_000_000_000, 0, 0, "emerg"),
            rec(4, 11_000_000_000, 0, 7, "dbg"),
            rec(5, 12_000_000_000, 0, 1, "alert msg"),
            rec(6, 13_000_000_000, 0, 2, "crit: msg"),
            rec(7, 14_000_000_000, 0, 6, "a[123]: segfault at 0 ip"),
        ]
    }

    #[test]
    fn plain() {
        let s = render(&sample()[..3], &DmesgOptions::default(), 0.0);
        assert_eq!(s, "[    0.000000] Linux version\n[    1.234567] e1000: link down\n[    2.000001] user warn\n");
    }

    #[test]
    fn decode() {
        let o = DmesgOptions {
            decode: true,
            ..Default::default()
        };
        let s = render(&sample()[..4], &o, 0.0);
        assert_eq!(
            s,
            "kern  :info  : [    0.000000] Linux version\nkern  :err   : [    1.234567] e1000: link down\n\
             user  :warn  : [    2.000001] user warn\nkern  :emerg : [   10.000000] emerg\n"
        );
        let o = DmesgOptions {
            decode: true,
            time: TimeFormat::NoTime,
            ..Default::default()
        };
        assert_eq!(render(&sample()[4..5], &o, 0.0), "kern  :debug : dbg\n");
    }

    #[test]
    fn raw_and_notime() {
        let o = DmesgOptions {
            raw: true,
            ..Default::default()
        };
        assert_eq!(
            render(&sample()[1..3], &o, 0.0),
            "<3>[    1.234567] e1000: link down\n<12>[    2.000001] user warn\n"
        );
        let o = DmesgOptions {
            time: TimeFormat::NoTime,
            ..Default::default()
        };
        assert_eq!(
            render(&sample()[1..3], &o, 0.0),
            "e1000: link down\nuser warn\n"
        );
    }

    #[test]
    fn ctime() {
        let o = DmesgOptions {
            time: TimeFormat::Ctime,
            ..Default::default()
        };
        let s = render(&sample()[..3], &o, 1_795_313_239.9);
        assert_eq!(
            s,
            "[Sun Nov 22 02:07:19 2026] Linux version\n[Sun Nov 22 02:07:20 2026] e1000: link down\n\
             [Sun Nov 22 02:07:21 2026] user warn\n"
        );
        let o = DmesgOptions {
            time: TimeFormat::Ctime,
            tz: TimeZone::Fixed(3600),
            ..Default::default()
        };
        assert_eq!(
            render(&sample()[..1], &o, 0.0),
            "[Thu Jan  1 01:00:00 1970] Linux version\n"
        );
    }

    #[test]
    fn levels_and_facilities() {
        let o = DmesgOptions {
            levels: Some(parse_level_list("err,WARN").unwrap()),
            ..Default::default()
        };
        assert_eq!(
            render(&sample(), &o, 0.0),
            "[    1.234567] e1000: link down\n[    2.000001] user warn\n"
        );
        let o = DmesgOptions {
            levels: Some(0b1001_0000),
            facilities: Some(1),
            ..Default::default()
        };
        assert_eq!(render(&sample(), &o, 0.0), "[   11.000000] dbg\n");
    }

    #[test]
    fn colors() {
        let o = DmesgOptions {
            color: true,
            ..Default::default()
        };
        let s = render(&sample(), &o, 0.0);
        let want = "\x1b[32m[    0.000000] \x1b[0mLinux version\n\
            \x1b[32m[    1.234567] \x1b[0m\x1b[33me1000: \x1b[0m\x1b[31mlink down\x1b[0m\n\
            \x1b[32m[    2.000001] \x1b[0m\x1b[1muser warn\x1b[0m\n\
            \x1b[32m[   10.000000] \x1b[0memerg\n\
            \x1b[32m[   11.000000] \x1b[0mdbg\n\
            \x1b[32m[   12.000000] \x1b[0m\x1b[7m\x1b[31malert msg\x1b[0m\n\
            \x1b[32m[   13.000000] \x1b[0m\x1b[33mcrit: \x1b[0m\x1b[1m\x1b[31mmsg\x1b[0m\n\
            \x1b[32m[   14.000000] \x1b[0m\x1b[33ma[123]: \x1b[0m\x1b[2m\x1b[31msegfault at 0 ip\x1b[0m\n";
        assert_eq!(s, want);
        let o = DmesgOptions {
            color: true,
            decode: true,
            time: TimeFormat::NoTime,
            ..Default::default()
        };
        assert_eq!(
            render(&sample()[1..2], &o, 0.0),
            "kern  :err   : \x1b[33me1000: \x1b[0m\x1b[31mlink down\x1b[0m\n"
        );
    }

    #[test]
    fn subsys_rules() {
        assert_eq!(subsys_end(b"ACPI:  x"), Some(6));
        assert_eq!(subsys_end(b"ACPI:\tx"), Some(6));
        assert_eq!(subsys_end(b"ACPI: "), None);
        assert_eq!(subsys_end(b"x:y"), None);
        assert_eq!(subsys_end(b":x: c"), Some(4));
        assert_eq!(subsys_end(b"a: b: c"), Some(3));
    }

    #[test]
    fn escapes_and_multiline() {
        let mut r = rec(0, 5_000_000_000, 0, 6, "");
        r.text = b"tab\there\x01ctl \xc3\xa9 \xff \xc2\x85\nsecond\n".to_vec();
        let s = render(std::slice::from_ref(&r), &DmesgOptions::default(), 0.0);
        assert_eq!(
            s,
            "[    5.000000] tab\there\\x01ctl \u{e9} \\xff \\xc2\\x85\n               second\n\n"
        );
        let o = DmesgOptions {
            decode: true,
            ..Default::default()
        };
        r.text = b"a\nb".to_vec();
        assert_eq!(
            render(std::slice::from_ref(&r), &o, 0.0),
            "kern  :info  : [    5.000000] a\n                              b\n"
        );
        let o = DmesgOptions {
            raw: true,
            ..Default::default()
        };
        assert_eq!(
            render(std::slice::from_ref(&r), &o, 0.0),
            "<6>[    5.000000] a\n                  b\n"
        );
        // An empty record is an empty line, without timestamp.
        r.text.clear();
        assert_eq!(render(&[r], &DmesgOptions::default(), 0.0), "\n");
    }

    #[test]
    fn level_parsing() {
        assert_eq!(parse_level_list("err,warn"), Ok(0b11000));
        assert_eq!(parse_level_list("0,7,EMERG"), Ok(0b1000_0001));
        assert_eq!(parse_level_list("03"), Ok(0b1000));
        assert_eq!(parse_level_list(""), Ok(0));
        assert_eq!(
            parse_level_list("foo,err"),
            Err(Some("unknown level 'foo,err'".into()))
        );
        assert_eq!(
            parse_level_list("err,"),
            Err(Some("unknown level 'err,'".into()))
        );
        assert_eq!(
            parse_level_list("err,foo"),
            Err(Some("unknown level 'foo'".into()))
        );
        assert_eq!(parse_level_list("8"), Err(Some("unknown level '8'".into())));
        assert_eq!(
            parse_level_list("3x"),
            Err(Some("unknown level '3x'".into()))
        );
        assert_eq!(parse_level_list("e"), Err(Some("unknown level 'e'".into())));
        assert_eq!(
            parse_level_list("err+"),
            Err(Some("unknown level 'err+'".into()))
        );
        assert_eq!(parse_level_list("err,,warn"), Err(None));
        assert_eq!(parse_level_list(",err"), Err(None));
        assert_eq!(parse_console_level("1"), Ok(1));
        assert_eq!(parse_console_level("8"), Ok(8));
        assert_eq!(parse_console_level("debug"), Ok(8));
        assert_eq!(parse_console_level("emerg"), Ok(1));
        assert!(parse_console_level("0").is_err());
        assert_eq!(parse_console_level("9"), Err("unknown level '9'".into()));
        assert_eq!(parse_facility_list("kern,user"), Ok(0b11));
        assert_eq!(parse_facility_list("23"), Ok(1 << 23));
        assert_eq!(
            parse_facility_list("x"),
            Err(Some("unknown facility 'x'".into()))
        );
    }

    /// A scripted source that records the actions asked of it.
    #[derive(Default)]
    struct Fake {
        records: Vec<Record>,
        follow: Vec<Vec<Record>>,
        cleared: usize,
        console: Option<u8>,
        fail_clear: bool,
    }

    impl KmsgSource for Fake {
        fn read_all(&mut self) -> io::Result<Vec<Record>> {
            Ok(self.records.clone())
        }
        fn wait_newer(&mut self, _after: Option<u64>) -> io::Result<Vec<Record>> {
            Ok(if self.follow.is_empty() {
                Vec::new()
            } else {
                self.follow.remove(0)
            })
        }
        fn clear(&mut self) -> io::Result<()> {
            if self.fail_clear {
                return Err(io::Error::from_raw_os_error(libc::EPERM));
            }
            self.cleared += 1;
            Ok(())
        }
        fn set_console_level(&mut self, level: u8) -> io::Result<()> {
            self.console = Some(level);
            Ok(())
        }
        fn boot_wall_secs(&mut self) -> io::Result<f64> {
            Ok(1_795_313_239.0)
        }
    }

    fn run(args: &[&str], src: &mut Fake) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_dmesg_with(&args, src, &mut out, &mut err, false, TimeZone::Utc);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn cli_reading() {
        let mut src = Fake {
            records: sample()[..3].to_vec(),
            ..Default::default()
        };
        let (c, o, _) = run(&[], &mut src);
        assert_eq!(c, 0);
        assert_eq!(o, render(&sample()[..3], &DmesgOptions::default(), 0.0));
        let (c, o, _) = run(&["-xT", "--level=err,warn"], &mut src);
        assert_eq!(c, 0);
        assert_eq!(o, "kern  :err   : [Sun Nov 22 02:07:20 2026] e1000: link down\nuser  :warn  : [Sun Nov 22 02:07:21 2026] user warn\n");
        let (_, o, _) = run(&["--lev", "err", "-t"], &mut src);
        assert_eq!(o, "e1000: link down\n");
        let (_, o, _) = run(&["-k", "-t"], &mut src);
        assert_eq!(o, "Linux version\ne1000: link down\n");
        let (_, o, _) = run(&["-u", "-t"], &mut src);
        assert_eq!(o, "user warn\n");
        let (_, o, _) = run(&["-T", "-t"], &mut src);
        assert_eq!(o, "Linux version\ne1000: link down\nuser warn\n");
        let (_, o, _) = run(&["--color=always", "-t", "-l", "3"], &mut src);
        assert_eq!(o, "\x1b[33me1000: \x1b[0m\x1b[31mlink down\x1b[0m\n");
        let (_, o, _) = run(&["-Lalways", "-t", "-l", "3"], &mut src);
        assert_eq!(o, "\x1b[33me1000: \x1b[0m\x1b[31mlink down\x1b[0m\n");
        let (_, o, _) = run(&["-L", "-t", "-l", "3"], &mut src);
        assert_eq!(o, "e1000: link down\n");
        let (_, o, _) = run(&["-r", "-l", "4"], &mut src);
        assert_eq!(o, "<12>[    2.000001] user warn\n");
        assert_eq!(src.cleared, 0);
    }

    #[test]
    fn cli_actions() {
        let mut src = Fake {
            records: sample()[..1].to_vec(),
            ..Default::default()
        };
        let (c, o, _) = run(&["-c"], &mut src);
        assert_eq!(
            (c, o.as_str(), src.cleared),
            (0, "[    0.000000] Linux version\n", 1)
        );
        let (c, o, _) = run(&["-C"], &mut src);
        assert_eq!((c, o.as_str(), src.cleared), (0, "", 2));
        let (c, _, _) = run(&["-n", "debug"], &mut src);
        assert_eq!((c, src.console), (0, Some(8)));
        let (c, _, _) = run(&["--console-level=3"], &mut src);
        assert_eq!((c, src.console), (0, Some(3)));
        src.fail_clear = true;
        let (c, _, e) = run(&["-C"], &mut src);
        assert_eq!(
            (c, e.as_str()),
            (
                1,
                "dmesg: clear kernel buffer failed: Operation not permitted\n"
            )
        );
    }

    #[test]
    fn cli_follow() {
        let s = sample();
        let mut src = Fake {
            records: s[..1].to_vec(),
            follow: vec![s[1..2].to_vec(), s[2..4].to_vec()],
            ..Default::default()
        };
        let (c, o, _) = run(&["-w", "-t"], &mut src);
        assert_eq!(
            (c, o.as_str()),
            (0, "Linux version\ne1000: link down\nuser warn\nemerg\n")
        );
        let mut src = Fake {
            records: s[..1].to_vec(),
            follow: vec![s[1..2].to_vec()],
            ..Default::default()
        };
        let (c, o, _) = run(&["-W", "-t"], &mut src);
        assert_eq!((c, o.as_str()), (0, "e1000: link down\n"));
    }

    #[test]
    fn cli_errors() {
        let mut src = Fake::default();
        let cases: &[(&[&str], &str)] = &[
            (&["--color=foo"], "dmesg: unsupported color mode: 'foo'\n"),
            (&["--col=al"], "dmesg: unsupported color mode: 'al'\n"),
            (&["-l"], "dmesg: option requires an argument -- 'l'\nTry 'dmesg --help' for more information.\n"),
            (&["--level"], "dmesg: option '--level' requires an argument\nTry 'dmesg --help' for more information.\n"),
            (&["-q"], "dmesg: invalid option -- 'q'\nTry 'dmesg --help' for more information.\n"),
            (&["-xq"], "dmesg: invalid option -- 'q'\nTry 'dmesg --help' for more information.\n"),
            (&["--foo"], "dmesg: unrecognized option '--foo'\nTry 'dmesg --help' for more information.\n"),
            (&["extra"], "dmesg: bad usage\nTry 'dmesg --help' for more information.\n"),
            (&["-n", "9"], "dmesg: unknown level '9'\n"),
            (&["-n", "0"], "dmesg: unknown level '0'\n"),
            (&["-n", "foo"], "dmesg: unknown level 'foo'\n"),
            (&["-l", "foo,err"], "dmesg: unknown level 'foo,err'\n"),
            (&["-l", "err,,warn"], ""),
            (
                &["-c", "-C"],
                "dmesg: mutually exclusive arguments: --clear --console-off --console-on --read-clear --console-level --raw\n",
            ),
            (&["-rx"], "dmesg: mutually exclusive arguments: --raw --decode\n"),
            (&["-r", "-t"], "dmesg: mutually exclusive arguments: --raw --notime\n"),
            (&["-T", "-r"], "dmesg: mutually exclusive arguments: --ctime --raw\n"),
            (&["--color", "-r"], "dmesg: mutually exclusive arguments: --color --raw\n"),
            (&["--clear=x"], "dmesg: option '--clear' doesn't allow an argument\nTry 'dmesg --help' for more information.\n"),
            (
                &["--co"],
                "dmesg: option '--co' is ambiguous; possibilities: '--color' '--console-level' '--console-off' '--console-on'\n\
                 Try 'dmesg --help' for more information.\n",
            ),
        ];
        for (args, want) in cases {
            let (c, o, e) = run(args, &mut src);
            assert_eq!((c, o.as_str(), e.as_str()), (1, "", *want), "args {args:?}");
        }
        // Repeating the same option is fine.
        assert_eq!(run(&["-c", "-c"], &mut src).0, 0);
    }

    #[test]
    fn cli_help_version() {
        let mut src = Fake::default();
        let (c, o, _) = run(&["-h"], &mut src);
        assert_eq!(c, 0);
        assert!(o.starts_with("\nUsage:\n dmesg [options]\n"));
        assert!(o.contains("    kern - kernel messages\n"));
        let (c, o, _) = run(&["--version"], &mut src);
        assert_eq!(c, 0);
        assert!(o.starts_with("dmesg from lkm "));
    }

    #[test]
    fn buffer_source() {
        let log = LogBuffer::new();
        log.store(0, b"\x013boom\n", 1);
        log.store(0, b"hello\n", 1);
        let mut src = BufferSource {
            log: &log,
            follow_timeout: Some(Duration::from_millis(10)),
        };
        let args: Vec<String> = ["-x", "-t", "-w"].iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            run_dmesg_with(&args, &mut src, &mut out, &mut err, false, TimeZone::Utc),
            0
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "kern  :err   : boom\nkern  :warn  : hello\n"
        );
        let args: Vec<String> = ["-n", "1"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            run_dmesg_with(
                &args,
                &mut src,
                &mut Vec::new(),
                &mut err,
                false,
                TimeZone::Utc
            ),
            0
        );
        assert_eq!(log.levels().console_loglevel, 1);
        let args: Vec<String> = vec!["-C".into()];
        assert_eq!(
            run_dmesg_with(
                &args,
                &mut src,
                &mut Vec::new(),
                &mut err,
                false,
                TimeZone::Utc
            ),
            0
        );
        assert!(log.read_all().is_empty());
    }
}

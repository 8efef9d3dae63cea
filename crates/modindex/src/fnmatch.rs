//! `fnmatch(3)` with flags 0, on bytes, as glibc implements it in the C locale.
//!
//! kmod matches the keys of `modules.alias.bin` (which are shell patterns) with
//! `fnmatch(pattern, alias, 0)`. This module reproduces glibc's answer for every
//! pattern, including its corner cases, so that alias resolution gives the same
//! modules as kmod does. The C locale is assumed (kmod's tools never call
//! `setlocale`): bytes are characters, ranges compare byte values, and the
//! character classes only contain ASCII bytes.
//!
//! Syntax, with flags 0 (so backslash escaping is on and neither `/` nor a leading
//! `.` is special):
//!
//! * `*` matches any sequence of bytes, `?` any single byte;
//! * `\c` matches `c` literally; a trailing backslash never matches;
//! * `[...]` is a bracket expression: `!` or `^` first negates it, `]` first is a
//!   literal, `a-z` is a range, `[:alpha:]`-style classes, `[=c=]` equivalence
//!   classes and `[.c.]` collating symbols (single bytes only, as in the C locale)
//!   are understood, and `\` escapes inside it;
//! * a `[` that is never closed stands for a literal `[` (glibc), but only if none
//!   of the bracket's items matched the byte first: glibc then looks for the `]`,
//!   fails to find it, and reports no match. The reimplementation keeps this
//!   asymmetry, and the other error paths of glibc (an unknown class name, a
//!   range with no end, a class name of 2048 bytes or more) also give "no match".
//!
//! glibc decides `^` negation with the `POSIXLY_CORRECT` environment variable; this
//! module always treats `^` like `!`, which is glibc's behaviour when that variable
//! is unset.
//!
//! Both the pattern and the string are treated as C strings: anything from the
//! first NUL byte on is ignored.
//!
//! Complexity: `*` uses the usual two-pointer backtracking (only the most recent
//! `*` is ever resumed), so the run time is at most `O(pattern × string)` and
//! there is no exponential blow-up.

/// glibc's `CHAR_CLASS_MAX_LENGTH` (= `CHARCLASS_NAME_MAX`): a class name this long
/// makes the pattern fail.
const CLASS_NAME_MAX: usize = 2048;

/// Returns `true` if `string` matches the shell pattern `pattern`, exactly as
/// glibc's `fnmatch(pattern, string, 0) == 0` in the C locale.
///
/// See the [module documentation](self) for the syntax and the corner cases.
pub fn fnmatch(pattern: &[u8], string: &[u8]) -> bool {
    let p = until_nul(pattern);
    let s = until_nul(string);

    let mut pi = 0;
    let mut si = 0;
    // (pattern index just after the last `*`, string index it was resumed at)
    let mut star: Option<(usize, usize)> = None;

    loop {
        if pi < p.len() {
            if p[pi] == b'*' {
                pi += 1;
                if pi == p.len() {
                    // A trailing `*` swallows the rest.
                    return true;
                }
                star = Some((pi, si));
                continue;
            }
            if let Some(&ch) = s.get(si) {
                if let Some(next) = match_one(p, pi, ch) {
                    pi = next;
                    si += 1;
                    continue;
                }
            }
        } else if si == s.len() {
            return true;
        }
        // Mismatch: let the last `*` swallow one more byte and retry from there.
        match star {
            Some((sp, ss)) if ss < s.len() => {
                star = Some((sp, ss + 1));
                pi = sp;
                si = ss + 1;
            }
            _ => return false,
        }
    }
}

/// The part of `s` before its first NUL byte.
pub(crate) fn until_nul(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(n) => &s[..n],
        None => s,
    }
}

/// The byte at `i`, or NUL past the end (C string semantics).
#[inline]
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

/// Matches the single pattern element at `p[pi]` (not `*`) against the byte `ch`.
/// Returns the index of the next pattern element on success.
fn match_one(p: &[u8], pi: usize, ch: u8) -> Option<usize> {
    match p[pi] {
        b'?' => Some(pi + 1),
        b'\\' => {
            let c = at(p, pi + 1);
            // A trailing backslash never matches.
            (c != 0 && c == ch).then_some(pi + 2)
        }
        b'[' => match bracket(p, pi + 1, ch) {
            Bracket::Match(next) => Some(next),
            Bracket::NoMatch => None,
            // Unterminated: the `[` is an ordinary character.
            Bracket::Literal => (ch == b'[').then_some(pi + 1),
        },
        c => (c == ch).then_some(pi + 1),
    }
}

enum Bracket {
    /// The byte matched; the pattern continues at this index.
    Match(usize),
    /// No match (including glibc's "ill-formed pattern" failures).
    NoMatch,
    /// The bracket is never closed and none of its items matched: glibc then
    /// treats the `[` as a literal character.
    Literal,
}

/// What the bracket loop does next with the current item (glibc's labels).
enum Step {
    /// `normal_bracket`: an ordinary item byte, followed by the pattern at `i`.
    Normal(u8),
    /// The item was consumed and `c` holds the next byte, which may be a `-`
    /// making a range that starts at this byte.
    RangeFrom(u8),
    /// The item was consumed and `c` holds the next byte (no range possible).
    Next,
}

/// Evaluates the bracket expression whose body starts at `p[start]` (just after
/// the `[`) against the byte `fnc`. This follows glibc's parse step by step:
/// `c` is the current pattern byte and `i` the index of the byte after it; an
/// item is consumed and the following byte loaded before `]` is checked, which is
/// why a `]` right after `[` (or `[!`) is an ordinary item.
fn bracket(p: &[u8], start: usize, fnc: u8) -> Bracket {
    let mut i = start;
    let negated = matches!(at(p, i), b'!' | b'^');
    if negated {
        i += 1;
    }
    let mut c = at(p, i);
    i += 1;

    let matched = 'scan: loop {
        let step = if c == b'\\' {
            let e = at(p, i);
            if e == 0 {
                return Bracket::NoMatch;
            }
            i += 1;
            Step::Normal(e)
        } else if c == b'[' && at(p, i) == b':' {
            // A character class `[:name:]`, if the name is made of `a`..`y`
            // (glibc stops at `c >= 'z'`, so `z` is excluded, too).
            let startp = i;
            let mut len = 0usize;
            let mut is_class = true;
            loop {
                if len == CLASS_NAME_MAX {
                    return Bracket::NoMatch;
                }
                i += 1;
                let cc = at(p, i);
                if cc == b':' && at(p, i + 1) == b']' {
                    i += 2;
                    break;
                }
                if !(b'a'..=b'y').contains(&cc) {
                    is_class = false;
                    break;
                }
                len += 1;
            }
            if is_class {
                match class_contains(&p[startp + 1..startp + 1 + len], fnc) {
                    None => return Bracket::NoMatch,
                    Some(true) => break 'scan true,
                    Some(false) => {}
                }
                c = at(p, i);
                i += 1;
                Step::Next
            } else {
                i = startp;
                Step::Normal(b'[')
            }
        } else if c == b'[' && at(p, i) == b'=' {
            // An equivalence class `[=c=]`: in the C locale, just the byte.
            let sym = at(p, i + 1);
            if sym == 0 || at(p, i + 2) != b'=' || at(p, i + 3) != b']' {
                Step::Normal(b'[')
            } else {
                i += 4;
                if fnc == sym {
                    break 'scan true;
                }
                c = at(p, i);
                i += 1;
                Step::Next
            }
        } else if c == 0 {
            return Bracket::Literal;
        } else if c == b'[' && at(p, i) == b'.' {
            // A collating symbol `[.c.]`: the C locale only has single bytes.
            let startp = i;
            let mut len = 0usize;
            loop {
                i += 1;
                let cc = at(p, i);
                if cc == b'.' && at(p, i + 1) == b']' {
                    i += 2;
                    break;
                }
                if cc == 0 {
                    return Bracket::NoMatch;
                }
                len += 1;
            }
            if len != 1 {
                return Bracket::NoMatch;
            }
            let sym = p[startp + 1];
            let is_range = at(p, i) == b'-' && at(p, i + 1) != 0;
            if !is_range && fnc == sym {
                break 'scan true;
            }
            c = at(p, i);
            i += 1;
            Step::RangeFrom(sym)
        } else {
            Step::Normal(c)
        };

        let step = match step {
            Step::Normal(item) => {
                let is_range = at(p, i) == b'-' && at(p, i + 1) != 0 && at(p, i + 1) != b']';
                if !is_range && item == fnc {
                    break 'scan true;
                }
                c = at(p, i);
                i += 1;
                Step::RangeFrom(item)
            }
            other => other,
        };

        if let Step::RangeFrom(cold) = step {
            if c == b'-' && at(p, i) != b']' {
                match range_end(p, &mut i) {
                    None => return Bracket::NoMatch,
                    Some(cend) => {
                        if cold <= fnc && fnc <= cend {
                            break 'scan true;
                        }
                    }
                }
                c = at(p, i);
                i += 1;
            }
        }

        if c == b']' {
            break 'scan false;
        }
    };

    if !matched {
        return if negated {
            Bracket::Match(i)
        } else {
            Bracket::NoMatch
        };
    }

    // Skip the rest of the bracket expression, as glibc does after a match.
    loop {
        let c = at(p, i);
        i += 1;
        if c == b']' {
            break;
        }
        if c == 0 {
            return Bracket::NoMatch;
        }
        if c == b'\\' {
            if at(p, i) == 0 {
                return Bracket::NoMatch;
            }
            i += 1;
        } else if c == b'[' && at(p, i) == b':' {
            let startp = i;
            let mut count = 0usize;
            loop {
                i += 1;
                let cc = at(p, i);
                count += 1;
                if count == CLASS_NAME_MAX {
                    return Bracket::NoMatch;
                }
                if cc == b':' && at(p, i + 1) == b']' {
                    i += 2;
                    break;
                }
                if !(b'a'..=b'y').contains(&cc) {
                    i = startp;
                    break;
                }
            }
        } else if c == b'[' && at(p, i) == b'=' {
            if at(p, i + 1) == 0 || at(p, i + 2) != b'=' || at(p, i + 3) != b']' {
                return Bracket::NoMatch;
            }
            i += 4;
        } else if c == b'[' && at(p, i) == b'.' {
            loop {
                i += 1;
                let cc = at(p, i);
                if cc == 0 {
                    return Bracket::NoMatch;
                }
                if cc == b'.' && at(p, i + 1) == b']' {
                    i += 2;
                    break;
                }
            }
        }
    }
    if negated {
        Bracket::NoMatch
    } else {
        Bracket::Match(i)
    }
}

/// Reads the end of a range whose `-` was just consumed (`*i` is the byte after
/// it): a byte, an escaped byte or a one-byte collating symbol. `None` means the
/// pattern is ill-formed there (glibc: no match).
fn range_end(p: &[u8], i: &mut usize) -> Option<u8> {
    let mut cend = at(p, *i);
    *i += 1;
    if cend == b'[' && at(p, *i) == b'.' {
        let startp = *i;
        let mut len = 0usize;
        loop {
            *i += 1;
            let cc = at(p, *i);
            if cc == b'.' && at(p, *i + 1) == b']' {
                *i += 2;
                break;
            }
            if cc == 0 {
                return None;
            }
            len += 1;
        }
        if len != 1 {
            return None;
        }
        cend = p[startp + 1];
    } else {
        if cend == b'\\' {
            cend = at(p, *i);
            *i += 1;
        }
        if cend == 0 {
            return None;
        }
    }
    Some(cend)
}

/// Whether byte `b` is in the C-locale character class `name`; `None` if the
/// class name is unknown.
fn class_contains(name: &[u8], b: u8) -> Option<bool> {
    let yes = match name {
        b"alnum" => b.is_ascii_alphanumeric(),
        b"alpha" => b.is_ascii_alphabetic(),
        b"blank" => b == b' ' || b == b'\t',
        b"cntrl" => b < 0x20 || b == 0x7f,
        b"digit" => b.is_ascii_digit(),
        b"graph" => (0x21..0x7f).contains(&b),
        b"lower" => b.is_ascii_lowercase(),
        b"print" => (0x20..0x7f).contains(&b),
        b"punct" => b.is_ascii_punctuation(),
        b"space" => b == b' ' || (0x09..=0x0d).contains(&b),
        b"upper" => b.is_ascii_uppercase(),
        b"xdigit" => b.is_ascii_hexdigit(),
        _ => return None,
    };
    Some(yes)
}

#[cfg(test)]
mod tests {
    use super::fnmatch;
    use std::ffi::CString;

    /// glibc's answer, in the C locale (Rust programs never call setlocale).
    fn libc_fnmatch(p: &[u8], s: &[u8]) -> bool {
        let p = CString::new(p).unwrap();
        let s = CString::new(s).unwrap();
        // SAFETY: two valid NUL-terminated strings; fnmatch only reads them.
        #[allow(unsafe_code)]
        let r = unsafe { libc::fnmatch(p.as_ptr(), s.as_ptr(), 0) };
        r == 0
    }

    fn check(p: &[u8], s: &[u8]) {
        assert_eq!(
            fnmatch(p, s),
            libc_fnmatch(p, s),
            "pattern {:?} string {:?}",
            String::from_utf8_lossy(p),
            String::from_utf8_lossy(s)
        );
    }

    fn posixly_correct() -> bool {
        if std::env::var_os("POSIXLY_CORRECT").is_some() {
            eprintln!("skipping: POSIXLY_CORRECT is set, glibc's `^` differs");
            return true;
        }
        false
    }

    #[test]
    fn basics() {
        assert!(fnmatch(b"", b""));
        assert!(!fnmatch(b"", b"a"));
        assert!(fnmatch(b"*", b""));
        assert!(fnmatch(b"a*c", b"abbbc"));
        assert!(fnmatch(b"a?c", b"abc"));
        assert!(!fnmatch(b"a?c", b"ac"));
        assert!(fnmatch(b"[a-c]x", b"bx"));
        assert!(!fnmatch(b"[!a-c]x", b"bx"));
        assert!(fnmatch(b"[]]", b"]"));
        assert!(fnmatch(b"[!]]", b"a"));
        assert!(fnmatch(b"[[:digit:]]", b"7"));
        assert!(fnmatch(b"\\*", b"*"));
        assert!(!fnmatch(b"\\*", b"a"));
        assert!(!fnmatch(b"a\\", b"a\\"));
        // Unterminated bracket: a literal `[` unless an item matched first.
        assert!(fnmatch(b"[ab", b"[ab"));
        assert!(!fnmatch(b"[ab", b"ab"));
        assert!(fnmatch(b"/.x", b"/.x"));
        assert!(fnmatch(b"*x", b".x"));
        assert!(fnmatch(
            b"pci:v00008086d*sv*sd*bc*sc*i*",
            b"pci:v00008086d00001572sv00008086sd00000000bc02sc00i00"
        ));
        // NUL ends both strings.
        assert!(fnmatch(b"ab\0c", b"ab"));
        assert!(fnmatch(b"ab", b"ab\0c"));
    }

    #[test]
    fn against_libc_handpicked() {
        if posixly_correct() {
            return;
        }
        let patterns: &[&[u8]] = &[
            b"",
            b"*",
            b"**",
            b"?",
            b"*?",
            b"?*",
            b"*a",
            b"a*",
            b"*a*",
            b"a*b*c",
            b"*[ab]*",
            b"[",
            b"[a",
            b"[]",
            b"[]]",
            b"[]a]",
            b"[!]]",
            b"[!]a]",
            b"[^a]",
            b"[!a]",
            b"[a-]",
            b"[-a]",
            b"[a-c]",
            b"[c-a]",
            b"[a-c-e]",
            b"[a\\-c]",
            b"[\\]]",
            b"[\\",
            b"[a\\",
            b"\\",
            b"\\a",
            b"\\\\",
            b"a\\",
            b"[[:alpha:]]",
            b"[[:alpha:]",
            b"[[:alpha:]0]",
            b"[[:foo:]]",
            b"[[:ALPHA:]]",
            b"[[:zz:]]",
            b"[[:]]",
            b"[[::]]",
            b"[[:a]",
            b"[[:a]]",
            b"[[=a=]]",
            b"[[=a=]b]",
            b"[[=a]]",
            b"[[=]]",
            b"[[=",
            b"[[.a.]]",
            b"[[.a.]-c]",
            b"[[.-.]]",
            b"[[.ab.]]",
            b"[[..]]",
            b"[[.",
            b"[a-[.c.]]",
            b"[a-[.cd.]]",
            b"[a-",
            b"[a-]b",
            b"[a-\\]]",
            b"[!a-",
            b"[[:digit:][:alpha:]]",
            b"[a[:digit:]",
            b"[a[=b=]",
            b"[a[.b.]",
            b"[a[:x",
            b"*[",
            b"*[a",
            b"*\\",
            b"*[]",
            b"a[",
            b"[*]",
            b"[?]",
            b"*[!a]",
            b"[[]",
            b"[[a]",
            b"[\x80-\xff]",
            b"[\x7f-\x81]",
            b"\xff*",
            b"[[:print:]]",
            b"[[:cntrl:]]",
            b"[[:punct:]]",
            b"[[:space:]]",
            b"[[:blank:]]",
            b"[[:graph:]]",
            b"[[:xdigit:]]",
            b"[[:upper:]]",
            b"[[:lower:]]",
            b"[[:alnum:]]",
            b"usb:v*p*d*dc*dsc*dp*ic03isc01ip02in*",
            b"*[[]*",
            b"[]-a]",
            b"[!-]",
            b"[a-c]-",
            b"[---]",
            b"[--a]",
            b"[a-a]",
            b"[]-]]",
        ];
        let strings: &[&[u8]] = &[
            b"",
            b"a",
            b"b",
            b"c",
            b"d",
            b"-",
            b"]",
            b"[",
            b"\\",
            b"!",
            b"^",
            b"ab",
            b"ba",
            b"abc",
            b"[a",
            b"[ab",
            b"a]",
            b"a[",
            b"0",
            b"A",
            b"z",
            b":",
            b"=",
            b".",
            b" ",
            b"\t",
            b"\x7f",
            b"\x80",
            b"\xff",
            b"\x01",
            b"[]",
            b"*",
            b"?",
            b"-a",
            b"a-",
            b"usb:v1234p5678d0100dc00dsc00dp00ic03isc01ip02in00",
            b"[c",
            b"[-",
            b"]]",
        ];
        for p in patterns {
            for s in strings {
                check(p, s);
            }
        }
    }

    /// Deterministic xorshift, so failures are reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn against_libc_random() {
        if posixly_correct() {
            return;
        }
        const PIECES: &[&[u8]] = &[
            b"*",
            b"*",
            b"?",
            b"[",
            b"]",
            b"!",
            b"^",
            b"-",
            b"\\",
            b"a",
            b"b",
            b"c",
            b"z",
            b"A",
            b"0",
            b":",
            b"=",
            b".",
            b"/",
            b"\x80",
            b"\xff",
            b"[:alpha:]",
            b"[:digit:]",
            b"[:bogus:]",
            b"[=a=]",
            b"[.b.]",
            b"[.-.]",
            b"[a-c]",
            b"[!a]",
            b"a-c",
        ];
        const CHARS: &[u8] = b"abcz-[]!^\\:.=A0 /*?\x80\xff";
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut matched = 0;
        for _ in 0..200_000 {
            let mut p = Vec::new();
            for _ in 0..rng.below(7) {
                p.extend_from_slice(PIECES[rng.below(PIECES.len())]);
            }
            let mut s = Vec::new();
            for _ in 0..rng.below(6) {
                s.push(CHARS[rng.below(CHARS.len())]);
            }
            check(&p, &s);
            if fnmatch(&p, &s) {
                matched += 1;
            }
        }
        // The generator must produce a fair share of matches to be useful.
        assert!(matched > 5_000, "only {matched} matches");
    }

    #[test]
    fn class_name_limit() {
        for n in [2046, 2047, 2048, 2049] {
            let mut p = b"[[:".to_vec();
            p.extend(std::iter::repeat_n(b'a', n));
            p.extend_from_slice(b"0]");
            for s in [&b"["[..], b"a", b":", b"0"] {
                check(&p, s);
            }
            let mut p = b"[x[:".to_vec();
            p.extend(std::iter::repeat_n(b'a', n));
            p.extend_from_slice(b":]]");
            check(&p, b"x");
        }
    }

    #[test]
    fn no_exponential_blowup() {
        let p = b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let s = vec![b'a'; 10_000];
        assert!(!fnmatch(p, &s));
    }
}

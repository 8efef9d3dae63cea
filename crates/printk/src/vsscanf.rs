//! The kernel's `vsscanf` (lib/vsprintf.c), as a pure function over the input and the format.
//!
//! Each assignment the format makes is handed to a caller-supplied `store` (which, in the sandbox,
//! takes the next pointer from the C `va_list` and writes through a checked copy); a `store` that
//! returns `false` ends the scan there, as a fault would. The kernel's behaviour is kept where it
//! differs from C99/glibc:
//!
//! * white space in the format matches any amount of white space (none included) in the input;
//!   other format characters must match exactly, and a mismatch ends the scan;
//! * `%*…` (suppression) skips the input up to the next white space, whatever the conversion says;
//!   `%*[` is an invalid format and ends the scan;
//! * `%c` copies `width` (default 1) characters without a NUL and without skipping white space, and
//!   stops early at the end of the input; `%s` skips leading white space and copies up to the next
//!   white space (at most `width`), then a NUL;
//! * `%[set]`/`%[^set]` needs a field width, has no ranges and cannot contain `]`; the match must be
//!   non-empty;
//! * integers (`%d %i %u %x %X %o`) skip white space, need a digit (after an optional `-` for the
//!   signed ones) or the scan ends, are parsed like `simple_strntoull` (a `0x` prefix for `%x` and
//!   `%i`, a leading `0` makes `%i` octal, values wrap on overflow) within the field width, and are
//!   narrowed by the qualifier: `hh` 1 byte, `h` 2, none 4, `l`/`z` 8, `ll`/`L` 8;
//! * `%n` stores the number of input bytes consumed (an `int`) and does not count as an assignment;
//! * an unknown conversion, or a conversion with the input at its end, ends the scan.
//!
//! The result is the number of assignments made.

/// One assignment of a conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assign<'a> {
    /// An integer of `size` bytes (1, 2, 4 or 8), truncated two's complement.
    Int { size: usize, value: u64 },
    /// `%s` and `%[`: these bytes, then a NUL.
    Str(&'a [u8]),
    /// `%c`: exactly these bytes, no NUL.
    Chars(&'a [u8]),
    /// `%n`: the bytes consumed so far, stored as an `int`.
    Count(i32),
}

/// The kernel's `isspace` (its `_ctype` table: `\t \n \v \f \r`, space, and Latin-1 NBSP 0xa0).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// Scans `input` (the bytes before its NUL) with `fmt` (likewise); returns the number of
/// assignments made.
pub fn vsscanf(input: &[u8], fmt: &[u8], store: &mut dyn FnMut(Assign<'_>) -> bool) -> i32 {
    let s = |i: usize| input.get(i).copied().unwrap_or(0);
    let f = |i: usize| fmt.get(i).copied().unwrap_or(0);
    let mut si = 0usize;
    let mut fi = 0usize;
    let mut num = 0i32;
    while f(fi) != 0 {
        if is_space(f(fi)) {
            while is_space(f(fi)) {
                fi += 1;
            }
            while is_space(s(si)) {
                si += 1;
            }
        }
        // Anything that is not a conversion must match exactly.
        if f(fi) != b'%' && f(fi) != 0 {
            let (a, b) = (f(fi), s(si));
            fi += 1;
            si += 1;
            if a != b {
                break;
            }
            continue;
        }
        if f(fi) == 0 {
            break;
        }
        fi += 1;
        // Suppression: skip the conversion and the input up to white space.
        if f(fi) == b'*' {
            if s(si) == 0 {
                break;
            }
            while !is_space(f(fi)) && f(fi) != b'%' && f(fi) != 0 {
                if f(fi) == b'[' {
                    return num;
                }
                fi += 1;
            }
            while !is_space(s(si)) && s(si) != 0 {
                si += 1;
            }
            continue;
        }
        // Field width (`skip_atoi` into an s16).
        let mut width: i32 = -1;
        if f(fi).is_ascii_digit() {
            let mut w: i32 = 0;
            while f(fi).is_ascii_digit() {
                w = w.wrapping_mul(10).wrapping_add((f(fi) - b'0') as i32);
                fi += 1;
            }
            width = w as i16 as i32;
            if width <= 0 {
                break;
            }
        }
        // Qualifier.
        let mut qualifier = 0u8;
        if matches!(f(fi), b'h' | b'l' | b'L' | b'z') {
            qualifier = f(fi);
            fi += 1;
            if qualifier == f(fi) {
                if qualifier == b'h' {
                    qualifier = b'H';
                    fi += 1;
                } else if qualifier == b'l' {
                    qualifier = b'L';
                    fi += 1;
                }
            }
        }
        if f(fi) == 0 {
            break;
        }
        if f(fi) == b'n' {
            fi += 1;
            if !store(Assign::Count(si as i32)) {
                return num;
            }
            continue;
        }
        if s(si) == 0 {
            break;
        }
        let conv = f(fi);
        fi += 1;
        let (base, signed) = match conv {
            b'c' => {
                let w = if width == -1 { 1 } else { width as usize };
                let start = si;
                loop {
                    si += 1;
                    if si - start >= w || s(si) == 0 {
                        break;
                    }
                }
                if !store(Assign::Chars(&input[start..si.min(input.len())])) {
                    return num;
                }
                num += 1;
                continue;
            }
            b's' => {
                let mut w = if width == -1 { i16::MAX as i32 } else { width };
                while is_space(s(si)) {
                    si += 1;
                }
                let start = si;
                while s(si) != 0 && !is_space(s(si)) && w > 0 {
                    w -= 1;
                    si += 1;
                }
                if !store(Assign::Str(&input[start..si])) {
                    return num;
                }
                num += 1;
                continue;
            }
            b'[' => {
                if width == -1 {
                    return num;
                }
                let negate = f(fi) == b'^';
                if negate {
                    fi += 1;
                }
                let mut set = [false; 256];
                let set_start = fi;
                while f(fi) != 0 && f(fi) != b']' {
                    set[f(fi) as usize] = true;
                    fi += 1;
                }
                if f(fi) == 0 || fi == set_start {
                    return num;
                }
                fi += 1;
                if negate {
                    for b in set.iter_mut() {
                        *b = !*b;
                    }
                    set[0] = false;
                }
                if !set[s(si) as usize] {
                    return num;
                }
                let start = si;
                let mut w = width;
                while set[s(si) as usize] && w > 0 {
                    w -= 1;
                    si += 1;
                }
                if !store(Assign::Str(&input[start..si])) {
                    return num;
                }
                num += 1;
                continue;
            }
            b'o' => (8, false),
            b'x' | b'X' => (16, false),
            b'i' => (0, true),
            b'd' => (10, true),
            b'u' => (10, false),
            b'%' => {
                let c = s(si);
                si += 1;
                if c != b'%' {
                    return num;
                }
                continue;
            }
            _ => return num,
        };
        // An integer: skip white space; a digit must follow (after a '-' for signed ones).
        while is_space(s(si)) {
            si += 1;
        }
        let mut digit = s(si);
        if signed && digit == b'-' {
            if width == 1 {
                break;
            }
            digit = s(si + 1);
        }
        let ok = match base {
            16 => digit.is_ascii_hexdigit(),
            8 => (b'0'..=b'7').contains(&digit),
            _ => digit.is_ascii_digit(),
        };
        if digit == 0 || !ok {
            break;
        }
        let max = if width >= 0 {
            width as usize
        } else {
            i32::MAX as usize
        };
        let (value, next) = if signed && s(si) == b'-' && max > 0 {
            let (v, n) = strntoull(input, si + 1, base, max - 1);
            (v.wrapping_neg(), n)
        } else {
            strntoull(input, si, base, max)
        };
        let size = match qualifier {
            b'H' => 1,
            b'h' => 2,
            b'l' | b'L' | b'z' => 8,
            _ => 4,
        };
        if !store(Assign::Int { size, value }) {
            return num;
        }
        num += 1;
        si = next;
    }
    num
}

/// `simple_strntoull(input + at, &next, base, max_chars)`: the value (wrapping on overflow) and
/// where parsing stopped.
fn strntoull(input: &[u8], at: usize, base: u32, max_chars: usize) -> (u64, usize) {
    let s = |i: usize| input.get(i).copied().unwrap_or(0);
    let mut base = base;
    let mut cp = at;
    // _parse_integer_fixup_radix
    if base == 0 {
        base = if s(cp) == b'0' {
            if (s(cp + 1) | 0x20) == b'x' && s(cp + 2).is_ascii_hexdigit() {
                16
            } else {
                8
            }
        } else {
            10
        };
    }
    if base == 16 && s(cp) == b'0' && (s(cp + 1) | 0x20) == b'x' {
        cp += 2;
    }
    let prefix = cp - at;
    if prefix >= max_chars {
        // The field is too short for the prefix and a digit: skipped without converting.
        return (0, at + max_chars);
    }
    let mut left = max_chars - prefix;
    let mut v: u64 = 0;
    while left > 0 {
        let c = s(cp);
        let d = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'a'..=b'f' => (c - b'a') as u32 + 10,
            b'A'..=b'F' => (c - b'A') as u32 + 10,
            _ => break,
        };
        if d >= base {
            break;
        }
        v = v.wrapping_mul(base as u64).wrapping_add(d as u64);
        cp += 1;
        left -= 1;
    }
    (v, cp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a scan assigned, as owned values, and its result.
    #[derive(Debug, PartialEq, Eq)]
    enum Got {
        I(usize, u64),
        S(Vec<u8>),
        C(Vec<u8>),
        N(i32),
    }

    fn scan(input: &str, fmt: &str) -> (i32, Vec<Got>) {
        let mut got = Vec::new();
        let n = vsscanf(input.as_bytes(), fmt.as_bytes(), &mut |a| {
            got.push(match a {
                Assign::Int { size, value } => Got::I(size, value),
                Assign::Str(s) => Got::S(s.to_vec()),
                Assign::Chars(s) => Got::C(s.to_vec()),
                Assign::Count(n) => Got::N(n),
            });
            true
        });
        (n, got)
    }

    fn s(x: &str) -> Got {
        Got::S(x.as_bytes().to_vec())
    }

    #[test]
    fn integers_in_every_base_and_size() {
        use Got::*;
        assert_eq!(
            scan("12 -34 0x1f 017 ff 0x10", "%d %i %i %i %x %x"),
            (
                6,
                vec![
                    I(4, 12),
                    I(4, (-34i64) as u64),
                    I(4, 31),
                    I(4, 15),
                    I(4, 255),
                    I(4, 16)
                ]
            )
        );
        assert_eq!(scan("777", "%o"), (1, vec![I(4, 0o777)]));
        assert_eq!(
            scan("1 2 3 4 5 6", "%hhd %hd %ld %lld %zu %Lu"),
            (
                6,
                vec![I(1, 1), I(2, 2), I(8, 3), I(8, 4), I(8, 5), I(8, 6)]
            )
        );
        assert_eq!(
            scan("18446744073709551615", "%llu"),
            (1, vec![I(8, u64::MAX)])
        );
        // Overflow wraps, as simple_strntoull does.
        assert_eq!(scan("18446744073709551616", "%llu"), (1, vec![I(8, 0)]));
    }

    #[test]
    fn field_widths_split_numbers() {
        use Got::*;
        assert_eq!(
            scan("123456", "%2d%3d%d"),
            (3, vec![I(4, 12), I(4, 345), I(4, 6)])
        );
        assert_eq!(
            scan("-12345", "%3d%d"),
            (2, vec![I(4, (-12i64) as u64), I(4, 345)])
        );
        // A width of 1 cannot hold a sign and a digit.
        assert_eq!(scan("-5", "%1d"), (0, vec![]));
        // "0x" eats a width of 2 without a digit: 0, and the scan goes on after it.
        assert_eq!(scan("0x12", "%2x%x"), (2, vec![I(4, 0), I(4, 0x12)]));
    }

    #[test]
    fn strings_chars_and_sets() {
        use Got::*;
        assert_eq!(
            scan("  hello world", "%s %s"),
            (2, vec![s("hello"), s("world")])
        );
        assert_eq!(scan("abcdef", "%3s%s"), (2, vec![s("abc"), s("def")]));
        assert_eq!(
            scan(" xyz", "%c%2c"),
            (2, vec![C(b" ".to_vec()), C(b"xy".to_vec())])
        );
        // %c stops early at the end of the input.
        assert_eq!(scan("ab", "%5c"), (1, vec![C(b"ab".to_vec())]));
        assert_eq!(
            scan("00:0a:95", "%2[^:]:%2[^:]:%2[^:]"),
            (3, vec![s("00"), s("0a"), s("95")])
        );
        assert_eq!(scan("aabbc", "%9[ab]%s"), (2, vec![s("aabb"), s("c")]));
        // No width, or an empty match: the scan ends.
        assert_eq!(scan("abc", "%[abc]"), (0, vec![]));
        assert_eq!(scan("xyz", "%9[abc]"), (0, vec![]));
    }

    #[test]
    fn suppression_counts_and_literals() {
        use Got::*;
        assert_eq!(scan("skip 42 rest", "%*s %d %n"), (1, vec![I(4, 42), N(8)]));
        // %* skips to white space whatever the conversion.
        assert_eq!(scan("12abc 7", "%*d %d"), (1, vec![I(4, 7)]));
        assert_eq!(scan("a[b] 1", "%*[ab] %d"), (0, vec![]));
        assert_eq!(scan("x=5,y=6", "x=%d,y=%d"), (2, vec![I(4, 5), I(4, 6)]));
        assert_eq!(scan("x=5;y=6", "x=%d,y=%d"), (1, vec![I(4, 5)]));
        assert_eq!(scan("100%", "%d%%"), (1, vec![I(4, 100)]));
        // White space in the format matches none too.
        assert_eq!(scan("1,2", "%d , %d"), (2, vec![I(4, 1), I(4, 2)]));
        // %n works at the end of the input; other conversions do not.
        assert_eq!(scan("7", "%d%n%d"), (1, vec![I(4, 7), N(1)]));
    }

    #[test]
    fn failures_end_the_scan() {
        use Got::*;
        assert_eq!(scan("abc", "%d"), (0, vec![]));
        assert_eq!(scan("12 abc", "%d %d"), (1, vec![I(4, 12)]));
        assert_eq!(scan("12", "%q"), (0, vec![]));
        assert_eq!(scan("", "%d"), (0, vec![]));
        assert_eq!(scan("9", "%o"), (0, vec![]));
        assert_eq!(scan("5 6", "%0d %d"), (0, vec![]));
        // A store that fails (a bad pointer) ends the scan with what was assigned before it.
        let mut calls = 0;
        let n = vsscanf(b"1 2 3", b"%d %d %d", &mut |_| {
            calls += 1;
            calls < 2
        });
        assert_eq!((n, calls), (1, 2));
    }
}

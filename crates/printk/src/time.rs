//! Calendar arithmetic for `dmesg -T` (`strftime("%a %b %e %H:%M:%S %Y")` of `localtime`), with a
//! small TZif reader so the host's local time zone can be honoured without libc.

use std::sync::Arc;

/// The time zone `-T` renders in.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TimeZone {
    /// UTC (the default of [`crate::dmesg::DmesgOptions`]).
    #[default]
    Utc,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i64),
    /// Transitions read from a TZif file.
    Tzif(Arc<Tzif>),
}

/// The parts of a TZif file needed for UTC offsets.
#[derive(Clone, Debug, PartialEq)]
pub struct Tzif {
    transitions: Vec<i64>,
    /// Index into `offsets` for each transition.
    kinds: Vec<u8>,
    offsets: Vec<i64>,
    /// Offset before the first transition (the first standard-time type).
    initial: i64,
}

impl TimeZone {
    /// Offset east of UTC at `t` (seconds since the epoch).
    pub fn offset_at(&self, t: i64) -> i64 {
        match self {
            TimeZone::Utc => 0,
            TimeZone::Fixed(o) => *o,
            TimeZone::Tzif(z) => z.offset_at(t),
        }
    }

    /// The zone `localtime()` would use: `$TZ` naming a zone file (`:Area/City` or `Area/City`,
    /// under `/usr/share/zoneinfo`), `UTC`-like names, or `/etc/localtime`. Anything unreadable,
    /// and POSIX rule strings such as `EST5EDT`, fall back to UTC.
    pub fn from_env() -> TimeZone {
        let tz = std::env::var("TZ").ok();
        let path = match tz.as_deref() {
            Some("") | Some("UTC") | Some("UTC0") | Some(":UTC") | Some("GMT")
            | Some("Etc/UTC") => return TimeZone::Utc,
            Some(name) => {
                let name = name.strip_prefix(':').unwrap_or(name);
                if name.starts_with('/') {
                    name.to_string()
                } else {
                    format!("/usr/share/zoneinfo/{name}")
                }
            }
            None => "/etc/localtime".to_string(),
        };
        match std::fs::read(&path).ok().and_then(|d| Tzif::parse(&d)) {
            Some(z) => TimeZone::Tzif(Arc::new(z)),
            None => TimeZone::Utc,
        }
    }
}

fn be32(d: &[u8], at: usize) -> Option<i64> {
    Some(i64::from(i32::from_be_bytes(
        d.get(at..at + 4)?.try_into().ok()?,
    )))
}

fn be64(d: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

impl Tzif {
    /// Parse a TZif file (v1 data, or the 64-bit block of v2+). The footer rule string is not
    /// used: times after the last transition keep its offset.
    pub fn parse(d: &[u8]) -> Option<Tzif> {
        if d.get(..4)? != b"TZif" {
            return None;
        }
        let counts = |at: usize| -> Option<[usize; 6]> {
            let mut c = [0usize; 6];
            for (k, v) in c.iter_mut().enumerate() {
                *v = usize::try_from(be32(d, at + 20 + 4 * k)?).ok()?;
            }
            Some(c)
        };
        // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
        let c1 = counts(0)?;
        let v1_len = c1[3] * 5 + c1[4] * 6 + c1[5] + c1[2] * 8 + c1[1] + c1[0];
        let (base, c, tsize) = if d[4] >= b'2' {
            let b2 = 44 + v1_len;
            if d.get(b2..b2 + 4)? != b"TZif" {
                return None;
            }
            (b2 + 44, counts(b2)?, 8)
        } else {
            (44, c1, 4)
        };
        let (timecnt, typecnt) = (c[3], c[4]);
        let mut transitions = Vec::with_capacity(timecnt);
        for k in 0..timecnt {
            let at = base + k * tsize;
            transitions.push(if tsize == 8 {
                be64(d, at)?
            } else {
                be32(d, at)?
            });
        }
        let kinds_at = base + timecnt * tsize;
        let kinds = d.get(kinds_at..kinds_at + timecnt)?.to_vec();
        let types_at = kinds_at + timecnt;
        let mut offsets = Vec::with_capacity(typecnt);
        let mut initial = None;
        for k in 0..typecnt {
            let at = types_at + 6 * k;
            let off = be32(d, at)?;
            let isdst = *d.get(at + 4)?;
            if initial.is_none() && isdst == 0 {
                initial = Some(off);
            }
            offsets.push(off);
        }
        if offsets.is_empty() || kinds.iter().any(|&k| usize::from(k) >= offsets.len()) {
            return None;
        }
        let initial = initial.unwrap_or(offsets[0]);
        Some(Tzif {
            transitions,
            kinds,
            offsets,
            initial,
        })
    }

    fn offset_at(&self, t: i64) -> i64 {
        match self.transitions.partition_point(|&x| x <= t) {
            0 => self.initial,
            n => self.offsets[usize::from(self.kinds[n - 1])],
        }
    }
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `strftime("%a %b %e %H:%M:%S %Y", localtime(t))` in the C locale.
pub fn ctime(t: i64, tz: &TimeZone) -> String {
    let local = t + tz.offset_at(t);
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wday = (days + 4).rem_euclid(7) as usize;
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[wday],
        MONTHS[(m - 1) as usize],
        d,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        y
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_utc() {
        assert_eq!(ctime(0, &TimeZone::Utc), "Thu Jan  1 00:00:00 1970");
        assert_eq!(
            ctime(1_795_313_239, &TimeZone::Utc),
            "Sun Nov 22 02:07:19 2026"
        );
        assert_eq!(
            ctime(951_782_400, &TimeZone::Utc),
            "Tue Feb 29 00:00:00 2000"
        );
        assert_eq!(ctime(-1, &TimeZone::Utc), "Wed Dec 31 23:59:59 1969");
        assert_eq!(ctime(0, &TimeZone::Fixed(3600)), "Thu Jan  1 01:00:00 1970");
    }

    #[test]
    fn tzif_file() {
        // Berlin, if the system has zoneinfo: CET in January, CEST in July.
        let Ok(d) = std::fs::read("/usr/share/zoneinfo/Europe/Berlin") else {
            return;
        };
        let z = TimeZone::Tzif(Arc::new(Tzif::parse(&d).expect("valid TZif")));
        assert_eq!(ctime(1_767_225_600, &z), "Thu Jan  1 01:00:00 2026");
        assert_eq!(ctime(1_782_864_000, &z), "Wed Jul  1 02:00:00 2026");
    }
}

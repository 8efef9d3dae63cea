//! The `.modinfo` section: `key=value` strings written by `MODULE_*()` macros and modpost.

/// One `.modinfo` record. A record without `=` has the whole string as key and an empty value, as
/// kmod reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModInfoEntry<'a> {
    pub key: &'a [u8],
    pub value: &'a [u8],
}

impl<'a> ModInfoEntry<'a> {
    /// Splits one record at its first `=`.
    pub fn parse(record: &'a [u8]) -> Self {
        match record.iter().position(|&b| b == b'=') {
            Some(eq) => ModInfoEntry {
                key: &record[..eq],
                value: &record[eq + 1..],
            },
            None => ModInfoEntry {
                key: record,
                value: &[],
            },
        }
    }
}

/// The records of a `.modinfo` section in file order, duplicates kept.
///
/// Records are the non-empty runs between NUL bytes (alignment padding between records is skipped).
/// Like kmod, a section whose content after leading padding is at most one byte holds no records.
#[derive(Debug, Clone)]
pub struct ModInfo<'a> {
    rest: &'a [u8],
}

impl<'a> ModInfo<'a> {
    /// Reads the raw section bytes.
    pub fn new(section: &'a [u8]) -> Self {
        let start = section
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(section.len());
        // kmod stops skipping padding one byte before the end, then treats <= 1 byte as empty.
        let start = start.min(section.len().saturating_sub(1));
        let rest = &section[start..];
        ModInfo {
            rest: if rest.len() <= 1 { &[] } else { rest },
        }
    }

    /// Values of every record with key `key`, in file order.
    pub fn values(&self, key: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.clone().filter(move |e| e.key == key).map(|e| e.value)
    }

    /// The first value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.clone().find(|e| e.key == key).map(|e| e.value)
    }
}

impl<'a> Iterator for ModInfo<'a> {
    type Item = ModInfoEntry<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.rest.iter().position(|&b| b != 0)?;
        let rest = &self.rest[start..];
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        self.rest = &rest[end..];
        Some(ModInfoEntry::parse(&rest[..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(section: &[u8]) -> Vec<(String, String)> {
        ModInfo::new(section)
            .map(|e| {
                (
                    String::from_utf8_lossy(e.key).into_owned(),
                    String::from_utf8_lossy(e.value).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn records_in_order_with_duplicates_and_padding() {
        let s = b"\0\0alias=a\0\0\0alias=b\0license=GPL\0flag\0depends=\0";
        assert_eq!(
            keys(s),
            vec![
                ("alias".into(), "a".into()),
                ("alias".into(), "b".into()),
                ("license".into(), "GPL".into()),
                ("flag".into(), "".into()),
                ("depends".into(), "".into()),
            ]
        );
    }

    #[test]
    fn unterminated_last_record_counts() {
        assert_eq!(
            keys(b"a=1\0b=2"),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
    }

    #[test]
    fn tiny_sections_hold_nothing() {
        assert!(keys(b"").is_empty());
        assert!(keys(b"\0\0\0").is_empty());
        assert!(keys(b"\0\0x").is_empty());
        assert_eq!(keys(b"\0xy"), vec![("xy".into(), "".into())]);
    }
}

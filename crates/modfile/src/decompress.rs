//! Transparent decompression of `.ko.gz`, `.ko.xz` and `.ko.zst`, chosen by content magic as kmod does
//! (never by file name). Pure Rust: no C compression libraries.

use std::fmt;
use std::io::Read;

/// The largest decompressed module accepted. The biggest module in a distribution kernel is a few tens
/// of MiB; anything beyond this is a corrupt or hostile stream ("decompression bomb").
pub const MAX_DECOMPRESSED: u64 = 512 << 20;

/// How a module file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Gzip,
    Xz,
    Zstd,
}

impl Compression {
    /// Detects the format from the first bytes: zstd `28 B5 2F FD`, xz `FD 37 7A 58 5A 00`, gzip `1F 8B`.
    pub fn detect(data: &[u8]) -> Compression {
        if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Compression::Xz
        } else if data.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else {
            Compression::None
        }
    }

    /// The name `/sys/module/compression` uses for it ("none" when uncompressed).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }
}

/// A compressed stream that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecompressError {
    pub format: Compression,
    pub reason: String,
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "broken {} stream: {}", self.format.name(), self.reason)
    }
}

impl std::error::Error for DecompressError {}

/// Decodes `data` in `format`. `Compression::None` returns a copy.
pub fn decompress(data: &[u8], format: Compression) -> Result<Vec<u8>, DecompressError> {
    let err = |reason: String| DecompressError { format, reason };
    // Modules compress 2-5x; start there to avoid most reallocations.
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(64 << 20));
    let limit = MAX_DECOMPRESSED + 1;
    let result = match format {
        Compression::None => return Ok(data.to_vec()),
        Compression::Gzip => flate2::read::MultiGzDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out),
        Compression::Xz => lzma_rust2::XzReader::new(data, true)
            .take(limit)
            .read_to_end(&mut out),
        Compression::Zstd => return decompress_zstd(data).map_err(err),
    };
    match result {
        Ok(_) if out.len() as u64 > MAX_DECOMPRESSED => Err(err(format!(
            "decompressed size exceeds {} MiB; refusing it",
            MAX_DECOMPRESSED >> 20
        ))),
        Ok(_) => Ok(out),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(err("stream truncated".into()))
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// zstd frames made by the `zstd` tool record their content size: decode straight into a buffer of that
/// size (much faster than streaming through ruzstd's reader), frame after frame.
fn decompress_zstd(mut input: &[u8]) -> Result<Vec<u8>, String> {
    use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    while !input.is_empty() {
        decoder.init(&mut input).map_err(|e| e.to_string())?;
        let size = decoder.content_size();
        if out.len() as u64 + size > MAX_DECOMPRESSED {
            return Err(format!(
                "decompressed size exceeds {} MiB; refusing it",
                MAX_DECOMPRESSED >> 20
            ));
        }
        out.reserve(size as usize);
        while !decoder.is_finished() {
            decoder
                .decode_blocks(&mut input, BlockDecodingStrategy::UptoBytes(1 << 20))
                .map_err(|e| e.to_string())?;
            decoder
                .collect_to_writer(&mut out)
                .map_err(|e| e.to_string())?;
            if out.len() as u64 > MAX_DECOMPRESSED {
                return Err(format!(
                    "decompressed size exceeds {} MiB; refusing it",
                    MAX_DECOMPRESSED >> 20
                ));
            }
        }
        decoder
            .collect_to_writer(&mut out)
            .map_err(|e| e.to_string())?;
        if let (Some(want), Some(got)) = (
            decoder.get_checksum_from_data(),
            decoder.get_calculated_checksum(),
        ) {
            if want != got {
                return Err(format!(
                    "content checksum mismatch ({got:08x} != {want:08x})"
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic_only() {
        assert_eq!(Compression::detect(b"\x7fELF...."), Compression::None);
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(
            Compression::detect(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]),
            Compression::Xz
        );
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(Compression::detect(&[0x1f]), Compression::None);
    }

    #[test]
    fn broken_streams_are_errors() {
        for (magic, format) in [
            (
                &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff][..],
                Compression::Gzip,
            ),
            (
                &[0xfd, b'7', b'z', b'X', b'Z', 0, 0, 1, 2][..],
                Compression::Xz,
            ),
            (&[0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff][..], Compression::Zstd),
        ] {
            let e = decompress(magic, format).unwrap_err();
            assert_eq!(e.format, format);
            assert!(
                e.to_string()
                    .starts_with(&format!("broken {} stream: ", format.name())),
                "{e}"
            );
        }
    }
}

//! Fuzzes the /dev/kmsg record parser (what `lkm dmesg` reads from the sandbox): any line gives a
//! record or an error, and a parsed record formats to a line that parses to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkm_printk::log::{format_kmsg, parse_kmsg};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rec) = parse_kmsg(text) {
        let line = format_kmsg(&rec);
        let again = parse_kmsg(&line).expect("formatted record parses");
        assert_eq!(again.seq, rec.seq);
        assert_eq!(again.text, rec.text);
    }
});

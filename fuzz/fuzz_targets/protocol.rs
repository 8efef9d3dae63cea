//! Fuzzes the sandbox's control-socket decoder: arbitrary bytes as a request or reply frame must give
//! a value or an error, and a decoded request must encode back to the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkm_sandbox::protocol::{Reply, Request};

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = Request::read(&mut &data[..]) {
        let mut again = Vec::new();
        req.write(&mut again).expect("encode to memory");
        assert_eq!(Request::read(&mut again.as_slice()).expect("re-decode"), req);
    }
    let _ = Reply::read(&mut &data[..]);
});

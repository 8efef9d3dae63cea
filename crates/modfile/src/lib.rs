//! Kernel module files (`.ko`) as data.
pub mod pkcs7;
pub mod signature;

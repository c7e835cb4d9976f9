//! `States.Hash`: a string's digest, in hexadecimal.

use std::fmt::Write as _;

use serde_json::Value;
use sha2::Digest as _;

use super::args::{limited, string};
use crate::expr::intrinsics::HASH_ALGORITHMS;

/// `States.Hash(text, algorithm)`: the digest of `text`'s UTF-8 bytes.
pub(super) fn hash(args: &[Value]) -> Result<Value, String> {
    let data = limited(string(args, 0), "hash")?.as_bytes();
    let digest = match string(args, 1) {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" => sha2::Sha512::digest(data).to_vec(),
        other => {
            return Err(format!(
                "unsupported algorithm '{other}'; use one of {}",
                HASH_ALGORITHMS.join(", ")
            ))
        }
    };
    Ok(Value::String(hex(&digest)))
}

/// `bytes` in lowercase hexadecimal.
pub(super) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

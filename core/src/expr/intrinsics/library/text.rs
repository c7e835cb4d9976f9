//! Strings: `States.StringSplit`, `States.Base64Encode` and `States.Base64Decode`.

use base64::Engine as _;
use serde_json::Value;

use super::args::{limited, string};

/// `States.StringSplit(text, delimiters)`: split on each character of `delimiters`, empty
/// parts dropped.
pub(super) fn split(args: &[Value]) -> Result<Value, String> {
    let (text, delimiters) = (string(args, 0), string(args, 1));
    let parts = text
        .split(|c| delimiters.contains(c))
        .filter(|part| !part.is_empty())
        .map(|part| Value::String(part.to_owned()))
        .collect();
    Ok(Value::Array(parts))
}

/// `States.Base64Encode(text)`: the UTF-8 bytes of `text`, in standard Base64.
pub(super) fn base64_encode(args: &[Value]) -> Result<Value, String> {
    let text = limited(string(args, 0), "encode")?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
    ))
}

/// `States.Base64Decode(text)`: the UTF-8 text that `text` encodes.
pub(super) fn base64_decode(args: &[Value]) -> Result<Value, String> {
    let text = limited(string(args, 0), "decode")?;
    // MIME Base64: line breaks and other whitespace are ignored, padding optional.
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let bytes = engine
        .decode(compact)
        .map_err(|e| format!("the string is not valid Base64 ({e})"))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| "the decoded data is not UTF-8 text".to_owned())
}

//! Small helpers: URL coding, base64, GUIDs, scope keys, and the ARM error type.

use serde_json::{json, Value};

pub const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// Decode `%XX` escapes. Fails on a broken escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if i + 2 >= bytes.len() {
                return Err(());
            }
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).map_err(|_| ())?;
            let b = u8::from_str_radix(hex, 16).map_err(|_| ())?;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// Decode a query component (`+` is a space).
pub fn query_decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_decode(&s).unwrap_or(s)
}

/// Encode a query component: everything but unreserved characters is escaped.
pub fn query_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'(' | b')' | b'$') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Split a raw query string into decoded pairs.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (query_decode(k), query_decode(v)),
            None => (query_decode(p), String::new()),
        })
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 with `=` padding (like ARM's opaque operation ids, minus `+` and `/`).
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let b = [chunk[0], if n > 1 { chunk[1] } else { 0 }, if n > 2 { chunk[2] } else { 0 }];
        let v = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        out.push(B64[(v >> 18) as usize & 63] as char);
        out.push(B64[(v >> 12) as usize & 63] as char);
        out.push(if n > 1 { B64[(v >> 6) as usize & 63] as char } else { '=' });
        out.push(if n > 2 { B64[v as usize & 63] as char } else { '=' });
    }
    out
}

pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64.iter().position(|x| *x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// FNV-1a, for skip-token checksums.
pub fn fnv64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

pub fn is_guid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

pub fn is_zero_guid(s: &str) -> bool {
    s.eq_ignore_ascii_case(ZERO_GUID)
}

/// The non-empty segments of a path or scope.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(|s| s.to_string()).collect()
}

/// A scope in its comparison form: lower case, one leading slash, no trailing slash (`/` for the root).
pub fn scope_key(scope: &str) -> String {
    let segs = segments(scope);
    if segs.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", segs.join("/")).to_ascii_lowercase()
    }
}

/// A scope as given, normalized (one leading slash, no trailing slash).
pub fn normalize_scope(scope: &str) -> String {
    let segs = segments(scope);
    if segs.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", segs.join("/"))
    }
}

/// `*`-glob match, case-insensitive (ARM action patterns).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// An error answered in ARM's shape `{"error":{"code","message"[,"target"][,"details"]}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.to_string(), message: message.into(), target: None, headers: Vec::new() }
    }
    pub fn with_target(mut self, target: &str) -> Self {
        self.target = Some(target.to_string());
        self
    }
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn body(&self) -> Value {
        let mut err = json!({"code": self.code, "message": self.message});
        if let Some(t) = &self.target {
            err["target"] = json!(t);
        }
        json!({ "error": err })
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("*", "Microsoft.Storage/storageAccounts/read"));
        assert!(glob_match("*/read", "Microsoft.Storage/storageAccounts/read"));
        assert!(!glob_match("*/read", "Microsoft.Storage/storageAccounts/write"));
        assert!(glob_match("Microsoft.Authorization/*/Write", "microsoft.authorization/roleAssignments/write"));
        assert!(glob_match("Microsoft.Storage/*", "Microsoft.Storage/storageAccounts/fileServices/shares/read"));
        assert!(!glob_match("Microsoft.Storage/*", "Microsoft.StorageSync/storageSyncServices/read"));
    }

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "abcd", "{\"partitionId\":\"x\"}"] {
            assert_eq!(b64_decode(&b64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b").unwrap(), "a b");
        assert!(percent_decode("a%2").is_err());
        assert!(percent_decode("a%zz").is_err());
        assert_eq!(query_decode("principalId+eq+%27x%27"), "principalId eq 'x'");
    }
}

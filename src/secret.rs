//! A string that must never be printed: access tokens, client secrets, key-file contents.

use std::fmt;

/// A secret string. `Debug` and `Display` print a placeholder; the value is only reachable through
/// [`Secret::expose`], which every caller should treat as a place that needs review. Not `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value itself. Use only to put it into an `Authorization` header or a token request body.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the allocation is released.
        // SAFETY: zero bytes keep the string valid UTF-8.
        unsafe {
            for b in self.0.as_bytes_mut() {
                std::ptr::write_volatile(b, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("eyJ0eXAiOiJKV1Qi.sentinel");
        assert!(!format!("{s:?}").contains("sentinel"));
        assert!(!format!("{s}").contains("sentinel"));
        assert_eq!(s.expose(), "eyJ0eXAiOiJKV1Qi.sentinel");
    }
}

//! [`Text`]: the strings of a finding. A large estate yields a hundred thousand findings, most of them
//! naming ids the snapshot already holds (the resource, the share scope, the role assignment) or wording
//! that never changes. `Text` keeps such a string by reference instead of copying it, and owns the rest.

use std::borrow::Cow;
use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::model::resource_id::ResourceId;

/// A string that is fixed wording, shared (an id of the snapshot, a name used by many findings) or owned.
/// It reads as a `&str` (`Deref`), compares, hashes and orders as its text, and serializes as a JSON
/// string; cloning a fixed or shared text never copies it.
///
/// Sixteen bytes (a pointer, a length and a kind), so that `Option<Text>` is too: a finding carries a dozen.
pub struct Text {
    /// Fixed / Owned / Shared: the first byte of the text. Id: the `ResourceId`'s shared parts.
    ptr: NonNull<u8>,
    /// The text's length in bytes (Id: unused).
    len: u32,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `&'static str`.
    Fixed,
    /// A `Box<str>` this text owns.
    Owned,
    /// An `Arc<str>`, one strong count held.
    Shared,
    /// A [`ResourceId`], one strong count held.
    Id,
}

// SAFETY: every kind is a string that is Send and Sync (a static str, a Box<str>, an Arc<str>, a ResourceId);
// the text is never mutated after construction.
unsafe impl Send for Text {}
unsafe impl Sync for Text {}

/// The length as stored. Strings here are ids, names and sentences; one of 4 GiB cannot come from any
/// input this tool accepts (snapshots and responses are size-limited far below it).
fn len32(len: usize) -> u32 {
    u32::try_from(len).expect("a finding's text is shorter than 4 GiB")
}

impl Text {
    /// Fixed wording: no allocation.
    pub const fn fixed(s: &'static str) -> Text {
        assert!(s.len() <= u32::MAX as usize);
        // SAFETY: a str's pointer is never null (an empty one is dangling but non-null).
        Text { ptr: unsafe { NonNull::new_unchecked(s.as_ptr() as *mut u8) }, len: s.len() as u32, kind: Kind::Fixed }
    }

    /// A string several findings name: the text is kept once.
    pub fn shared(s: &str) -> Text {
        Text::from_arc(Arc::from(s))
    }

    fn from_arc(s: Arc<str>) -> Text {
        let len = len32(s.len());
        let raw = Arc::into_raw(s) as *const u8 as *mut u8;
        // SAFETY: Arc::into_raw never returns null.
        Text { ptr: unsafe { NonNull::new_unchecked(raw) }, len, kind: Kind::Shared }
    }

    fn owned(s: Box<str>) -> Text {
        let len = len32(s.len());
        let raw = Box::into_raw(s) as *mut u8;
        // SAFETY: Box::into_raw never returns null.
        Text { ptr: unsafe { NonNull::new_unchecked(raw) }, len, kind: Kind::Owned }
    }

    fn raw_str(&self) -> *mut str {
        std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len as usize) as *mut str
    }

    pub fn as_str(&self) -> &str {
        match self.kind {
            // SAFETY: the id's parts are kept alive by the strong count this text holds.
            Kind::Id => unsafe { ResourceId::raw_text(self.ptr.as_ptr() as *const ()) },
            // SAFETY: ptr and len describe a valid str that lives as long as this text (static, owned or
            // counted).
            _ => unsafe { &*self.raw_str() },
        }
    }
}

impl Clone for Text {
    fn clone(&self) -> Text {
        match self.kind {
            Kind::Fixed => Text { ptr: self.ptr, len: self.len, kind: Kind::Fixed },
            Kind::Owned => Text::owned(self.as_str().into()),
            Kind::Shared => {
                // SAFETY: the pointer came from Arc::into_raw of an Arc<str> of this length, still counted.
                unsafe { Arc::increment_strong_count(self.raw_str() as *const str) };
                Text { ptr: self.ptr, len: self.len, kind: Kind::Shared }
            }
            Kind::Id => {
                // SAFETY: the pointer came from ResourceId::into_raw and its count is still held.
                unsafe { ResourceId::raw_clone(self.ptr.as_ptr() as *const ()) };
                Text { ptr: self.ptr, len: self.len, kind: Kind::Id }
            }
        }
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        match self.kind {
            Kind::Fixed => {}
            // SAFETY: the pointer and length came from Box::into_raw of a Box<str>, dropped once here.
            Kind::Owned => drop(unsafe { Box::from_raw(self.raw_str()) }),
            // SAFETY: the pointer and length came from Arc::into_raw of an Arc<str>; this releases our count.
            Kind::Shared => drop(unsafe { Arc::from_raw(self.raw_str() as *const str) }),
            // SAFETY: the pointer came from ResourceId::into_raw; this releases our count.
            Kind::Id => unsafe { ResourceId::raw_drop(self.ptr.as_ptr() as *const ()) },
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::fixed("")
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    /// As a `str` displays: width, fill and precision apply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}
impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}
impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}
impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::owned(s.into_boxed_str())
    }
}
impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::owned(s.as_str().into())
    }
}
/// A copy of the text (use [`Text::fixed`] for wording that never changes).
impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::owned(s.into())
    }
}
impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Text {
        match s {
            Cow::Borrowed(s) => Text::fixed(s),
            Cow::Owned(s) => s.into(),
        }
    }
}
impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Text {
        Text::from_arc(s)
    }
}
/// Shares the id's text (no copy).
impl From<ResourceId> for Text {
    fn from(id: ResourceId) -> Text {
        let raw = id.into_raw() as *mut u8;
        // SAFETY: ResourceId::into_raw never returns null.
        Text { ptr: unsafe { NonNull::new_unchecked(raw) }, len: 0, kind: Kind::Id }
    }
}
/// Shares the id's text (no copy).
impl From<&ResourceId> for Text {
    fn from(id: &ResourceId) -> Text {
        Text::from(id.clone())
    }
}
impl From<&Text> for Text {
    fn from(t: &Text) -> Text {
        t.clone()
    }
}
impl From<Text> for String {
    fn from(t: Text) -> String {
        t.as_str().to_string()
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read straight into a shared string: every clone (a snapshot's ids are named by many findings)
        // then costs a reference count.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text::shared(s))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// Compare two strings as their lower-case forms would compare, without building them. Ids that share a
/// long prefix spelled alike (most do) are compared eight bytes at a time up to where they differ.
pub(crate) fn cmp_ignore_ascii_case(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i + 8 <= a.len() && i + 8 <= b.len() && a[i..i + 8] == b[i..i + 8] {
        i += 8;
    }
    a[i..].iter().map(u8::to_ascii_lowercase).cmp(b[i..].iter().map(u8::to_ascii_lowercase))
}

/// `2026-11-30 14:03 UTC`.
/// "1 finding", "2 findings": a count with its noun, singular or plural (never "finding(s)").
pub fn count(n: impl Into<u64>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_compares_and_serializes_as_its_text() {
        let id = ResourceId::parse("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG").unwrap();
        let kinds = [
            Text::fixed("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG"),
            Text::from("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG".to_string()),
            Text::shared("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG"),
            Text::from(&id),
        ];
        for t in &kinds {
            assert_eq!(t.as_str(), "/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG");
            assert_eq!(t, &kinds[0]);
            assert_eq!(*t, "/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG");
            assert_eq!(
                serde_json::to_string(t).unwrap(),
                "\"/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG\""
            );
            assert_eq!(format!("{t:>60}|{t:.3}"), format!("{:>60}|{:.3}", t.as_str(), t.as_str()));
            assert_eq!(format!("{t:?}"), "\"/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/RG\"");
            let back: Text = serde_json::from_str(&serde_json::to_string(t).unwrap()).unwrap();
            assert_eq!(&back, t);
        }
        // Comparison is exact (unlike ResourceId's), so a finding's text round-trips unchanged.
        assert_ne!(
            Text::from(&id),
            Text::fixed("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourcegroups/rg")
        );
        assert!(Text::fixed("a") < Text::shared("b"));
    }

    #[test]
    fn sixteen_bytes_and_so_is_an_optional_one() {
        assert_eq!(std::mem::size_of::<Text>(), 16);
        assert_eq!(std::mem::size_of::<Option<Text>>(), 16);
    }

    #[test]
    fn clones_and_drops_keep_the_counts() {
        let arc: Arc<str> = Arc::from("shared by many findings");
        let t = Text::from(arc.clone());
        assert_eq!(Arc::strong_count(&arc), 2);
        let copies: Vec<Text> = (0..5).map(|_| t.clone()).collect();
        assert_eq!(Arc::strong_count(&arc), 7);
        assert!(copies.iter().all(|c| c == "shared by many findings"));
        drop(copies);
        drop(t);
        assert_eq!(Arc::strong_count(&arc), 1);

        // An owned text is copied on clone and each copy freed on its own (run under valgrind by hand to
        // see no leak or double free).
        let owned = Text::from(String::from("owned"));
        let copy = owned.clone();
        assert_ne!(owned.as_str().as_ptr(), copy.as_str().as_ptr());
        drop(owned);
        assert_eq!(copy, "owned");

        // An id outlives the ResourceId it came from.
        let id = ResourceId::parse("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/rg").unwrap();
        let t = Text::from(&id);
        let t2 = t.clone();
        drop(id);
        drop(t);
        assert_eq!(t2, "/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/rg");

        // Empty texts of every kind.
        for e in [Text::default(), Text::from(String::new()), Text::shared(""), Text::from("")] {
            assert_eq!(e.as_str(), "");
            assert_eq!(e.clone(), "");
        }
    }

    #[test]
    fn an_id_is_shared_not_copied() {
        let id = ResourceId::parse("/subscriptions/5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f/resourceGroups/rg").unwrap();
        let t = Text::from(&id);
        assert!(std::ptr::eq(t.as_str().as_ptr(), id.as_str().as_ptr()));
        let s = Text::shared("x");
        assert!(std::ptr::eq(s.clone().as_str().as_ptr(), s.as_str().as_ptr()));
    }
}

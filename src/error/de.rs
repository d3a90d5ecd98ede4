//! How JSON from outside (requests, session and credential options) becomes typed values: one generic
//! reader over any `Deserialize` type, whose error is typed ([`Defect`]: an unknown field, a missing one, a wrong type, a value its type refused),
//! with the path of the field at fault; and [`fields_of`], the field names serde itself knows for a
//! struct, read through a small capturing `Deserializer` (for the contract, never a hand-kept list).

use std::fmt;

use serde::de::{self, IntoDeserializer, Visitor};
use serde::Deserialize;

/// What is wrong with a request (or session or credential options), as serde found it: callers branch on
/// the variant, never on the message text.
#[derive(Debug, Clone, PartialEq)]
pub enum Defect {
    /// A field the type does not take (the type is `deny_unknown_fields`), with the ones it takes.
    UnknownField { field: String, expected: &'static [&'static str] },
    /// A required field is absent.
    MissingField(&'static str),
    /// A tag or enum value that names no variant, with the ones there are.
    UnknownVariant { variant: String, expected: &'static [&'static str] },
    /// A value of the wrong JSON type or out of its type's values (`unexpected` names the kind of value
    /// found, never the value: it may be a secret given in the wrong place).
    WrongType { unexpected: String, expected: String },
    /// A value its type refused as it was parsed (its own message, complete).
    Invalid(String),
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn one_of(names: &[&str]) -> String {
            match names {
                [] => "there are none".to_string(),
                [one] => format!("expected `{one}`"),
                many => {
                    format!("expected one of {}", many.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))
                }
            }
        }
        match self {
            Defect::UnknownField { field, expected: [] } => write!(f, "unknown field `{field}`, there are no fields"),
            Defect::UnknownField { field, expected } => write!(f, "unknown field `{field}`, {}", one_of(expected)),
            Defect::MissingField(field) => write!(f, "missing field `{field}`"),
            Defect::UnknownVariant { variant, expected: [] } => {
                write!(f, "unknown variant `{variant}`, there are no variants")
            }
            Defect::UnknownVariant { variant, expected } => {
                write!(f, "unknown variant `{variant}`, {}", one_of(expected))
            }
            Defect::WrongType { unexpected, expected } => write!(f, "invalid type: {unexpected}, expected {expected}"),
            Defect::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Defect {}

impl de::Error for Defect {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Defect::Invalid(msg.to_string())
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Defect::UnknownField { field: field.to_string(), expected }
    }
    fn missing_field(field: &'static str) -> Self {
        Defect::MissingField(field)
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Defect::UnknownVariant { variant: variant.to_string(), expected }
    }
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Defect::WrongType { unexpected: kind_of(&unexp), expected: exp.to_string() }
    }
    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Defect::WrongType { unexpected: kind_of(&unexp), expected: exp.to_string() }
    }
}

/// What kind of value serde found, never the value itself (it may be a token given in the wrong place).
fn kind_of(unexp: &de::Unexpected) -> String {
    use de::Unexpected as U;
    match unexp {
        U::Bool(_) => "boolean",
        U::Unsigned(_) | U::Signed(_) => "integer",
        U::Float(_) => "floating point",
        U::Char(_) => "character",
        U::Str(_) => "string",
        U::Bytes(_) => "bytes",
        U::Unit => "null",
        U::Option => "option",
        U::NewtypeStruct => "newtype struct",
        U::Seq => "sequence",
        U::Map => "map",
        U::Enum => "enum",
        U::UnitVariant => "unit variant",
        U::NewtypeVariant => "newtype variant",
        U::TupleVariant => "tuple variant",
        U::StructVariant => "struct variant",
        U::Other(_) => "value",
    }
    .to_string()
}

/// A defect and where it is: the field path (`target.resourceId`, empty at the top).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub path: String,
    pub defect: Defect,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.defect)
        } else {
            write!(f, "at '{}': {}", self.path, self.defect)
        }
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.defect)
    }
}

/// Read `T` from a JSON value, with a typed error and its path.
pub fn read<'a, T: Deserialize<'a>>(value: &'a serde_json::Value) -> Result<T, Refusal> {
    serde_path_to_error::deserialize(Json(value)).map_err(|e| {
        let mut path = e.path().to_string();
        if path == "." {
            path.clear();
        }
        let defect = e.into_inner();
        // An unknown field's path ends with the field itself: the path is where it was given.
        if let Defect::UnknownField { field, .. } = &defect {
            if let Some(rest) = path.strip_suffix(field.as_str()) {
                path = rest.trim_end_matches('.').to_string();
            }
        }
        Refusal { path, defect }
    })
}

/// A `serde_json::Value` as a deserializer whose error is [`Defect`].
#[derive(Clone, Copy)]
struct Json<'a>(&'a serde_json::Value);

impl<'de> IntoDeserializer<'de, Defect> for Json<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for Json<'de> {
    type Error = Defect;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Defect> {
        use serde_json::Value;
        match self.0 {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    v.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    v.visit_i64(i)
                } else {
                    v.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => v.visit_borrowed_str(s),
            Value::Array(a) => {
                let mut seq = de::value::SeqDeserializer::new(a.iter().map(Json));
                let out = v.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Object(m) => {
                let mut map = de::value::MapDeserializer::new(m.iter().map(|(k, x)| (k.as_str(), Json(x))));
                let out = v.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Defect> {
        if self.0.is_null() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, Defect> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Defect> {
        match self.0 {
            serde_json::Value::String(s) => v.visit_enum(s.as_str().into_deserializer()),
            serde_json::Value::Object(m) if m.len() == 1 => {
                let (k, x) = m.iter().next().expect("one entry");
                v.visit_enum(de::value::MapAccessDeserializer::new(de::value::MapDeserializer::new(std::iter::once((
                    k.as_str(),
                    Json(x),
                )))))
            }
            _ => self.deserialize_any(v),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// The field names serde knows for the struct `T` (as it spells them in JSON, in declaration order).
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Capture(Option<&'static [&'static str]>);
    struct Probe<'c>(&'c mut Capture);
    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Defect;
        fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Defect> {
            Err(Defect::Invalid("not a struct".into()))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _v: V,
        ) -> Result<V::Value, Defect> {
            self.0 .0 = Some(fields);
            Err(Defect::Invalid("captured".into()))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string option newtype_struct enum
            bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
        }
    }
    let mut capture = Capture(None);
    let _ = T::deserialize(Probe(&mut capture));
    capture.0.unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        #[serde(default)]
        first_field: Option<u32>,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(default)]
        list: Vec<String>,
    }

    #[test]
    fn defects_are_typed_and_keep_their_path() {
        let e = read::<Sample>(&serde_json::json!({"firstFeild": 1})).unwrap_err();
        assert_eq!(e.path, "");
        assert_eq!(e.defect, Defect::UnknownField { field: "firstFeild".into(), expected: &["firstField", "inner"] });
        let e = read::<Sample>(&serde_json::json!({"inner": {"list": [1]}})).unwrap_err();
        assert_eq!(e.path, "inner.list[0]");
        assert!(matches!(e.defect, Defect::WrongType { .. }), "{e}");
        let ok = read::<Sample>(&serde_json::json!({"firstField": 3, "inner": null})).unwrap();
        assert_eq!(ok.first_field, Some(3));
    }

    #[test]
    fn a_wrong_value_is_named_by_its_kind_never_quoted() {
        let e = read::<Sample>(&serde_json::json!({"firstField": "SECRET-SENTINEL"})).unwrap_err();
        assert_eq!(e.defect, Defect::WrongType { unexpected: "string".into(), expected: "u32".into() });
        assert!(!format!("{e} {e:?}").contains("SECRET-SENTINEL"));
    }

    #[test]
    fn fields_are_read_from_serde_itself() {
        assert_eq!(fields_of::<Sample>(), &["firstField", "inner"]);
        assert_eq!(fields_of::<Inner>(), &["list"]);
    }
}

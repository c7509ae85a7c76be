//! Lenient field decoders used by the `Deserialize` implementations.
//!
//! Each accepts every shape the files are known to use for its field and
//! reports anything else as a serde error carrying a [`ValueError`] text.

use std::borrow::Cow;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::codes::TestNumber;
use crate::time::{parse_date, parse_date_time};

/// Text that borrows from the input when the deserializer allows it.
struct CowStr;

impl<'de> Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Wraps an inner visitor so that `null` and a missing value give `None`.
struct Nullable<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Nullable<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)?;
        f.write_str(" or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self.0).map(Some)
    }
}

fn nullable<'de, D, V>(d: D, visitor: V) -> Result<Option<V::Value>, D::Error>
where
    D: Deserializer<'de>,
    V: Visitor<'de>,
{
    d.deserialize_option(Nullable(visitor))
}

/// A required string.
pub(crate) fn text<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Cow<'a, str>, D::Error> {
    d.deserialize_str(CowStr)
}

/// An optional string; an empty string is kept as `Some("")`.
pub(crate) fn opt_text<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    nullable(d, CowStr)
}

/// An optional code from a closed set, such as a test result.
pub(crate) fn opt_code<'de: 'a, 'a, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<Cow<'a, str>>,
{
    Ok(nullable(d, CowStr)?.map(T::from))
}

/// An optional `YYYY-MM-DD` date; an empty string counts as missing.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match nullable(d, CowStr)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => parse_date(&text).map(Some).map_err(de::Error::custom),
    }
}

/// An optional date-time in either known shape; an empty string counts as
/// missing.
pub(crate) fn opt_date_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDateTime>, D::Error> {
    match nullable(d, CowStr)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => parse_date_time(&text).map(Some).map_err(de::Error::custom),
    }
}

/// A whole number written as a JSON number or as decimal text, such as
/// `engineSize` (`"1461"` or `1461`) and `odometerValue`.
struct Count;

impl Count {
    fn from_text<E: de::Error>(text: &str) -> Result<Option<u32>, E> {
        if text.is_empty() {
            return Ok(None);
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(crate::ValueError::new("a whole number", text)));
        }
        text.parse::<u32>()
            .map(Some)
            .map_err(|_| E::custom(crate::ValueError::new("a whole number below 2^32", text)))
    }
}

impl<'de> Visitor<'de> for Count {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        u32::try_from(v).map(Some).map_err(|_| {
            E::custom(crate::ValueError::new(
                "a whole number below 2^32",
                &v.to_string(),
            ))
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .map_err(|_| {
                E::custom(crate::ValueError::new(
                    "a non-negative number",
                    &v.to_string(),
                ))
            })
            .and_then(|v| self.visit_u64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) {
            // The range check above makes the conversion exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return Ok(Some(v as u32));
        }
        Err(E::custom(crate::ValueError::new(
            "a whole number",
            &v.to_string(),
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::from_text(v)
    }
}

pub(crate) fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(nullable(d, Count)?.flatten())
}

/// A test number written as a JSON number or as text.
struct TestNumberVisitor;

impl<'de> Visitor<'de> for TestNumberVisitor {
    type Value = Option<TestNumber<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a test number as a number or a string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(TestNumber::Numeric(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .map(|v| Some(TestNumber::Numeric(v)))
            .map_err(|_| {
                E::custom(crate::ValueError::new(
                    "a non-negative test number",
                    &v.to_string(),
                ))
            })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Err(E::custom(crate::ValueError::new(
            "a whole test number",
            &v.to_string(),
        )))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| TestNumber::from_text(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| TestNumber::from_text(Cow::Owned(v.to_owned()))))
    }
}

pub(crate) fn opt_test_number<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<TestNumber<'a>>, D::Error> {
    Ok(nullable(d, TestNumberVisitor)?.flatten())
}

/// A flag written as a JSON boolean or as `"true"`/`"false"`.
struct Flag;

impl<'de> Visitor<'de> for Flag {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "true" | "TRUE" | "True" => Ok(true),
            "false" | "FALSE" | "False" => Ok(false),
            _ => Err(E::custom(crate::ValueError::new("true or false", v))),
        }
    }
}

pub(crate) fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    nullable(d, Flag)
}

/// A list where `null` means empty.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A list where `null` and a missing key both give `None`, kept apart from
/// an empty list.
pub(crate) fn opt_list<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(d)
}

/// Lets the code enums plug into [`opt_code`].
macro_rules! from_cow {
    ($($name:ident),+) => {
        $(impl<'a> From<Cow<'a, str>> for crate::codes::$name<'a> {
            fn from(text: Cow<'a, str>) -> Self {
                Self::from_text(text)
            }
        })+
    };
}

from_cow!(
    TestResult,
    OdometerUnit,
    OdometerResultType,
    DataSource,
    DefectType,
    Modification
);

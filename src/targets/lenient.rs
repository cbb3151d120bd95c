//! Readers that take what live accounts send, not only what a spec's examples show: numbers
//! as strings, `null` for a missing text or list, a PHP backend's `0`/`1` or `"true"` for
//! a flag. Only a value that cannot mean what is asked fails (an id that is not a number),
//! and a list drops such items rather than failing whole. Shared by every target's wire
//! format.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error};
use serde_json::Value;

/// A number, or a string of digits.
pub fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Text from a string, a number (a phone sent as a number), or nothing.
pub fn text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A flag: `true`/`false`, `1`/`0`, or those as strings; anything else is unknown.
pub fn flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(_) => number(value).filter(|n| *n <= 1).map(|n| n == 1),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let value = Value::deserialize(d)?;
    number(&value).ok_or_else(|| D::Error::custom(format!("not a number: {value}")))
}

pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(number(&Value::deserialize(d)?))
}

pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text(Value::deserialize(d)?).unwrap_or_default())
}

pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text(Value::deserialize(d)?))
}

/// A flag, `false` when it cannot be read.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(flag(&Value::deserialize(d)?).unwrap_or(false))
}

/// The items of a list that read as `T`; `null` is an empty list.
pub fn items<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(list(Value::deserialize(d)?).0)
}

/// The items of a list that read as `T`, and how many did not.
pub fn list<T: DeserializeOwned>(value: Value) -> (Vec<T>, usize) {
    let Value::Array(items) = value else {
        return (Vec::new(), 0);
    };
    let total = items.len();
    let read: Vec<T> = items
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect();
    let dropped = total - read.len();
    (read, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_flags_are_read_in_every_spelling() {
        assert_eq!(number(&json!(7)), Some(7));
        assert_eq!(number(&json!(" 7 ")), Some(7));
        assert_eq!(number(&json!(7.0)), Some(7));
        assert_eq!(number(&json!("x")), None);
        for (value, expected) in [
            (json!(true), Some(true)),
            (json!(0), Some(false)),
            (json!("1"), Some(true)),
            (json!("false"), Some(false)),
            (json!(2), None),
            (json!(null), None),
        ] {
            assert_eq!(flag(&value), expected, "{value}");
        }
    }
}

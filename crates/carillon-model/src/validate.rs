//! Validation of an input value against its shape, producing the canonical value: members
//! unknown to the model are dropped and `null` members are absent.
//!
//! Recursion follows the value, whose depth the JSON parser bounds (128 levels).

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use crate::messages::{self, Violation};
use crate::shape::{Kind, Location, Shape, ShapeId, StringShape, Structure};

pub(crate) struct Checker<'m> {
    shapes: &'m [Shape],
    pub(crate) violations: Vec<Violation>,
    path: String,
}

impl<'m> Checker<'m> {
    pub(crate) fn new(shapes: &'m [Shape]) -> Self {
        Checker {
            shapes,
            violations: Vec::new(),
            path: String::new(),
        }
    }

    pub(crate) fn report(&mut self, path: &str, constraint: impl Into<String>) {
        self.violations.push(Violation {
            path: path.to_owned(),
            constraint: constraint.into(),
        });
    }

    fn fail(&mut self, constraint: impl Into<String>) {
        self.violations.push(Violation {
            path: self.path.clone(),
            constraint: constraint.into(),
        });
    }

    /// Checks the top-level input: members bound outside the URI, query and body (headers) are
    /// not checked, nor are members in `skip` (already reported while converting).
    pub(crate) fn input(
        &mut self,
        structure: &Structure,
        given: Map<String, Value>,
        skip: &HashSet<String>,
    ) -> Map<String, Value> {
        self.structure(structure, given, |member| {
            member.location == Location::Elsewhere || skip.contains(&member.name)
        })
    }

    fn structure(
        &mut self,
        structure: &Structure,
        mut given: Map<String, Value>,
        skip: impl Fn(&crate::shape::Member) -> bool,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for member in &structure.members {
            if skip(member) {
                continue;
            }
            let value = given.remove(&member.name).filter(|v| !v.is_null());
            let mark = self.path.len();
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(&member.name);
            match value {
                Some(value) => {
                    let value = self.value(member.shape, value);
                    out.insert(member.name.clone(), value);
                }
                None if member.required => self.fail(messages::NOT_NULL),
                None => {}
            }
            self.path.truncate(mark);
        }
        out
    }

    /// Checks one present (non-null) value.
    pub(crate) fn value(&mut self, id: ShapeId, value: Value) -> Value {
        let shapes = self.shapes;
        let shape = &shapes[id];
        match &shape.kind {
            Kind::String(string) => {
                match &value {
                    Value::String(text) => self.string(shape, string, text),
                    _ => self.fail(messages::NOT_STRING),
                }
                value
            }
            Kind::Integer(int) => {
                match value
                    .as_i64()
                    .filter(|n| (int.range.0..=int.range.1).contains(n))
                {
                    Some(n) => {
                        self.bounds(n, int.min, int.max);
                    }
                    None => self.fail(messages::NOT_INTEGER),
                }
                value
            }
            Kind::Float(float) => {
                match value.as_f64() {
                    Some(n) => self.bounds(n, float.min, float.max),
                    None => self.fail(messages::NOT_NUMBER),
                }
                value
            }
            Kind::Boolean => {
                if !value.is_boolean() {
                    self.fail(messages::NOT_BOOLEAN);
                }
                value
            }
            Kind::Timestamp => {
                if !(value.is_number() || value.is_string()) {
                    self.fail(messages::NOT_TIMESTAMP);
                }
                value
            }
            Kind::Blob => {
                if !value.is_string() {
                    self.fail(messages::NOT_STRING);
                }
                value
            }
            Kind::Structure(structure) => match value {
                Value::Object(map) => Value::Object(self.structure(structure, map, |_| false)),
                other => {
                    self.fail(messages::NOT_OBJECT);
                    other
                }
            },
            Kind::List(list) => match value {
                Value::Array(items) => {
                    self.length(items.len(), list.min, list.max);
                    let items = items
                        .into_iter()
                        .enumerate()
                        .map(|(index, item)| {
                            let mark = self.path.len();
                            let _ = write!(self.path, "[{index}]");
                            let item = if item.is_null() {
                                self.fail(messages::NOT_NULL);
                                item
                            } else {
                                self.value(list.member, item)
                            };
                            self.path.truncate(mark);
                            item
                        })
                        .collect();
                    Value::Array(items)
                }
                other => {
                    self.fail(messages::NOT_LIST);
                    other
                }
            },
            Kind::Map(map_shape) => match value {
                Value::Object(entries) => {
                    self.length(entries.len(), map_shape.min, map_shape.max);
                    let mut out = Map::new();
                    for (key, item) in entries {
                        self.map_key(map_shape.key, &key);
                        let mark = self.path.len();
                        self.path.push_str(".value");
                        let item = if item.is_null() {
                            self.fail(messages::NOT_NULL);
                            item
                        } else {
                            self.value(map_shape.value, item)
                        };
                        self.path.truncate(mark);
                        out.insert(key, item);
                    }
                    Value::Object(out)
                }
                other => {
                    self.fail(messages::NOT_OBJECT);
                    other
                }
            },
        }
    }

    /// Map keys are reported on the map itself, without naming the key.
    fn map_key(&mut self, key_shape: ShapeId, key: &str) {
        let before = self.violations.len();
        self.value(key_shape, Value::String(key.to_owned()));
        if self.violations.len() > before {
            let constraints: Vec<String> = self
                .violations
                .drain(before..)
                .map(|v| v.constraint)
                .collect();
            self.fail(messages::map_keys(&constraints));
        }
    }

    fn string(&mut self, shape: &Shape, string: &StringShape, text: &str) {
        if string.min.is_some() || string.max.is_some() {
            let length = text.chars().count();
            self.length(length, string.min, string.max);
        }
        if let Some(pattern) = &string.pattern {
            if !pattern.is_full_match(text) {
                self.fail(messages::pattern(pattern.source()));
            }
        }
        if let Some(values) = &string.enumeration {
            if !values.iter().any(|v| v == text) {
                self.fail(messages::enumeration(values));
            }
        }
        for rule in &shape.rules {
            if let Some(constraint) = rule(text) {
                self.fail(constraint);
            }
        }
    }

    fn length(&mut self, length: usize, min: Option<u64>, max: Option<u64>) {
        let length = length as u64;
        if let Some(min) = min.filter(|&min| length < min) {
            self.fail(messages::min_length(min));
        }
        if let Some(max) = max.filter(|&max| length > max) {
            self.fail(messages::max_length(max));
        }
    }

    fn bounds<N>(&mut self, n: N, min: Option<N>, max: Option<N>)
    where
        N: PartialOrd + Copy + std::fmt::Display,
    {
        if let Some(min) = min.filter(|&min| n < min) {
            self.fail(messages::min_value(min));
        }
        if let Some(max) = max.filter(|&max| n > max) {
            self.fail(messages::max_value(max));
        }
    }
}

/// Converts a URI label or query-string value to the JSON type of its (scalar) shape.
pub(crate) fn convert_scalar(kind: &Kind, raw: &str) -> Result<Value, &'static str> {
    match kind {
        Kind::Integer(int) => {
            let digits = raw.strip_prefix('-').unwrap_or(raw);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(messages::NOT_INTEGER);
            }
            raw.parse::<i64>()
                .ok()
                .filter(|n| (int.range.0..=int.range.1).contains(n))
                .map(Value::from)
                .ok_or(messages::NOT_INTEGER)
        }
        Kind::Float(_) => raw
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or(messages::NOT_NUMBER),
        Kind::Boolean => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(messages::NOT_BOOLEAN),
        },
        _ => Ok(Value::String(raw.to_owned())),
    }
}

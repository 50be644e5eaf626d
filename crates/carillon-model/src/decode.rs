//! Building an operation's input object from URI labels, query string and JSON body.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::error::DecodeError;
use crate::query::{parse_query, values};
use crate::route::RouteMatch;
use crate::shape::{Kind, Location, Structure};
use crate::validate::{convert_scalar, Checker};
use crate::ServiceModel;

impl ServiceModel {
    /// Builds the input object of the routed operation (labels + query members + body members,
    /// keyed by member name) and validates it against the model.
    ///
    /// The body is read only when the input has body members: empty means `{}`, otherwise it
    /// must be a JSON object. Body keys that are not body members (including label and query
    /// member names) are ignored, and `null` means absent. The returned object holds only
    /// members the model knows, without `null`s.
    ///
    /// # Panics
    /// If `route` was produced by a different `ServiceModel`.
    pub fn decode(
        &self,
        route: &RouteMatch<'_>,
        raw_query: &str,
        body: &[u8],
    ) -> Result<Value, DecodeError> {
        let operation = route.operation;
        assert!(
            self.operations
                .as_ptr_range()
                .contains(&std::ptr::from_ref(operation)),
            "RouteMatch comes from a different ServiceModel"
        );
        let Some(input) = operation.input else {
            return Ok(Value::Object(Map::new()));
        };
        let Kind::Structure(structure) = &self.shapes[input].kind else {
            unreachable!("input shapes are checked to be structures at load");
        };

        let mut given = if operation.has_body_members {
            body_members(structure, body)?
        } else {
            Map::new()
        };
        let mut checker = Checker::new(&self.shapes);
        let mut failed = HashSet::new();
        self.query_members(structure, raw_query, &mut given, &mut checker, &mut failed)?;

        for (name, raw) in &route.labels {
            let Some(member) = structure.members.iter().find(|m| &m.name == name) else {
                continue;
            };
            match convert_scalar(&self.shapes[member.shape].kind, raw) {
                Ok(value) => {
                    given.insert(name.clone(), value);
                }
                Err(constraint) => {
                    given.remove(name);
                    checker.report(name, constraint);
                    failed.insert(name.clone());
                }
            }
        }

        let canonical = checker.input(structure, given, &failed);
        if checker.violations.is_empty() {
            Ok(Value::Object(canonical))
        } else {
            Err(DecodeError::Invalid(checker.violations))
        }
    }

    fn query_members(
        &self,
        structure: &Structure,
        raw_query: &str,
        given: &mut Map<String, Value>,
        checker: &mut Checker<'_>,
        failed: &mut HashSet<String>,
    ) -> Result<(), DecodeError> {
        let bound = structure
            .members
            .iter()
            .filter_map(|m| match &m.location {
                Location::Query(parameter) => Some((m, parameter)),
                _ => None,
            })
            .collect::<Vec<_>>();
        if bound.is_empty() {
            return Ok(());
        }
        let pairs = parse_query(raw_query).ok_or_else(|| {
            DecodeError::BadQuery(
                "The query string contains malformed percent-encoding or invalid UTF-8".into(),
            )
        })?;
        for (member, parameter) in bound {
            let found = values(&pairs, parameter);
            if found.is_empty() {
                continue;
            }
            let kind = &self.shapes[member.shape].kind;
            let converted = if let Kind::List(list) = kind {
                let item_kind = &self.shapes[list.member].kind;
                let mut items = Vec::with_capacity(found.len());
                for (index, raw) in found.iter().enumerate() {
                    match convert_scalar(item_kind, raw) {
                        Ok(value) => items.push(value),
                        Err(constraint) => {
                            checker.report(&format!("{}[{index}]", member.name), constraint);
                        }
                    }
                }
                (items.len() == found.len()).then_some(Value::Array(items))
            } else {
                if found.len() > 1 {
                    return Err(DecodeError::BadQuery(format!(
                        "Query parameter '{parameter}' must not be repeated"
                    )));
                }
                match convert_scalar(kind, found[0]) {
                    Ok(value) => Some(value),
                    Err(constraint) => {
                        checker.report(&member.name, constraint);
                        None
                    }
                }
            };
            match converted {
                Some(value) => {
                    given.insert(member.name.clone(), value);
                }
                None => {
                    failed.insert(member.name.clone());
                }
            }
        }
        Ok(())
    }
}

/// The body members present in the request body.
fn body_members(structure: &Structure, body: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    if std::str::from_utf8(body).is_err() {
        return Err(DecodeError::MalformedJson(
            "the body is not valid UTF-8".into(),
        ));
    }
    let parsed =
        crate::unique::from_slice(body).map_err(|e| DecodeError::MalformedJson(e.to_string()))?;
    let Value::Object(mut object) = parsed else {
        return Err(DecodeError::NotAnObject);
    };
    let mut members = Map::new();
    for member in &structure.members {
        if member.location != Location::Body {
            continue;
        }
        if let Some(value) = object.remove(&member.name) {
            members.insert(member.name.clone(), value);
        }
    }
    Ok(members)
}

//! Projection of an output value onto an operation's output shape.
//!
//! One service implementation can answer several models of the same API: it computes its
//! responses in the shape of the richest model, and each served model keeps only the members
//! its own output shapes define. The value is edited in place (keys removed, values moved), so
//! projecting allocates nothing beyond the value itself.
//!
//! Recursion follows the value and the shapes together; the value is finite, so recursive
//! shapes are fine.

use serde_json::{Map, Value};

use crate::model::{Operation, ServiceModel};
use crate::shape::{Kind, Location, ShapeId, Structure};

impl ServiceModel {
    /// Keeps only the members the operation's output shape defines, recursively through
    /// structures, lists and maps; drops nulls; leaves scalar values as they are. An operation
    /// without output (or with an empty output structure) projects to an empty object.
    ///
    /// Top-level members bound outside the body (headers, status code) are dropped too, as is a
    /// top-level value that is not an object. A nested value whose type does not match its
    /// shape is left as it is.
    ///
    /// # Panics
    /// If `operation` belongs to a different `ServiceModel`.
    pub fn project_output(&self, operation: &Operation, value: Value) -> Value {
        let Some(structure) = self.output_structure(operation) else {
            return Value::Object(Map::new());
        };
        let Value::Object(mut map) = value else {
            return Value::Object(Map::new());
        };
        self.project_structure(structure, &mut map, true);
        Value::Object(map)
    }

    /// True when the operation's output shape has members that go in the body (so the server
    /// sends a JSON body; else an empty body).
    ///
    /// # Panics
    /// If `operation` belongs to a different `ServiceModel`.
    pub fn has_output_body(&self, operation: &Operation) -> bool {
        self.output_structure(operation).is_some_and(|structure| {
            structure
                .members
                .iter()
                .any(|member| member.location == Location::Body)
        })
    }

    fn output_structure(&self, operation: &Operation) -> Option<&Structure> {
        assert!(
            self.operations
                .as_ptr_range()
                .contains(&std::ptr::from_ref(operation)),
            "the operation comes from a different ServiceModel"
        );
        match &self.shapes[operation.output?].kind {
            Kind::Structure(structure) => Some(structure),
            _ => unreachable!("output shapes are checked to be structures at load"),
        }
    }

    /// Projects a nested value in place.
    fn project(&self, id: ShapeId, value: &mut Value) {
        match (&self.shapes[id].kind, value) {
            (Kind::Structure(structure), Value::Object(map)) => {
                self.project_structure(structure, map, false)
            }
            (Kind::List(list), Value::Array(items)) => items.retain_mut(|item| {
                !item.is_null() && {
                    self.project(list.member, item);
                    true
                }
            }),
            (Kind::Map(map_shape), Value::Object(map)) => map.retain(|_, item| {
                !item.is_null() && {
                    self.project(map_shape.value, item);
                    true
                }
            }),
            _ => {}
        }
    }

    /// Keeps the structure's non-null members (only those of the body at the top level, where
    /// locations apply).
    fn project_structure(&self, structure: &Structure, map: &mut Map<String, Value>, top: bool) {
        map.retain(|name, value| {
            !value.is_null()
                && match structure.members.iter().find(|m| m.name == *name) {
                    Some(member) if !top || member.location == Location::Body => {
                        self.project(member.shape, value);
                        true
                    }
                    _ => false,
                }
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::shape::Kind;
    use crate::{ServiceModel, CHIME_2018_05_01, CHIME_2018_05_01_MEETING_OPERATIONS};

    fn string_has_pattern(model: &ServiceModel, shape: &str) -> bool {
        let id = model.shape_index[shape];
        match &model.shapes[id].kind {
            Kind::String(string) => string.pattern.is_some(),
            _ => panic!("{shape} is not a string shape"),
        }
    }

    #[test]
    fn output_only_shapes_are_compiled_without_patterns() {
        let model = ServiceModel::from_json_with_operations(
            CHIME_2018_05_01,
            CHIME_2018_05_01_MEETING_OPERATIONS,
        )
        .unwrap();
        // Only outputs carry join tokens; meeting ids are also inputs.
        assert!(!string_has_pattern(&model, "JoinTokenString"));
        assert!(string_has_pattern(&model, "GuidString"));
    }

    /// A one-operation model whose output mixes body members with a header and a status code.
    fn located_output(members: serde_json::Value) -> ServiceModel {
        let model = json!({
            "metadata": { "protocol": "rest-json", "apiVersion": "2020-01-01" },
            "operations": {
                "GetThing": {
                    "http": { "method": "GET", "requestUri": "/things" },
                    "output": { "shape": "GetThingResponse" }
                }
            },
            "shapes": {
                "GetThingResponse": { "type": "structure", "members": members },
                "String": { "type": "string", "pattern": "^[a-z]+$" },
                "Integer": { "type": "integer" }
            }
        });
        ServiceModel::from_json(&model.to_string()).unwrap()
    }

    #[test]
    fn members_bound_outside_the_body_are_not_projected() {
        let model = located_output(json!({
            "Name": { "shape": "String" },
            "RequestId": { "shape": "String", "location": "header", "locationName": "x-request-id" },
            "Status": { "shape": "Integer", "location": "statusCode" }
        }));
        let operation = model.operation("GetThing").unwrap();
        assert!(model.has_output_body(operation));
        let projected = model.project_output(
            operation,
            json!({ "Name": "thing", "RequestId": "r-1", "Status": 201 }),
        );
        assert_eq!(projected, json!({ "Name": "thing" }));

        let model = located_output(json!({
            "RequestId": { "shape": "String", "location": "header", "locationName": "x-request-id" },
            "Status": { "shape": "Integer", "location": "statusCode" }
        }));
        let operation = model.operation("GetThing").unwrap();
        assert!(!model.has_output_body(operation));
        let projected = model.project_output(operation, json!({ "RequestId": "r-1" }));
        assert_eq!(projected, json!({}));
        assert!(!string_has_pattern(&model, "String"));
    }

    #[test]
    fn maps_are_projected_by_value() {
        let model = ServiceModel::from_json(
            &json!({
                "metadata": { "protocol": "rest-json" },
                "operations": {
                    "GetThings": {
                        "http": { "method": "GET", "requestUri": "/things" },
                        "output": { "shape": "GetThingsResponse" }
                    }
                },
                "shapes": {
                    "GetThingsResponse": {
                        "type": "structure",
                        "members": { "Things": { "shape": "ThingMap" } }
                    },
                    "ThingMap": {
                        "type": "map",
                        "key": { "shape": "String" },
                        "value": { "shape": "Thing" }
                    },
                    "Thing": { "type": "structure", "members": { "Name": { "shape": "String" } } },
                    "String": { "type": "string" }
                }
            })
            .to_string(),
        )
        .unwrap();
        let operation = model.operation("GetThings").unwrap();
        let projected = model.project_output(
            operation,
            json!({ "Things": { "a": { "Name": "x", "Size": 1 }, "b": null } }),
        );
        assert_eq!(projected, json!({ "Things": { "a": { "Name": "x" } } }));
    }
}

//! Loading a botocore `service-2.json` and compiling what serving it needs.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::model::{Metadata, Operation, ServiceModel, ShapeInfo};
use crate::pattern::Pattern;
use crate::route::Template;
use crate::shape::{
    FloatShape, IntegerShape, Kind, ListShape, Location, MapShape, Member, Shape, ShapeId,
    StringShape, Structure,
};

impl ServiceModel {
    pub(crate) fn load(json: &str, only: Option<&[&str]>) -> Result<Self, ModelError> {
        let root: Value = serde_json::from_str(json)?;
        let metadata = metadata(&root)?;
        let shapes_json = object(&root, "shapes")?;
        let operations_json = object(&root, "operations")?;

        let names: BTreeSet<&str> = match only {
            Some(list) => {
                for name in list {
                    if !operations_json.contains_key(*name) {
                        return Err(ModelError::UnknownOperation((*name).to_owned()));
                    }
                }
                list.iter().copied().collect()
            }
            None => operations_json.keys().map(String::as_str).collect(),
        };

        let catalog = catalog(shapes_json);
        let mut compiler = Compiler {
            json: shapes_json,
            index: HashMap::new(),
            order: Vec::new(),
            shapes: Vec::new(),
            patterns: true,
        };
        let mut operations = Vec::with_capacity(names.len());
        for name in names {
            let op = operations_json.get(name).and_then(Value::as_object);
            let op = op.ok_or_else(|| malformed(format!("operation {name} is not an object")))?;
            operations.push(compiler.operation(name, op)?);
        }
        // Input-reachable shapes first, with their patterns: they are validated.
        compiler.build()?;
        check_bindings(&compiler.shapes)?;
        // Then the shapes only outputs reach: projected, never validated, so no patterns.
        compiler.patterns = false;
        for op in &mut operations {
            if let Some(shape) = &op.output_shape {
                op.output = Some(compiler.id(shape)?);
            }
        }
        compiler.build()?;
        let Compiler {
            shapes,
            index: shape_index,
            ..
        } = compiler;
        for op in &operations {
            for (role, id) in [("input", op.input), ("output", op.output)] {
                if id.is_some_and(|id| !matches!(shapes[id].kind, Kind::Structure(_))) {
                    return Err(malformed(format!(
                        "{role} of {} is not a structure",
                        op.name
                    )));
                }
            }
        }
        check_ambiguity(&operations)?;
        let operation_index = operations
            .iter()
            .enumerate()
            .map(|(i, op)| (op.name.clone(), i))
            .collect();
        Ok(ServiceModel {
            metadata,
            operations,
            operation_index,
            shapes,
            shape_index,
            catalog,
        })
    }
}

fn malformed(text: impl Into<String>) -> ModelError {
    ModelError::Malformed(text.into())
}

fn object<'v>(value: &'v Value, key: &str) -> Result<&'v Map<String, Value>, ModelError> {
    value
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| malformed(format!("missing object {key:?}")))
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn metadata(root: &Value) -> Result<Metadata, ModelError> {
    let meta = root
        .get("metadata")
        .ok_or_else(|| malformed("missing metadata"))?;
    let protocol = text(meta, "protocol").unwrap_or_default();
    let listed = meta
        .get("protocols")
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().any(|p| p == "rest-json"));
    if protocol != "rest-json" && !listed {
        return Err(ModelError::UnsupportedProtocol(protocol.to_owned()));
    }
    let get = |key: &str| text(meta, key).unwrap_or_default().to_owned();
    let signing_name = text(meta, "signingName")
        .or_else(|| text(meta, "endpointPrefix"))
        .unwrap_or_default()
        .to_owned();
    Ok(Metadata {
        api_version: get("apiVersion"),
        service_id: get("serviceId"),
        signing_name,
    })
}

fn catalog(shapes: &Map<String, Value>) -> HashMap<String, ShapeInfo> {
    shapes
        .iter()
        .map(|(name, shape)| {
            let info = ShapeInfo {
                type_name: text(shape, "type").unwrap_or_default().to_owned(),
                sensitive: shape.get("sensitive").and_then(Value::as_bool) == Some(true),
                error_status: shape
                    .get("error")
                    .and_then(|e| e.get("httpStatusCode"))
                    .and_then(Value::as_u64)
                    .and_then(|code| u16::try_from(code).ok()),
            };
            (name.clone(), info)
        })
        .collect()
}

/// Two operations that no request could tell apart.
fn check_ambiguity(operations: &[Operation]) -> Result<(), ModelError> {
    for (i, a) in operations.iter().enumerate() {
        for b in &operations[i + 1..] {
            let mut qa = a.template.query.clone();
            let mut qb = b.template.query.clone();
            qa.sort();
            qb.sort();
            if a.method == b.method && a.template.same_path(&b.template) && qa == qb {
                return Err(ModelError::AmbiguousRoute(a.name.clone(), b.name.clone()));
            }
        }
    }
    Ok(())
}

/// Assigns ids to reachable shapes, then builds them.
struct Compiler<'j> {
    json: &'j Map<String, Value>,
    index: HashMap<String, ShapeId>,
    /// Shape names by id.
    order: Vec<&'j str>,
    /// Built shapes by id: a prefix of `order`.
    shapes: Vec<Shape>,
    /// Whether string shapes built from now on get their pattern compiled.
    patterns: bool,
}

impl<'j> Compiler<'j> {
    fn id(&mut self, name: &str) -> Result<ShapeId, ModelError> {
        if let Some(&id) = self.index.get(name) {
            return Ok(id);
        }
        let (key, _) = self
            .json
            .get_key_value(name)
            .ok_or_else(|| ModelError::UnknownShape(name.to_owned()))?;
        let id = self.order.len();
        self.order.push(key.as_str());
        self.index.insert(key.clone(), id);
        Ok(id)
    }

    fn shape_json(&self, name: &str) -> Result<&'j Value, ModelError> {
        self.json
            .get(name)
            .ok_or_else(|| ModelError::UnknownShape(name.to_owned()))
    }

    fn operation(&mut self, name: &str, op: &Map<String, Value>) -> Result<Operation, ModelError> {
        let http = op
            .get("http")
            .ok_or_else(|| malformed(format!("operation {name} has no http binding")))?;
        let method = text(http, "method")
            .ok_or_else(|| malformed(format!("operation {name} has no method")))?
            .to_ascii_uppercase();
        let uri = text(http, "requestUri")
            .ok_or_else(|| malformed(format!("operation {name} has no requestUri")))?;
        let success_code = match http.get("responseCode").and_then(Value::as_u64) {
            Some(code) => u16::try_from(code).map_err(|_| malformed("bad responseCode"))?,
            None => 200,
        };
        let shape_ref = |key: &str| {
            op.get(key)
                .and_then(|v| text(v, "shape"))
                .map(str::to_owned)
        };
        let input_shape = shape_ref("input");
        let output_shape = shape_ref("output");

        let input_json = match &input_shape {
            Some(shape) => Some(self.shape_json(shape)?),
            None => None,
        };
        let members = input_json
            .and_then(|s| s.get("members"))
            .and_then(Value::as_object);
        let template = Template::parse(uri, |label| {
            members?.iter().find_map(|(member, def)| {
                let bound = text(def, "location") == Some("uri")
                    && text(def, "locationName").unwrap_or(member) == label;
                bound.then(|| member.clone())
            })
        })
        .map_err(|e| malformed(format!("operation {name}: {e}")))?;
        let has_body_members =
            members.is_some_and(|m| m.values().any(|d| d.get("location").is_none()));
        let input = match &input_shape {
            Some(shape) => Some(self.id(shape)?),
            None => None,
        };
        let errors = op
            .get("errors")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|e| text(e, "shape"))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let path = uri.split_once('?').map_or(uri, |(p, _)| p).to_owned();
        Ok(Operation {
            name: name.to_owned(),
            method,
            path,
            selector: template.literal_query("operation").map(str::to_owned),
            success_code,
            errors,
            has_body_members,
            input_shape,
            output_shape,
            deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
            template,
            input,
            output: None,
        })
    }

    /// Builds every shape with an id and no shape yet; building may assign more ids (a
    /// worklist in id order, no recursion).
    fn build(&mut self) -> Result<(), ModelError> {
        while let Some(&name) = self.order.get(self.shapes.len()) {
            let kind = self.kind(name)?;
            self.shapes.push(Shape {
                name: name.to_owned(),
                kind,
                rules: Vec::new(),
            });
        }
        Ok(())
    }

    fn kind(&mut self, name: &str) -> Result<Kind, ModelError> {
        let json = self.shape_json(name)?;
        let type_name = text(json, "type").unwrap_or_default();
        let unsigned = |key: &str| json.get(key).and_then(as_u64);
        let signed = |key: &str| json.get(key).and_then(as_i64);
        let float = |key: &str| json.get(key).and_then(Value::as_f64);
        let member_ref = |key: &str| {
            json.get(key)
                .and_then(|m| text(m, "shape"))
                .ok_or_else(|| malformed(format!("shape {name} has no {key}")))
        };
        Ok(match type_name {
            "string" => {
                Kind::String(StringShape {
                    min: unsigned("min"),
                    max: unsigned("max"),
                    pattern: match text(json, "pattern").filter(|_| self.patterns) {
                        Some(source) => Some(Pattern::compile(source).map_err(|reason| {
                            ModelError::Pattern {
                                shape: name.to_owned(),
                                pattern: source.to_owned(),
                                reason,
                            }
                        })?),
                        None => None,
                    },
                    enumeration: json.get("enum").and_then(Value::as_array).map(|values| {
                        values
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    }),
                })
            }
            "integer" | "long" | "short" | "byte" => Kind::Integer(IntegerShape {
                min: signed("min"),
                max: signed("max"),
                range: match type_name {
                    "integer" => (i32::MIN.into(), i32::MAX.into()),
                    "short" => (i16::MIN.into(), i16::MAX.into()),
                    "byte" => (i8::MIN.into(), i8::MAX.into()),
                    _ => (i64::MIN, i64::MAX),
                },
            }),
            "double" | "float" => Kind::Float(FloatShape {
                min: float("min"),
                max: float("max"),
            }),
            "boolean" => Kind::Boolean,
            "timestamp" => Kind::Timestamp,
            "blob" => Kind::Blob,
            "list" => {
                let member = member_ref("member")?;
                Kind::List(ListShape {
                    member: self.id(member)?,
                    min: unsigned("min"),
                    max: unsigned("max"),
                })
            }
            "map" => {
                let (key, value) = (member_ref("key")?, member_ref("value")?);
                Kind::Map(MapShape {
                    key: self.id(key)?,
                    value: self.id(value)?,
                    min: unsigned("min"),
                    max: unsigned("max"),
                })
            }
            "structure" => Kind::Structure(self.structure(name, json)?),
            other => {
                return Err(malformed(format!(
                    "shape {name} has unknown type {other:?}"
                )))
            }
        })
    }

    fn structure(&mut self, name: &str, json: &Value) -> Result<Structure, ModelError> {
        let required: Vec<&str> = json
            .get("required")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut members = Vec::new();
        if let Some(defs) = json.get("members").and_then(Value::as_object) {
            for (member, def) in defs {
                let target = text(def, "shape")
                    .ok_or_else(|| malformed(format!("member {name}.{member} has no shape")))?;
                let wire = text(def, "locationName").unwrap_or(member).to_owned();
                let location = match text(def, "location") {
                    None => Location::Body,
                    Some("uri") => Location::Uri(wire),
                    Some("querystring") => Location::Query(wire),
                    Some(_) => Location::Elsewhere,
                };
                members.push(Member {
                    name: member.clone(),
                    shape: self.id(target)?,
                    required: required.contains(&member.as_str()),
                    location,
                });
            }
        }
        Ok(Structure { members })
    }
}

fn as_u64(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

fn as_i64(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

/// URI labels and query parameters must carry scalars (or, for the query, lists of scalars).
/// Checked on the input-reachable shapes, before any output shape is built.
fn check_bindings(shapes: &[Shape]) -> Result<(), ModelError> {
    for shape in shapes {
        let Kind::Structure(structure) = &shape.kind else {
            continue;
        };
        for member in &structure.members {
            let target = &shapes[member.shape].kind;
            let scalar = target.is_scalar();
            let ok = match member.location {
                Location::Uri(_) => scalar,
                Location::Query(_) => {
                    scalar
                        || matches!(target, Kind::List(list) if shapes[list.member].kind.is_scalar())
                }
                _ => true,
            };
            if !ok {
                return Err(malformed(format!(
                    "member {}.{} cannot be bound to the URI",
                    shape.name, member.name
                )));
            }
        }
    }
    Ok(())
}

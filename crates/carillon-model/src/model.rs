//! The compiled service model and its operations.

use std::collections::HashMap;

use crate::error::ModelError;
use crate::route::Template;
use crate::shape::{Shape, ShapeId};

/// A rest-json service model, compiled once: operations routed, input and output shapes indexed
/// and the patterns of input shapes precompiled.
pub struct ServiceModel {
    pub(crate) metadata: Metadata,
    pub(crate) operations: Vec<Operation>,
    pub(crate) operation_index: HashMap<String, usize>,
    /// Shapes reachable from the served operations' inputs (compiled first, with patterns), then
    /// those reachable only from their outputs (without patterns: outputs are not validated).
    pub(crate) shapes: Vec<Shape>,
    pub(crate) shape_index: HashMap<String, ShapeId>,
    /// Type, sensitivity and error status of every shape in the model.
    pub(crate) catalog: HashMap<String, ShapeInfo>,
}

pub(crate) struct Metadata {
    pub(crate) api_version: String,
    pub(crate) service_id: String,
    pub(crate) signing_name: String,
}

pub(crate) struct ShapeInfo {
    pub(crate) type_name: String,
    pub(crate) sensitive: bool,
    pub(crate) error_status: Option<u16>,
}

/// One served operation.
#[derive(Clone, Debug)]
pub struct Operation {
    pub name: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template without the query, e.g. `/meetings/{MeetingId}/attendees`.
    pub path: String,
    /// The value of the `operation=` selector in the request URI, if any.
    pub selector: Option<String>,
    /// `http.responseCode`, or 200.
    pub success_code: u16,
    /// Modeled error shapes, in model order.
    pub errors: Vec<String>,
    /// Whether the input has members carried in the JSON body.
    pub has_body_members: bool,
    pub input_shape: Option<String>,
    pub output_shape: Option<String>,
    pub deprecated: bool,
    pub(crate) template: Template,
    pub(crate) input: Option<ShapeId>,
    pub(crate) output: Option<ShapeId>,
}

impl ServiceModel {
    /// Compiles a model, serving all of its operations.
    pub fn from_json(json: &str) -> Result<Self, ModelError> {
        Self::load(json, None)
    }

    /// Compiles a model, serving only the named operations.
    pub fn from_json_with_operations(json: &str, operations: &[&str]) -> Result<Self, ModelError> {
        Self::load(json, Some(operations))
    }

    /// Adds a rule checked for every value of the named string shape, after the model's own
    /// constraints. The rule returns the constraint text (`Member must ...`) when it rejects a
    /// value. Rules on a shape that no served operation takes as input have no effect.
    ///
    /// # Panics
    /// If the model has no string shape of that name: a start-up configuration mistake.
    pub fn add_string_rule(
        &mut self,
        shape: &str,
        rule: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) {
        match self.catalog.get(shape) {
            Some(info) if info.type_name == "string" => {}
            _ => panic!("the service model has no string shape named {shape:?}"),
        }
        if let Some(&id) = self.shape_index.get(shape) {
            self.shapes[id].rules.push(Box::new(rule));
        }
    }

    /// Served operations, sorted by name.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.iter()
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operation_index.get(name).map(|&i| &self.operations[i])
    }

    /// The HTTP status of an error shape (`error.httpStatusCode`).
    pub fn error_status(&self, error_shape: &str) -> Option<u16> {
        self.catalog.get(error_shape)?.error_status
    }

    /// Whether the model marks the shape `sensitive` (its values belong out of logs).
    pub fn is_sensitive(&self, shape: &str) -> bool {
        self.catalog.get(shape).is_some_and(|info| info.sensitive)
    }

    /// Whether the model defines a shape of this name.
    pub fn has_shape(&self, shape: &str) -> bool {
        self.catalog.contains_key(shape)
    }

    /// `metadata.apiVersion`, e.g. `2021-07-15`.
    pub fn api_version(&self) -> &str {
        &self.metadata.api_version
    }

    /// `metadata.serviceId`, e.g. `Chime SDK Meetings`.
    pub fn service_id(&self) -> &str {
        &self.metadata.service_id
    }

    /// The SigV4 signing name (`metadata.signingName`, else `endpointPrefix`).
    pub fn signing_name(&self) -> &str {
        &self.metadata.signing_name
    }
}

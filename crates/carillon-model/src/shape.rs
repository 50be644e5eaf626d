//! Compiled shapes: the part of the model that decoding and validation walk.

use crate::pattern::Pattern;

/// Index of a compiled shape inside [`crate::ServiceModel`].
pub(crate) type ShapeId = usize;

/// Extra check for every value of a string shape; returns the constraint text when it rejects.
pub(crate) type StringRule = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub(crate) struct Shape {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// Rules registered with [`crate::ServiceModel::add_string_rule`] (string shapes only).
    pub(crate) rules: Vec<StringRule>,
}

pub(crate) enum Kind {
    String(StringShape),
    Integer(IntegerShape),
    Float(FloatShape),
    Boolean,
    Timestamp,
    Blob,
    Structure(Structure),
    List(ListShape),
    Map(MapShape),
}

impl Kind {
    /// Scalars can travel in a URI label or a query-string parameter.
    pub(crate) fn is_scalar(&self) -> bool {
        matches!(
            self,
            Kind::String(_)
                | Kind::Integer(_)
                | Kind::Float(_)
                | Kind::Boolean
                | Kind::Timestamp
                | Kind::Blob
        )
    }
}

pub(crate) struct StringShape {
    pub(crate) min: Option<u64>,
    pub(crate) max: Option<u64>,
    pub(crate) pattern: Option<Pattern>,
    pub(crate) enumeration: Option<Vec<String>>,
}

#[derive(Clone, Copy)]
pub(crate) struct IntegerShape {
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
    /// Inclusive range of the wire type (`integer` is 32-bit, `long` 64-bit, ...).
    pub(crate) range: (i64, i64),
}

#[derive(Clone, Copy)]
pub(crate) struct FloatShape {
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
}

pub(crate) struct Structure {
    pub(crate) members: Vec<Member>,
}

pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) shape: ShapeId,
    pub(crate) required: bool,
    pub(crate) location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// A member of the JSON body.
    Body,
    /// A URI label, by label name.
    Uri(String),
    /// A query-string parameter, by parameter name.
    Query(String),
    /// Headers, status code and anything else bound outside the URI and body.
    Elsewhere,
}

pub(crate) struct ListShape {
    pub(crate) member: ShapeId,
    pub(crate) min: Option<u64>,
    pub(crate) max: Option<u64>,
}

pub(crate) struct MapShape {
    pub(crate) key: ShapeId,
    pub(crate) value: ShapeId,
    pub(crate) min: Option<u64>,
    pub(crate) max: Option<u64>,
}

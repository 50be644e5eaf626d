//! Which errors each operation models, with their HTTP status, read from the botocore models the
//! API serves. A rule may inject only an error its operations model: SDKs recognise nothing else.

use std::collections::HashMap;
use std::sync::OnceLock;

use carillon_model::ServiceModel;

use crate::rule::Api;

/// The throttle of each API (see [`Catalog::error`]).
const MEETINGS_THROTTLE: &str = "ThrottlingException";
const LEGACY_THROTTLE: &str = "ThrottledClientException";

/// An error as the model states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeledError {
    pub name: &'static str,
    pub status: u16,
}

/// The modeled errors of every operation of both APIs.
#[derive(Debug)]
pub struct Catalog {
    meetings: HashMap<String, Vec<(String, u16)>>,
    legacy: HashMap<String, Vec<(String, u16)>>,
}

impl Catalog {
    /// The catalog of the models vendored in `carillon-model`, read once per process.
    pub fn vendored() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let meetings = ServiceModel::from_json(carillon_model::CHIME_SDK_MEETINGS_2021_07_15)
                .expect("the vendored chime-sdk-meetings model is valid");
            let legacy = ServiceModel::from_json_with_operations(
                carillon_model::CHIME_2018_05_01,
                carillon_model::CHIME_2018_05_01_MEETING_OPERATIONS,
            )
            .expect("the vendored chime model is valid");
            Catalog::new(&meetings, &legacy)
        })
    }

    pub fn new(meetings: &ServiceModel, legacy: &ServiceModel) -> Catalog {
        Catalog {
            meetings: errors_of(meetings),
            legacy: errors_of(legacy),
        }
    }

    fn api(&self, api: Api) -> &HashMap<String, Vec<(String, u16)>> {
        match api {
            Api::Meetings => &self.meetings,
            Api::Legacy => &self.legacy,
        }
    }

    /// Whether `api` has the operation.
    pub fn has_operation(&self, api: Api, operation: &str) -> bool {
        self.api(api).contains_key(operation)
    }

    /// The error `name` as `operation` of `api` models it; `None` if it does not. The two APIs
    /// name a throttle differently (`ThrottlingException`, the legacy `ThrottledClientException`,
    /// as the server's own quotas answer), so either name stands for the API's own: a throttle
    /// rule for `CreateAttendee` throttles both APIs' CreateAttendee, each in its own words.
    pub fn error(&'static self, api: Api, operation: &str, name: &str) -> Option<ModeledError> {
        let name = match (api, name) {
            (Api::Legacy, MEETINGS_THROTTLE) => LEGACY_THROTTLE,
            (Api::Meetings, LEGACY_THROTTLE) => MEETINGS_THROTTLE,
            _ => name,
        };
        self.api(api)
            .get(operation)?
            .iter()
            .find(|(n, _)| n == name)
            .map(|(n, status)| ModeledError {
                name: n.as_str(),
                status: *status,
            })
    }

    /// The error's name as the catalog holds it (for the life of the process), from whichever
    /// operation models it.
    pub fn name(&'static self, name: &str) -> Option<&'static str> {
        [&self.meetings, &self.legacy]
            .into_iter()
            .flat_map(|ops| ops.values().flatten())
            .find(|(n, _)| n == name)
            .map(|(n, _)| n.as_str())
    }

    /// Checks that every operation a rule could match models `error`: the operation named (in
    /// each API that has it, or in `api` alone), or every operation of the API(s). The message
    /// says which operation does not.
    pub fn check(
        &'static self,
        api: Option<Api>,
        operation: Option<&str>,
        error: &str,
    ) -> Result<(), String> {
        let apis: &[Api] = match api {
            Some(Api::Meetings) => &[Api::Meetings],
            Some(Api::Legacy) => &[Api::Legacy],
            None => &[Api::Meetings, Api::Legacy],
        };
        let mut found = false;
        for &api in apis {
            let mut names: Vec<&str> = match operation {
                Some(op) if self.has_operation(api, op) => vec![op],
                Some(_) => continue,
                None => self.api(api).keys().map(String::as_str).collect(),
            };
            names.sort_unstable();
            for op in names {
                found = true;
                if self.error(api, op, error).is_none() {
                    let modeled: Vec<&str> =
                        self.api(api)[op].iter().map(|(n, _)| n.as_str()).collect();
                    return Err(format!(
                        "{op} of the {} API does not model {error}; it models {}",
                        api.as_str(),
                        modeled.join(", ")
                    ));
                }
            }
        }
        if !found {
            // Only an operation nobody has leaves nothing to check.
            return Err(format!(
                "no operation named {} in the {} API",
                operation.unwrap_or(""),
                api.map_or("meetings or legacy", Api::as_str)
            ));
        }
        Ok(())
    }
}

fn errors_of(model: &ServiceModel) -> HashMap<String, Vec<(String, u16)>> {
    model
        .operations()
        .map(|op| {
            let errors = op
                .errors
                .iter()
                .map(|name| (name.clone(), model.error_status(name).unwrap_or(400)))
                .collect();
            (op.name.clone(), errors)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_come_from_the_models() {
        let c = Catalog::vendored();
        let e = c
            .error(Api::Meetings, "CreateAttendee", "ThrottlingException")
            .unwrap();
        assert_eq!(e.status, 429);
        let e = c
            .error(Api::Meetings, "GetMeeting", "NotFoundException")
            .unwrap();
        assert_eq!(e.status, 404);
        assert!(c
            .error(Api::Legacy, "CreateAttendee", "ConflictException")
            .is_none());
        assert_eq!(
            c.error(Api::Legacy, "CreateAttendee", "ThrottledClientException")
                .unwrap()
                .status,
            429
        );
    }

    #[test]
    fn a_rule_must_name_an_error_every_operation_it_matches_models() {
        let c = Catalog::vendored();
        c.check(
            Some(Api::Meetings),
            Some("CreateAttendee"),
            "ThrottlingException",
        )
        .unwrap();
        // Both APIs have CreateAttendee, and each throttles in its own words.
        c.check(None, Some("CreateAttendee"), "ThrottlingException")
            .unwrap();
        c.check(None, Some("CreateAttendee"), "ThrottledClientException")
            .unwrap();
        let legacy = c
            .error(Api::Legacy, "CreateAttendee", "ThrottlingException")
            .unwrap();
        assert_eq!(
            (legacy.name, legacy.status),
            ("ThrottledClientException", 429)
        );
        let current = c
            .error(Api::Meetings, "CreateAttendee", "ThrottledClientException")
            .unwrap();
        assert_eq!(current.name, "ThrottlingException");
        // Only the legacy API models ResourceLimitExceededException for CreateAttendee.
        let e = c
            .check(
                None,
                Some("CreateAttendee"),
                "ResourceLimitExceededException",
            )
            .unwrap_err();
        assert!(e.contains("meetings"), "{e}");
        // Every operation of both models ServiceUnavailableException.
        c.check(None, None, "ServiceUnavailableException").unwrap();
        // Not every operation of the current API models ConflictException.
        assert!(c
            .check(Some(Api::Meetings), None, "ConflictException")
            .is_err());
        let e = c
            .check(
                Some(Api::Meetings),
                Some("CreateAttendee"),
                "NoSuchException",
            )
            .unwrap_err();
        assert!(e.contains("does not model NoSuchException"), "{e}");
        let e = c
            .check(
                Some(Api::Legacy),
                Some("StartMeetingTranscription2"),
                "BadRequestException",
            )
            .unwrap_err();
        assert!(e.contains("no operation named"), "{e}");
    }
}

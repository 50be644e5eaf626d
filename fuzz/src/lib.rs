//! What the fuzz targets share: the two compiled service models and a fixed GUID.

use std::sync::OnceLock;

use carillon_model::{
    ServiceModel, CHIME_2018_05_01, CHIME_2018_05_01_MEETING_OPERATIONS,
    CHIME_SDK_MEETINGS_2021_07_15,
};

/// A well-formed meeting or attendee id.
pub const GUID: &str = "0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11";

/// The current model (`chime-sdk-meetings` 2021-07-15) and the legacy meeting operations of
/// `chime` 2018-05-01, compiled once.
pub fn models() -> &'static [ServiceModel; 2] {
    static MODELS: OnceLock<[ServiceModel; 2]> = OnceLock::new();
    MODELS.get_or_init(|| {
        [
            ServiceModel::from_json(CHIME_SDK_MEETINGS_2021_07_15)
                .expect("the current model compiles"),
            ServiceModel::from_json_with_operations(
                CHIME_2018_05_01,
                CHIME_2018_05_01_MEETING_OPERATIONS,
            )
            .expect("the legacy model compiles"),
        ]
    })
}

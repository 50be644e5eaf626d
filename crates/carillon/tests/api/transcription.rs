//! StartMeetingTranscription and StopMeetingTranscription.

use aws_sdk_chimesdkmeetings::operation::start_meeting_transcription::StartMeetingTranscriptionError;
use aws_sdk_chimesdkmeetings::operation::stop_meeting_transcription::StopMeetingTranscriptionError;
use aws_sdk_chimesdkmeetings::operation::RequestId;
use aws_sdk_chimesdkmeetings::types::builders::EngineTranscribeSettingsBuilder;
use aws_sdk_chimesdkmeetings::types::{
    EngineTranscribeMedicalSettings, EngineTranscribeSettings, TranscribeContentIdentificationType,
    TranscribeContentRedactionType, TranscribeLanguageCode,
    TranscribeMedicalContentIdentificationType, TranscribeMedicalLanguageCode,
    TranscribeMedicalRegion, TranscribeMedicalSpecialty, TranscribeMedicalType,
    TranscribePartialResultsStability, TranscribeRegion, TranscribeVocabularyFilterMethod,
    TranscriptionConfiguration,
};
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::expect_err;
use carillon_testkit::*;

fn standard(settings: EngineTranscribeSettingsBuilder) -> TranscriptionConfiguration {
    TranscriptionConfiguration::builder()
        .engine_transcribe_settings(settings.build())
        .build()
}

fn settings() -> EngineTranscribeSettingsBuilder {
    EngineTranscribeSettings::builder()
}

fn medical() -> EngineTranscribeMedicalSettings {
    EngineTranscribeMedicalSettings::builder()
        .language_code(TranscribeMedicalLanguageCode::EnUs)
        .specialty(TranscribeMedicalSpecialty::Primarycare)
        .r#type(TranscribeMedicalType::Conversation)
        .build()
        .expect("required medical settings")
}

async fn start(
    client: &Client,
    meeting_id: &str,
    configuration: TranscriptionConfiguration,
) -> Result<
    aws_sdk_chimesdkmeetings::operation::start_meeting_transcription::StartMeetingTranscriptionOutput,
    aws_sdk_chimesdkmeetings::error::SdkError<StartMeetingTranscriptionError>,
>{
    client
        .start_meeting_transcription()
        .meeting_id(meeting_id)
        .transcription_configuration(configuration)
        .send()
        .await
}

#[tokio::test]
async fn start_replace_and_stop() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let out = start(
        &client,
        &meeting_id,
        standard(settings().language_code(TranscribeLanguageCode::EnUs)),
    )
    .await
    .expect("StartMeetingTranscription");
    assert!(out.request_id().is_some());
    // Starting again replaces the configuration.
    start(
        &client,
        &meeting_id,
        standard(
            settings()
                .language_code(TranscribeLanguageCode::FrFr)
                .region(TranscribeRegion::EuWest1)
                .enable_partial_results_stabilization(true)
                .partial_results_stability(TranscribePartialResultsStability::High)
                .vocabulary_name("my-vocabulary")
                .vocabulary_filter_name("my-filter")
                .vocabulary_filter_method(TranscribeVocabularyFilterMethod::Mask)
                .language_model_name("my-model"),
        ),
    )
    .await
    .expect("StartMeetingTranscription again");
    let out = client
        .stop_meeting_transcription()
        .meeting_id(&meeting_id)
        .send()
        .await
        .expect("StopMeetingTranscription");
    assert!(out.request_id().is_some());
    // Stopping twice, or without a start, succeeds.
    client
        .stop_meeting_transcription()
        .meeting_id(&meeting_id)
        .send()
        .await
        .expect("StopMeetingTranscription again");
    let fresh = create_meeting(&client).await.meeting_id.unwrap();
    client
        .stop_meeting_transcription()
        .meeting_id(fresh.to_ascii_uppercase())
        .send()
        .await
        .expect("StopMeetingTranscription without a start");
}

#[tokio::test]
async fn valid_configurations_are_accepted() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let configurations = [
        standard(
            settings()
                .language_code(TranscribeLanguageCode::EnUs)
                .region(TranscribeRegion::Auto),
        ),
        standard(
            settings()
                .language_code(TranscribeLanguageCode::EnUs)
                .content_redaction_type(TranscribeContentRedactionType::Pii)
                .pii_entity_types("NAME,SSN"),
        ),
        standard(
            settings()
                .language_code(TranscribeLanguageCode::EnGb)
                .content_identification_type(TranscribeContentIdentificationType::Pii)
                .pii_entity_types("ALL"),
        ),
        standard(settings().identify_language(true)),
        standard(
            settings()
                .identify_language(true)
                .language_options("en-US,fr-FR,de-DE")
                .preferred_language(TranscribeLanguageCode::FrFr)
                .vocabulary_names("vocab-a,vocab-b")
                .vocabulary_filter_names("filter-a"),
        ),
        TranscriptionConfiguration::builder()
            .engine_transcribe_medical_settings(medical())
            .build(),
        TranscriptionConfiguration::builder()
            .engine_transcribe_medical_settings(
                EngineTranscribeMedicalSettings::builder()
                    .language_code(TranscribeMedicalLanguageCode::EnUs)
                    .specialty(TranscribeMedicalSpecialty::Cardiology)
                    .r#type(TranscribeMedicalType::Dictation)
                    .vocabulary_name("medical-vocabulary")
                    .region(TranscribeMedicalRegion::Auto)
                    .content_identification_type(TranscribeMedicalContentIdentificationType::Phi)
                    .build()
                    .unwrap(),
            )
            .build(),
    ];
    for configuration in configurations {
        start(&client, &meeting_id, configuration.clone())
            .await
            .unwrap_or_else(|e| panic!("{configuration:?}: {e:?}"));
    }
}

#[tokio::test]
async fn exactly_one_engine_is_required() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let both = TranscriptionConfiguration::builder()
        .engine_transcribe_settings(
            settings()
                .language_code(TranscribeLanguageCode::EnUs)
                .build(),
        )
        .engine_transcribe_medical_settings(medical())
        .build();
    let neither = TranscriptionConfiguration::builder().build();
    for configuration in [both, neither] {
        let e = expect_err!(
            start(&client, &meeting_id, configuration).await,
            StartMeetingTranscriptionError::BadRequestException
        );
        assert_eq!(e.meta().code(), Some("BadRequestException"));
        assert!(
            e.meta().message().is_some_and(|m| m.contains("Engine")),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn documented_combination_rules_are_enforced() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    let en = || settings().language_code(TranscribeLanguageCode::EnUs);
    let identify = || settings().identify_language(true);
    let cases = [
        ("neither LanguageCode nor IdentifyLanguage", settings()),
        (
            "IdentifyLanguage false",
            settings().identify_language(false),
        ),
        (
            "LanguageCode with IdentifyLanguage",
            en().identify_language(true),
        ),
        (
            "identification with redaction",
            en().content_identification_type(TranscribeContentIdentificationType::Pii)
                .content_redaction_type(TranscribeContentRedactionType::Pii),
        ),
        ("PiiEntityTypes alone", en().pii_entity_types("NAME")),
        (
            "unknown PII entity type",
            en().content_redaction_type(TranscribeContentRedactionType::Pii)
                .pii_entity_types("NAME,SHOE_SIZE"),
        ),
        (
            "LanguageOptions without IdentifyLanguage",
            en().language_options("en-US,fr-FR"),
        ),
        (
            "PreferredLanguage without IdentifyLanguage",
            en().preferred_language(TranscribeLanguageCode::EnUs),
        ),
        (
            "VocabularyNames without IdentifyLanguage",
            en().vocabulary_names("a,b"),
        ),
        (
            "VocabularyFilterNames without IdentifyLanguage",
            en().vocabulary_filter_names("a"),
        ),
        (
            "a single language option",
            identify().language_options("en-US"),
        ),
        (
            "two dialects of one language",
            identify().language_options("en-US,en-GB"),
        ),
        (
            "PreferredLanguage outside LanguageOptions",
            identify()
                .language_options("en-US,fr-FR")
                .preferred_language(TranscribeLanguageCode::DeDe),
        ),
        (
            "PreferredLanguage without LanguageOptions",
            identify().preferred_language(TranscribeLanguageCode::DeDe),
        ),
        (
            "IdentifyLanguage with a custom language model",
            identify().language_model_name("model"),
        ),
        (
            "IdentifyLanguage with redaction",
            identify().content_redaction_type(TranscribeContentRedactionType::Pii),
        ),
        (
            "IdentifyLanguage with VocabularyName",
            identify().vocabulary_name("v"),
        ),
        (
            "IdentifyLanguage with VocabularyFilterName",
            identify().vocabulary_filter_name("f"),
        ),
    ];
    for (case, builder) in cases {
        let e = expect_err!(
            start(&client, &meeting_id, standard(builder)).await,
            StartMeetingTranscriptionError::BadRequestException
        );
        assert!(
            e.meta().message().is_some_and(|m| !m.is_empty()),
            "{case}: {e:?}"
        );
    }
    // Model constraints: an unknown enum value.
    let e = expect_err!(
        start(
            &client,
            &meeting_id,
            standard(settings().language_code(TranscribeLanguageCode::from("xx-XX"))),
        )
        .await,
        StartMeetingTranscriptionError::BadRequestException
    );
    assert!(
        e.meta()
            .message()
            .is_some_and(|m| m.contains("LanguageCode")),
        "{e:?}"
    );
}

#[tokio::test]
async fn transcription_of_an_ended_meeting_is_not_found() {
    let server = shared_server();
    let client = server.client();
    let meeting_id = create_meeting(&client).await.meeting_id.unwrap();
    start(
        &client,
        &meeting_id,
        standard(settings().language_code(TranscribeLanguageCode::EnUs)),
    )
    .await
    .unwrap();
    client
        .delete_meeting()
        .meeting_id(&meeting_id)
        .send()
        .await
        .unwrap();
    let message = format!("Meeting <{meeting_id}> not found");
    let e = expect_err!(
        start(
            &client,
            &meeting_id,
            standard(settings().language_code(TranscribeLanguageCode::EnUs)),
        )
        .await,
        StartMeetingTranscriptionError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(message.as_str()));
    let e = expect_err!(
        client
            .stop_meeting_transcription()
            .meeting_id(&meeting_id)
            .send()
            .await,
        StopMeetingTranscriptionError::NotFoundException
    );
    assert_eq!(e.meta().message(), Some(message.as_str()));
}

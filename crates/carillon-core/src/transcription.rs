//! Live transcription settings and the combination rules the model documents for
//! `EngineTranscribeSettings` and `EngineTranscribeMedicalSettings`.
//!
//! AWS forwards the settings to Amazon Transcribe and reports a bad combination later, through a
//! `chime:TranscriptionFailed` event. Carillon has no Transcribe behind it, so it checks the
//! documented rules up front and answers `BadRequestException` at once: a caller learns of the
//! mistake on the call that made it instead of never.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TranscriptionConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_transcribe_settings: Option<EngineTranscribeSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_transcribe_medical_settings: Option<EngineTranscribeMedicalSettings>,
}

/// Enum-valued members are kept as the strings the model allows; the protocol layer has already
/// checked them against the model's enums.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EngineTranscribeSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary_filter_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary_filter_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_partial_results_stabilization: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_results_stability: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_identification_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_redaction_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pii_entity_types: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_model_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identify_language: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_options: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary_names: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary_filter_names: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EngineTranscribeMedicalSettings {
    pub language_code: String,
    pub specialty: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_identification_type: Option<String>,
}

const PII_ENTITY_TYPES: &[&str] = &[
    "ADDRESS",
    "BANK_ACCOUNT_NUMBER",
    "BANK_ROUTING",
    "CREDIT_DEBIT_CVV",
    "CREDIT_DEBIT_EXPIRY",
    "CREDIT_DEBIT_NUMBER",
    "EMAIL",
    "NAME",
    "PHONE",
    "PIN",
    "SSN",
    "ALL",
];

const LANGUAGE_CODES: &[&str] = &[
    "en-US", "en-GB", "es-US", "fr-CA", "fr-FR", "en-AU", "it-IT", "de-DE", "pt-BR", "ja-JP",
    "ko-KR", "zh-CN", "th-TH", "hi-IN",
];

impl TranscriptionConfiguration {
    /// Checks the documented rules; the message names the members involved.
    pub fn check(&self) -> Result<(), String> {
        match (
            &self.engine_transcribe_settings,
            &self.engine_transcribe_medical_settings,
        ) {
            (Some(s), None) => s.check(),
            (None, Some(_)) => Ok(()),
            _ => Err("TranscriptionConfiguration must contain exactly one of EngineTranscribeSettings or EngineTranscribeMedicalSettings".into()),
        }
    }
}

impl EngineTranscribeSettings {
    fn check(&self) -> Result<(), String> {
        let identify = self.identify_language == Some(true);
        let p = "EngineTranscribeSettings";
        match (self.language_code.is_some(), identify) {
            (false, false) => {
                return Err(format!("{p} must include LanguageCode or IdentifyLanguage"))
            }
            (true, true) => {
                return Err(format!(
                    "{p} cannot include both LanguageCode and IdentifyLanguage"
                ))
            }
            _ => {}
        }
        if self.content_identification_type.is_some() && self.content_redaction_type.is_some() {
            return Err(format!(
                "{p}: you can't set both ContentIdentificationType and ContentRedactionType"
            ));
        }
        if let Some(types) = &self.pii_entity_types {
            if self.content_identification_type.is_none() && self.content_redaction_type.is_none() {
                return Err(format!("{p}: PiiEntityTypes requires ContentIdentificationType or ContentRedactionType"));
            }
            if let Some(bad) = types
                .split(',')
                .map(str::trim)
                .find(|t| !PII_ENTITY_TYPES.contains(t))
            {
                return Err(format!(
                    "{p}: PiiEntityTypes contains an unknown type '{bad}'; allowed: {}",
                    PII_ENTITY_TYPES.join(", ")
                ));
            }
        }
        if identify {
            if self.language_model_name.is_some() {
                return Err(format!(
                    "{p}: IdentifyLanguage can't be combined with LanguageModelName"
                ));
            }
            if self.content_identification_type.is_some() || self.content_redaction_type.is_some() {
                return Err(format!("{p}: IdentifyLanguage can't be combined with ContentIdentificationType or ContentRedactionType"));
            }
            if self.vocabulary_name.is_some() {
                return Err(format!(
                    "{p}: with IdentifyLanguage use VocabularyNames instead of VocabularyName"
                ));
            }
            if self.vocabulary_filter_name.is_some() {
                return Err(format!("{p}: with IdentifyLanguage use VocabularyFilterNames instead of VocabularyFilterName"));
            }
        } else {
            for (name, value) in [
                ("LanguageOptions", &self.language_options),
                ("PreferredLanguage", &self.preferred_language),
                ("VocabularyNames", &self.vocabulary_names),
                ("VocabularyFilterNames", &self.vocabulary_filter_names),
            ] {
                if value.is_some() {
                    return Err(format!("{p}: {name} requires IdentifyLanguage"));
                }
            }
        }
        let options: Vec<&str> = self
            .language_options
            .as_deref()
            .map(|o| o.split(',').map(str::trim).collect())
            .unwrap_or_default();
        if self.language_options.is_some() {
            check_language_options(&options)?;
        }
        if let Some(preferred) = &self.preferred_language {
            if !options.contains(&preferred.as_str()) {
                return Err(format!(
                    "{p}: PreferredLanguage must be one of the LanguageOptions"
                ));
            }
        }
        Ok(())
    }
}

fn check_language_options(options: &[&str]) -> Result<(), String> {
    let p = "EngineTranscribeSettings";
    if options.len() < 2 {
        return Err(format!(
            "{p}: LanguageOptions must list two or more language codes"
        ));
    }
    let mut languages: Vec<&str> = Vec::with_capacity(options.len());
    for code in options {
        if !LANGUAGE_CODES.contains(code) {
            return Err(format!(
                "{p}: LanguageOptions contains an unsupported language code '{code}'"
            ));
        }
        let language = code.split('-').next().unwrap_or(code);
        if languages.contains(&language) {
            return Err(format!(
                "{p}: LanguageOptions can include only one dialect per language"
            ));
        }
        languages.push(language);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard(json: serde_json::Value) -> TranscriptionConfiguration {
        TranscriptionConfiguration {
            engine_transcribe_settings: Some(serde_json::from_value(json).unwrap()),
            engine_transcribe_medical_settings: None,
        }
    }

    #[test]
    fn exactly_one_engine() {
        assert!(TranscriptionConfiguration::default().check().is_err());
        let both = TranscriptionConfiguration {
            engine_transcribe_settings: Some(EngineTranscribeSettings {
                language_code: Some("en-US".into()),
                ..Default::default()
            }),
            engine_transcribe_medical_settings: Some(EngineTranscribeMedicalSettings::default()),
        };
        assert!(both.check().is_err());
    }

    #[test]
    fn documented_combinations() {
        use serde_json::json;
        let ok = [
            json!({"LanguageCode": "en-US"}),
            json!({"LanguageCode": "en-US", "ContentRedactionType": "PII", "PiiEntityTypes": "NAME,SSN"}),
            json!({"IdentifyLanguage": true}),
            json!({"IdentifyLanguage": true, "LanguageOptions": "en-US,fr-FR", "PreferredLanguage": "fr-FR"}),
            json!({"IdentifyLanguage": true, "VocabularyNames": "a,b"}),
            json!({"LanguageCode": "en-US", "VocabularyName": "v", "LanguageModelName": "m"}),
        ];
        for c in ok {
            assert_eq!(standard(c.clone()).check(), Ok(()), "{c}");
        }
        let bad = [
            json!({}),
            json!({"IdentifyLanguage": false}),
            json!({"LanguageCode": "en-US", "IdentifyLanguage": true}),
            json!({"LanguageCode": "en-US", "ContentRedactionType": "PII", "ContentIdentificationType": "PII"}),
            json!({"LanguageCode": "en-US", "PiiEntityTypes": "NAME"}),
            json!({"LanguageCode": "en-US", "ContentRedactionType": "PII", "PiiEntityTypes": "NAME,SHOE_SIZE"}),
            json!({"LanguageCode": "en-US", "LanguageOptions": "en-US,fr-FR"}),
            json!({"IdentifyLanguage": true, "LanguageOptions": "en-US"}),
            json!({"IdentifyLanguage": true, "LanguageOptions": "en-US,en-GB"}),
            json!({"IdentifyLanguage": true, "LanguageOptions": "en-US,fr-FR", "PreferredLanguage": "de-DE"}),
            json!({"IdentifyLanguage": true, "PreferredLanguage": "de-DE"}),
            json!({"IdentifyLanguage": true, "LanguageModelName": "m"}),
            json!({"IdentifyLanguage": true, "ContentRedactionType": "PII"}),
            json!({"IdentifyLanguage": true, "VocabularyName": "v"}),
            json!({"LanguageCode": "en-US", "VocabularyFilterNames": "a"}),
        ];
        for c in bad {
            assert!(standard(c.clone()).check().is_err(), "{c}");
        }
    }
}

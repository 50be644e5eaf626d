"""StartMeetingTranscription and StopMeetingTranscription through boto3."""

from __future__ import annotations

import pytest

MEDICAL = {
    "EngineTranscribeMedicalSettings": {
        "LanguageCode": "en-US",
        "Specialty": "PRIMARYCARE",
        "Type": "CONVERSATION",
        "Region": "us-east-1",
        "ContentIdentificationType": "PHI",
    }
}


def standard(**settings):
    return {"EngineTranscribeSettings": settings}


@pytest.mark.parametrize(
    "configuration",
    [
        standard(LanguageCode="en-US"),
        standard(LanguageCode="en-US", Region="auto", EnablePartialResultsStabilization=True, PartialResultsStability="high"),
        standard(LanguageCode="en-US", ContentRedactionType="PII", PiiEntityTypes="NAME,SSN"),
        standard(LanguageCode="de-DE", ContentIdentificationType="PII", PiiEntityTypes="ALL"),
        standard(LanguageCode="en-US", VocabularyName="v1", VocabularyFilterName="f1", VocabularyFilterMethod="mask"),
        standard(IdentifyLanguage=True),
        standard(IdentifyLanguage=True, LanguageOptions="en-US,fr-FR", PreferredLanguage="fr-FR"),
        standard(IdentifyLanguage=True, LanguageOptions="en-US,de-DE", VocabularyNames="a,b", VocabularyFilterNames="c"),
        MEDICAL,
    ],
)
def test_start_transcription_accepts_documented_configurations(chime, meeting, configuration):
    response = chime.start_meeting_transcription(
        MeetingId=meeting["MeetingId"], TranscriptionConfiguration=configuration
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    assert set(response) == {"ResponseMetadata"}


def test_start_replaces_and_stop_is_idempotent(chime, meeting):
    meeting_id = meeting["MeetingId"]
    chime.start_meeting_transcription(MeetingId=meeting_id, TranscriptionConfiguration=standard(LanguageCode="en-US"))
    chime.start_meeting_transcription(MeetingId=meeting_id, TranscriptionConfiguration=MEDICAL)
    for _ in range(2):
        response = chime.stop_meeting_transcription(MeetingId=meeting_id)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert response["ResponseMetadata"]["RequestId"]


def test_stop_without_start_succeeds(chime, meeting):
    response = chime.stop_meeting_transcription(MeetingId=meeting["MeetingId"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(
    "configuration, fragment",
    [
        ({}, "EngineTranscribeSettings"),
        ({**standard(LanguageCode="en-US"), **MEDICAL}, "EngineTranscribeSettings"),
        (standard(), "LanguageCode"),
        (standard(IdentifyLanguage=False), "LanguageCode"),
        (standard(LanguageCode="en-US", IdentifyLanguage=True), "IdentifyLanguage"),
        (standard(LanguageCode="en-US", ContentRedactionType="PII", ContentIdentificationType="PII"), "ContentRedactionType"),
        (standard(LanguageCode="en-US", PiiEntityTypes="NAME"), "PiiEntityTypes"),
        (standard(LanguageCode="en-US", ContentRedactionType="PII", PiiEntityTypes="NAME,SHOE_SIZE"), "PiiEntityTypes"),
        (standard(LanguageCode="en-US", LanguageOptions="en-US,fr-FR"), "LanguageOptions"),
        (standard(IdentifyLanguage=True, LanguageOptions="en-US"), "LanguageOptions"),
        (standard(IdentifyLanguage=True, LanguageOptions="en-US,en-GB"), "LanguageOptions"),
        (standard(IdentifyLanguage=True, LanguageOptions="en-US,fr-FR", PreferredLanguage="de-DE"), "PreferredLanguage"),
        (standard(IdentifyLanguage=True, PreferredLanguage="de-DE"), "PreferredLanguage"),
        (standard(IdentifyLanguage=True, LanguageModelName="model"), "LanguageModelName"),
        (standard(IdentifyLanguage=True, ContentRedactionType="PII"), "ContentRedactionType"),
        (standard(IdentifyLanguage=True, VocabularyName="v"), "VocabularyName"),
        (standard(LanguageCode="en-US", VocabularyFilterNames="a"), "VocabularyFilterNames"),
        (standard(LanguageCode="xx-XX"), "LanguageCode"),
        (standard(LanguageCode="en-US", Region="moon-1"), "Region"),
        (standard(LanguageCode="en-US", PartialResultsStability="extreme"), "PartialResultsStability"),
        ({"EngineTranscribeMedicalSettings": {"LanguageCode": "en-US", "Specialty": "PRIMARYCARE"}}, "Type"),
        ({"EngineTranscribeMedicalSettings": {"LanguageCode": "fr-FR", "Specialty": "PRIMARYCARE", "Type": "DICTATION"}}, "LanguageCode"),
    ],
)
def test_start_transcription_refuses_invalid_configurations(chime_unchecked, meeting, configuration, fragment):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.start_meeting_transcription(MeetingId=meeting["MeetingId"], TranscriptionConfiguration=configuration)
    assert fragment in e.value.response["Error"]["Message"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_start_transcription_requires_a_configuration(chime_unchecked, meeting):
    c = chime_unchecked
    with pytest.raises(c.exceptions.BadRequestException) as e:
        c.start_meeting_transcription(MeetingId=meeting["MeetingId"])
    assert "TranscriptionConfiguration" in e.value.response["Error"]["Message"]


def test_transcription_of_unknown_or_ended_meeting_is_not_found(chime, make_meeting):
    ended = make_meeting()
    chime.delete_meeting(MeetingId=ended["MeetingId"])
    for meeting_id in (ended["MeetingId"], "12345678-1234-4234-8234-123456789abc"):
        with pytest.raises(chime.exceptions.NotFoundException) as e:
            chime.start_meeting_transcription(
                MeetingId=meeting_id, TranscriptionConfiguration=standard(LanguageCode="en-US")
            )
        assert e.value.response["Error"]["Message"] == f"Meeting <{meeting_id}> not found"
        with pytest.raises(chime.exceptions.NotFoundException):
            chime.stop_meeting_transcription(MeetingId=meeting_id)


def test_transcription_of_another_accounts_meeting_is_not_found(chime2, meeting):
    with pytest.raises(chime2.exceptions.NotFoundException):
        chime2.start_meeting_transcription(
            MeetingId=meeting["MeetingId"], TranscriptionConfiguration=standard(LanguageCode="en-US")
        )
    with pytest.raises(chime2.exceptions.NotFoundException):
        chime2.stop_meeting_transcription(MeetingId=meeting["MeetingId"])

"""Offline language detection for short comments in the service's five languages."""

import pytest

from feedback.analysis.language import DetectedLanguage, detect, detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The nurse was very kind and helpful", "en"),
        ("Very good", "en"),
        ("Thank you", "en"),
        ("Waited two hours for my appointment", "en"),
        ("Diolch yn fawr", "cy"),
        ("Roedd y nyrs yn garedig iawn", "cy"),
        ("Ges i apwyntiad yn gyflym, diolch", "cy"),
        ("Da iawn", "cy"),
        ("Bardzo miła obsługa, dziękuję", "pl"),
        ("Czekałem trzy godziny na lekarza", "pl"),
        ("Dziękuję bardzo", "pl"),
        ("Mulțumesc frumos", "ro"),
        ("Asistenta a fost foarte amabilă", "ro"),
        ("Am așteptat două ore la spital", "ro"),
        ("Multumesc, doctorul a fost foarte bun", "ro"),
        ("Am aşteptat două ore", "ro"),  # cedilla ş instead of comma-below ș
        ("ڈاکٹر بہت اچھے تھے", "ur"),
        ("شکریہ", "ur"),
        ("مجھے دو گھنٹے انتظار کرنا پڑا۔", "ur"),
    ],
)
def test_detects_each_language(text, code):
    assert detect_language(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "Dr Llewellyn was very kind to me",
        "Seen at Ysbyty Gwynedd, the nurse was lovely",
        "Mrs Wójcik at the NHS 111 service was great",
        "Nurse Ștefan was really helpful",
        "I had a GP appointment",
    ],
)
def test_english_with_names_and_places_stays_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    ["", "ok", "1", "🙂👍", "Staff", "Nie", "???", "merci beaucoup madame",
     "Vielen Dank für alles", "شكرا جزيلا"],  # the last is Arabic, not Urdu
)
def test_too_short_or_unknown_is_none(text):
    assert detect_language(text) is None


def test_detect_reports_confidence():
    found = detect("The nurse was very kind and helpful")
    assert isinstance(found, DetectedLanguage)
    assert found.code == "en"
    assert 0.5 < found.confidence <= 1.0


def test_detection_is_deterministic():
    text = "Diolch yn fawr"
    assert {detect_language(text) for _ in range(5)} == {"cy"}


@pytest.mark.parametrize(
    "text",
    [
        "The nurse was very kind and helpful",
        "Dw i ddim yn gwybod llawer am y gwasanaeth",
        "Dr Llewellyn was lovely, the wait was long",
        "Multumesc, doctorul a fost foarte bun",
        "bardzo dobrze, dziekuje",
    ],
)
def test_an_ascii_comment_scores_as_it_would_beside_a_word_with_an_accent(text):
    # "naïve" is no language's common word and carries none of the letters that hint at one,
    # so adding it must change nothing, though the comment is then no longer ASCII.
    assert detect(text) == detect(f"{text} naïve")

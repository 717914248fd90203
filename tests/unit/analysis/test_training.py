"""Tests for the trainable sentiment model: fitting, predicting, saving and refusing bad files."""

import pickle
import zipfile

import pytest
from skops import io as skops_io

from feedback.analysis import sentiment
from feedback.analysis.training import (
    FORMAT,
    Candidate,
    LabelledComment,
    ModelFileError,
    TrainedClassifier,
    TrainingError,
    load_classifier,
    train,
)

# Short made-up comments, a dozen per level, with the rating people of that mind tend to give.
_BY_LEVEL = {
    1: (["The crew were brilliant and so kind", "Excellent care, thank you all",
         "Fantastic driver, really lovely", "Amazing nurse, outstanding support"], "very_good"),
    2: (["The driver was fine and on time", "Helpful call handler", "Good advice on the phone",
         "Friendly receptionist"], "good"),
    3: (["I was taken to the clinic", "The appointment was on a Tuesday",
         "I phoned in the morning", "Someone rang me"], "neither"),
    4: (["The wait was long", "Nobody called me back", "The van was late",
         "Hard to get through on the phone"], "poor"),
    5: (["Appalling, rude and useless", "Disgusting service, never again",
         "Absolutely awful, I waited all night", "Terrible, they ignored me"], "very_poor"),
}
_ENDINGS = ["", " today", " this time"]


def synthetic_comments() -> list[LabelledComment]:
    return [
        LabelledComment(text + ending, level, "fft_why", rating)
        for level, (texts, rating) in _BY_LEVEL.items()
        for text in texts
        for ending in _ENDINGS
    ]


# Small, quick candidates: the real ones differ only in size and C.
FAST = (Candidate("words C=1", characters=False, c=1.0, balanced=True),
        Candidate("words+chars C=1", characters=True, c=1.0, balanced=True))


@pytest.fixture(scope="module")
def classifier():
    return train(synthetic_comments(), folds=3, candidates=FAST)


def test_training_chooses_a_candidate_by_cross_validation(classifier):
    assert classifier.candidate in {c.name for c in FAST}
    assert set(classifier.cv_scores) == {c.name for c in FAST}
    assert classifier.cv_macro_f1 == max(classifier.cv_scores.values())
    assert 0.0 <= classifier.cv_macro_f1 <= 1.0
    assert classifier.rows == 60
    assert classifier.classes == [1, 2, 3, 4, 5]


def test_prediction_is_a_level_and_a_score_in_range(classifier):
    level, score = classifier.predict("Brilliant and kind crew", "fft_why", "very_good")
    assert level in (1, 2)
    assert 0.0 < score <= 1.0
    level, score = classifier.predict("Rude and useless, nobody called back", None, "very_poor")
    assert level in (4, 5)
    assert -1.0 <= score < 0.0


def test_predict_many_agrees_with_predict(classifier):
    from feedback.analysis.training import features

    texts = ["Lovely nurse", "Awful wait", "I phoned"]
    many = classifier.predict_many([features(t, None, None) for t in texts])
    assert many == [classifier.predict(t) for t in texts]


def test_score_text_uses_the_classifier_and_says_so(classifier):
    result = sentiment.score_text("Excellent care, thank you", question="fft_why",
                                  rating="very_good", classifier=classifier)
    assert result.source == "trained"
    assert result.level in (1, 2)
    assert result.label == sentiment.POSITIVE
    assert result.sentences  # still scored sentence by sentence by the built-in scorer


def test_version_is_a_short_hash_that_changes_with_the_fit(classifier):
    assert len(classifier.version) == 12
    other = train(synthetic_comments()[::-1][:45] + synthetic_comments()[:3], folds=2,
                  candidates=FAST[:1])
    assert other.version != classifier.version


def test_save_and_load_round_trip(classifier, tmp_path):
    path = classifier.save(tmp_path / "models" / "sentiment.skops")
    loaded = load_classifier(path)
    assert isinstance(loaded, TrainedClassifier)
    assert loaded.version == classifier.version
    assert loaded.candidate == classifier.candidate
    assert loaded.cv_scores == pytest.approx(classifier.cv_scores)
    for text in ("Lovely nurse", "The van was late", "I phoned"):
        assert loaded.predict(text, "fft_why", "good") == classifier.predict(text, "fft_why",
                                                                              "good")


def test_load_returns_none_when_there_is_no_file(tmp_path):
    assert load_classifier(tmp_path / "missing.skops") is None


def test_load_refuses_a_file_that_is_not_skops(tmp_path):
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"\x00not a model at all")
    with pytest.raises(ModelFileError, match="not a skops model file"):
        load_classifier(garbage)


def test_load_refuses_a_pickle(classifier, tmp_path):
    pickled = tmp_path / "model.skops"
    pickled.write_bytes(pickle.dumps({"format": FORMAT}))
    with pytest.raises(ModelFileError):
        load_classifier(pickled)


class Intruder:
    """A type no model of ours contains; skops must not rebuild it."""


def test_load_refuses_a_skops_file_naming_untrusted_types(tmp_path):
    path = tmp_path / "tampered.skops"
    skops_io.dump({"format": FORMAT, "pipeline": Intruder()}, path)
    with pytest.raises(ModelFileError, match="does not trust"):
        load_classifier(path)


def test_load_refuses_a_skops_file_of_something_else(tmp_path):
    path = tmp_path / "other.skops"
    skops_io.dump({"format": "something-else", "numbers": [1, 2, 3]}, path)
    with pytest.raises(ModelFileError, match="not a sentiment model"):
        load_classifier(path)


def test_saved_file_is_a_compressed_zip(classifier, tmp_path):
    path = classifier.save(tmp_path / "m.skops")
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("schema.json").compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("rows, message", [
    ([], "at least"),
    ([LabelledComment("Lovely", 1)] * 30, "same label"),
    ([LabelledComment("Lovely", 1)] * 29 + [LabelledComment("Awful", 5)], "fewer than"),
    ([LabelledComment("Lovely", 1)] * 15 + [LabelledComment("Awful", 9)] * 15, "1-5"),
])
def test_training_refuses_rows_it_cannot_learn_from(rows, message):
    with pytest.raises(TrainingError, match=message):
        train(rows, candidates=FAST[:1])

"""A sentiment classifier fitted on a trust's own labelled comments, saved and loaded with skops.

The built-in scorer knows this field in general; a trust that has labelled a few thousand of
its own comments can do better with a model that learns its services' words. `train` fits a
scikit-learn pipeline on the text, the question kind, the FFT rating and the built-in score,
choosing among a few candidates by stratified cross-validation, and predicts the five-level
FFT labelling scale (1 very positive .. 5 very negative).

Models are stored with skops rather than pickle: loading a pickle runs whatever code the file
names, so a tampered model file would run code in the web process. skops rebuilds only types
it trusts, and `load_classifier` refuses a file that names any other type.
"""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from skops import io as skops_io

from . import sentiment
from .text import words

FORMAT = "feedback-sentiment-model/1"
LEVELS = (1, 2, 3, 4, 5)
# Where each level sits on the score scale: the score is the expected value over levels.
LEVEL_SCORES = np.array([1.0, 0.5, 0.0, -0.5, -1.0])
MIN_ROWS = 20
MIN_PER_CLASS = 2


class TrainingError(ValueError):
    """The labelled comments cannot train a model (too few, or only one label)."""


class ModelFileError(ValueError):
    """A model file that is not a sentiment model of this app, or names untrusted types."""


@dataclass(frozen=True)
class LabelledComment:
    text: str
    level: int  # 1 very positive .. 5 very negative
    question: str | None = None
    rating: str | int | None = None


@dataclass(frozen=True)
class Candidate:
    """One pipeline shape tried in cross-validation."""

    name: str
    characters: bool  # add character n-grams (misspellings, "2hrs") to word n-grams
    c: float  # inverse regularisation strength of the logistic regression
    balanced: bool  # weight the rarer levels up, which macro-F1 rewards


CANDIDATES = (
    Candidate("words C=2", characters=False, c=2.0, balanced=True),
    Candidate("words+chars C=1", characters=True, c=1.0, balanced=True),
    Candidate("words+chars C=2", characters=True, c=2.0, balanced=True),
)


# --- Features ------------------------------------------------------------------------------------

def _meta_tokens(question: str | None, rating: str | int | None,
                 text_only: sentiment.Sentiment) -> str:
    """The evidence besides the words, as tokens: question kind, rating, the built-in reading of
    the text alone, and their pairs, so a linear model can weigh each against the others."""
    kind = sentiment.question_kind(question) or "other"
    value = sentiment.rating_value(rating)
    rating_token = f"r{value}" if value else "r-"
    level = text_only.level
    tokens = [
        f"q:{kind}", f"rating:{rating_token}", f"q:{kind}|{rating_token}",
        f"builtin:{level}", f"builtin-score:{int(round(text_only.score * 4))}",
        f"builtin-label:{text_only.label}", f"q:{kind}|builtin:{level}",
        f"{rating_token}|builtin:{level}",
    ]
    if not text_only.sentences:
        tokens.append("empty")
    return " ".join(tokens)


def _question_words(question: str | None, text: str) -> str:
    """The words again, tagged with the question kind: "more" answering "how could we
    improve?" is a complaint; "more" answering "what was good?" is not."""
    kind = sentiment.question_kind(question) or "other"
    return " ".join(f"{kind}:{word}" for word in words(text or ""))


def features(text: str, question: str | None, rating: str | int | None,
             text_only: sentiment.Sentiment | None = None) -> list[str]:
    """One row of model input: [text, meta tokens, question-tagged words].

    :param text_only: the built-in result for the text and question without the rating, if
        already computed; the model weighs the rating itself.
    """
    if text_only is None:
        text_only = sentiment.score_text(text, question=question)
    return [text or "", _meta_tokens(question, rating, text_only),
            _question_words(question, text)]


def _matrix(rows: Sequence[LabelledComment]) -> np.ndarray:
    return np.array([features(r.text, r.question, r.rating) for r in rows], dtype=object)


def _word_ngrams(**options: Any) -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, **options)


def build_pipeline(candidate: Candidate, *, seed: int = 0) -> Pipeline:
    columns = [
        ("words", _word_ngrams(), 0),
        ("question-words", _word_ngrams(token_pattern=r"\S+", lowercase=False), 2),
        ("meta", CountVectorizer(token_pattern=r"\S+", lowercase=False, binary=True), 1),
    ]
    if candidate.characters:
        columns.insert(1, ("chars", TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
            max_features=100_000), 0))
    return Pipeline([
        ("features", ColumnTransformer(columns)),
        # newton-cg converges in about ten iterations here; lbfgs takes six times as long.
        ("model", LogisticRegression(
            C=candidate.c, solver="newton-cg", max_iter=1000, random_state=seed,
            class_weight="balanced" if candidate.balanced else None)),
    ])


# --- The classifier ------------------------------------------------------------------------------

def _three_class_levels(probabilities: np.ndarray, classes: Sequence[int]) -> list[int]:
    """The level of each row: first positive/neutral/negative by summed probability, then the
    likelier level inside that group, so the five levels and three classes always agree."""
    group_of = np.array([0 if level <= 2 else 1 if level == 3 else 2 for level in classes])
    in_group = group_of[:, None] == np.arange(3)[None, :]  # classes x groups
    best_group = (probabilities @ in_group).argmax(axis=1)
    masked = np.where(group_of[None, :] == best_group[:, None], probabilities, -1.0)
    return [int(classes[i]) for i in masked.argmax(axis=1)]


class TrainedClassifier:
    """A fitted pipeline with what is known about how it was chosen."""

    def __init__(self, pipeline: Pipeline, *, candidate: str, cv_macro_f1: float,
                 rows: int, lexicon_version: str, cv_scores: dict[str, float] | None = None):
        self.pipeline = pipeline
        self.candidate = candidate
        self.cv_macro_f1 = cv_macro_f1  # of the chosen candidate, 5-level macro-F1
        self.cv_scores = dict(cv_scores or {candidate: cv_macro_f1})  # of every candidate
        self.rows = rows
        self.lexicon_version = lexicon_version
        self.version = _fingerprint(pipeline)

    @property
    def classes(self) -> list[int]:
        return [int(level) for level in self.pipeline.classes_]

    def predict(self, text: str, question: str | None = None, rating: str | int | None = None,
                *, text_only: sentiment.Sentiment | None = None) -> tuple[int, float]:
        """The level (1 very positive .. 5 very negative) and a score in [-1, 1].

        :param text_only: the built-in result for the text and question without the rating,
            if already computed.
        """
        return self.predict_many([features(text, question, rating, text_only)])[0]

    def predict_many(self, rows: Sequence[Sequence[str]]) -> list[tuple[int, float]]:
        """Levels and scores for many rows of `features(...)` at once (much faster)."""
        probabilities = self.pipeline.predict_proba(np.array(rows, dtype=object))
        scores = probabilities @ np.array([LEVEL_SCORES[level - 1] for level in self.classes])
        levels = _three_class_levels(probabilities, self.classes)
        return [(level, round(float(score), 3)) for level, score in zip(levels, scores,
                                                                        strict=True)]

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        skops_io.dump({
            "format": FORMAT,
            "pipeline": self.pipeline,
            "candidate": self.candidate,
            "cv_macro_f1": float(self.cv_macro_f1),
            "cv_scores": {name: float(value) for name, value in self.cv_scores.items()},
            "rows": int(self.rows),
            "lexicon_version": self.lexicon_version,
        }, path, compression=zipfile.ZIP_DEFLATED)  # the vocabularies are verbose JSON
        return path


def _fingerprint(pipeline: Pipeline) -> str:
    """A short hash of the fitted parameters, stored with each result the model scores."""
    digest = hashlib.sha256()
    model = pipeline.named_steps["model"]
    digest.update(json.dumps(model.get_params(), sort_keys=True, default=str).encode())
    for array in (model.classes_, model.coef_, model.intercept_):
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    for name, transformer, _ in pipeline.named_steps["features"].transformers_:
        vocabulary = getattr(transformer, "vocabulary_", None)
        if vocabulary is not None:
            digest.update(name.encode())
            digest.update(json.dumps(sorted((t, int(i)) for t, i in vocabulary.items())).encode())
        idf = getattr(transformer, "idf_", None)
        if idf is not None:
            digest.update(np.ascontiguousarray(idf, dtype=np.float64).tobytes())
    return digest.hexdigest()[:12]


def load_classifier(path: Path | str) -> TrainedClassifier | None:
    """Load a model saved by `TrainedClassifier.save`; None when there is no file.

    :raise ModelFileError: the file is not a skops file, names a type outside skops' trusted
        defaults (a tampered or foreign file), or is not a model saved by this app.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        untrusted = skops_io.get_untrusted_types(file=path)
    except Exception as error:  # a zip error, bad JSON schema or anything skops raises
        raise ModelFileError(f"{path} is not a skops model file ({error})") from error
    if untrusted:
        raise ModelFileError(
            f"{path} names types this app does not trust, so it was not loaded: "
            + ", ".join(sorted(untrusted)))
    try:
        data = skops_io.load(path, trusted=None)
    except Exception as error:
        raise ModelFileError(f"{path} could not be read as a skops model ({error})") from error
    return _from_saved(data, path)


def _from_saved(data: Any, path: Path) -> TrainedClassifier:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a sentiment model saved by this app")
    pipeline = data.get("pipeline")
    if not isinstance(pipeline, Pipeline) or not hasattr(pipeline, "classes_"):
        raise ModelFileError(f"{path} holds no fitted pipeline")
    return TrainedClassifier(
        pipeline, candidate=str(data.get("candidate", "")),
        cv_macro_f1=float(data.get("cv_macro_f1", 0.0)), rows=int(data.get("rows", 0)),
        lexicon_version=str(data.get("lexicon_version", "")),
        cv_scores={str(k): float(v) for k, v in (data.get("cv_scores") or {}).items()},
    )


# --- Training ------------------------------------------------------------------------------------

def _checked(rows: Iterable[LabelledComment]) -> list[LabelledComment]:
    rows = list(rows)
    bad = [r.level for r in rows if r.level not in LEVELS]
    if bad:
        raise TrainingError(f"labels must be 1-5; found {bad[0]!r}")
    if len(rows) < MIN_ROWS:
        raise TrainingError(f"{len(rows)} labelled comments: at least {MIN_ROWS} are needed")
    counts = Counter(r.level for r in rows)
    if len(counts) < 2:
        raise TrainingError("every comment has the same label: a model needs at least two")
    if min(counts.values()) < MIN_PER_CLASS:
        rare = sorted(level for level, n in counts.items() if n < MIN_PER_CLASS)
        raise TrainingError(
            f"label(s) {rare} have fewer than {MIN_PER_CLASS} comments; label more or merge them")
    return rows


def _fit(pipeline: Pipeline, x: np.ndarray, y: np.ndarray) -> Pipeline:
    with warnings.catch_warnings():
        # Small or tiny sets may stop short of full convergence; the fit is still usable.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(x, y)


def _slimmed(pipeline: Pipeline) -> Pipeline:
    """Drop the vectorisers' record of every term they left out, which is only there for
    introspection and would make up most of the saved file."""
    for _, transformer, _ in pipeline.named_steps["features"].transformers_:
        if getattr(transformer, "stop_words_", None) is not None:
            transformer.stop_words_ = None
    return pipeline


def cross_validate(candidate: Candidate, x: np.ndarray, y: np.ndarray, *, folds: int,
                   seed: int) -> float:
    """Mean macro-F1 over the five levels in stratified k-fold cross-validation."""
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = []
    for train_index, test_index in splits.split(x, y):
        model = _fit(build_pipeline(candidate, seed=seed), x[train_index], y[train_index])
        classes = [int(c) for c in model.classes_]
        predicted = _three_class_levels(model.predict_proba(x[test_index]), classes)
        scores.append(f1_score(y[test_index], predicted, average="macro", zero_division=0))
    return float(np.mean(scores))


def train(rows: Iterable[LabelledComment], *, folds: int = 5, seed: int = 0,
          candidates: Sequence[Candidate] = CANDIDATES) -> TrainedClassifier:
    """Choose a candidate by cross-validated macro-F1, then fit it on every row.

    :raise TrainingError: too few rows, a single label, or a label with too few rows to
        cross-validate.
    """
    rows = _checked(rows)
    y = np.array([r.level for r in rows])
    folds = max(2, min(folds, min(Counter(y.tolist()).values())))
    x = _matrix(rows)
    scored = [(cross_validate(c, x, y, folds=folds, seed=seed), i, c)
              for i, c in enumerate(candidates)]
    # Best score first; on a tie the earlier (simpler) candidate.
    best_score, _, best = max(scored, key=lambda item: (item[0], -item[1]))
    pipeline = _slimmed(_fit(build_pipeline(best, seed=seed), x, y))
    return TrainedClassifier(
        pipeline, candidate=best.name, cv_macro_f1=best_score, rows=len(rows),
        lexicon_version=sentiment.default_lexicon().version,
        cv_scores={c.name: value for value, _, c in scored})

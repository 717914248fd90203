"""Measuring sentiment analysers against comments people have labelled, in the FFT CSV layout.

The layout is the one of the shared labelled file: comment_id, trust, service_type_1,
fft_question, fft_score, text, sentiment (1 very positive .. 5 very negative), themes, split.
The analysers that learn (baseline, trained) are fitted on the `dev` rows of the same file and
scored on the split asked for, so a trust can check them on its own labelled comments.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.pipeline import Pipeline

from . import sentiment, training

COLUMNS = ("comment_id", "trust", "service_type_1", "fft_question", "fft_score", "text",
           "sentiment", "themes", "split")
# The columns read; the others may be absent.
NEEDED = ("comment_id", "fft_question", "fft_score", "text", "sentiment")
THREE = (sentiment.POSITIVE, sentiment.NEUTRAL, sentiment.NEGATIVE)
LEVELS = (1, 2, 3, 4, 5)
DEV = "dev"
BUILT_IN, TEXTBLOB, BASELINE, TRAINED = "built-in", "textblob", "baseline", "trained"
ANALYSERS = (BUILT_IN, TEXTBLOB, BASELINE, TRAINED)
FITTED = (BASELINE, TRAINED)


class DataError(ValueError):
    """The CSV cannot be used: missing columns, bad labels, no rows to score."""


@dataclass(frozen=True)
class LabelledRow:
    comment_id: str
    text: str
    question: str | None
    rating: str | None
    level: int  # the human label, 1 very positive .. 5 very negative
    split: str

    def labelled(self) -> training.LabelledComment:
        return training.LabelledComment(self.text, self.level, self.question, self.rating)


# --- Reading -------------------------------------------------------------------------------------

def read_rows(handle: TextIO, *, need_split: bool = True) -> list[LabelledRow]:
    """Rows of a labelled CSV.

    :raise DataError: a needed column is missing, or a row's label is not 1-5.
    """
    reader = csv.DictReader(handle)
    present = set(reader.fieldnames or ())
    missing = [c for c in (*NEEDED, *(("split",) if need_split else ())) if c not in present]
    if missing:
        raise DataError("the CSV has no column(s): " + ", ".join(missing)
                        + " (expected: " + ", ".join(COLUMNS) + ")")
    rows = []
    for line, record in enumerate(reader, start=2):
        rows.append(_row(record, line))
    return rows


def _row(record: dict[str, str | None], line: int) -> LabelledRow:
    label = (record.get("sentiment") or "").strip()
    if label not in {"1", "2", "3", "4", "5"}:
        raise DataError(f"line {line}: sentiment must be 1-5, not {label!r}")
    return LabelledRow(
        comment_id=(record.get("comment_id") or "").strip() or str(line),
        text=record.get("text") or "",
        question=(record.get("fft_question") or "").strip() or None,
        rating=(record.get("fft_score") or "").strip() or None,
        level=int(label),
        split=(record.get("split") or "").strip(),
    )


def read_csv(path: Path | str, *, need_split: bool = True) -> list[LabelledRow]:
    """:raise DataError: the file cannot be read, or see `read_rows`."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            return read_rows(handle, need_split=need_split)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"cannot read {path}: {error}") from error


# --- Analysers -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prediction:
    label: str  # positive | neutral | mixed | negative, as the analyser gives it
    level: int | None  # 1..5 where the analyser gives five levels


def predict_built_in(rows: Sequence[LabelledRow]) -> list[Prediction]:
    results = (sentiment.score_text(r.text, question=r.question, rating=r.rating) for r in rows)
    return [Prediction(result.label, result.level) for result in results]


def predict_textblob(rows: Sequence[LabelledRow]) -> list[Prediction]:
    """TextBlob polarity alone: above zero positive, below zero negative, else neutral."""
    from textblob import TextBlob

    predictions = []
    for row in rows:
        polarity = TextBlob(row.text).sentiment.polarity
        label = (sentiment.POSITIVE if polarity > 0
                 else sentiment.NEGATIVE if polarity < 0 else sentiment.NEUTRAL)
        predictions.append(Prediction(label, None))
    return predictions


def fit_baseline(rows: Sequence[LabelledRow]) -> Pipeline:
    """Plain TF-IDF and logistic regression on the text alone: the bar a model must clear."""
    pipeline = Pipeline([("tfidf", TfidfVectorizer()),
                         ("model", LogisticRegression(max_iter=1000))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit([r.text for r in rows], [r.level for r in rows])


def predict_baseline(model: Pipeline, rows: Sequence[LabelledRow]) -> list[Prediction]:
    levels = model.predict([r.text for r in rows])
    return [Prediction(sentiment.three_class(int(level)), int(level)) for level in levels]


def predict_trained(classifier: training.TrainedClassifier,
                    rows: Sequence[LabelledRow]) -> list[Prediction]:
    matrix = [training.features(r.text, r.question, r.rating) for r in rows]
    return [Prediction(sentiment.three_class(level), level)
            for level, _ in classifier.predict_many(matrix)] if rows else []


# --- Scores --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scores:
    analyser: str
    rows: int
    macro_f1: float  # three classes, mixed counted as neutral
    accuracy: float
    confusion: np.ndarray  # rows: human label, columns: predicted, in THREE order
    macro_f1_5: float | None = None
    confusion_5: np.ndarray | None = None

    def line(self) -> str:
        text = (f"{self.analyser}: 3-class macro-F1 {self.macro_f1:.3f}, "
                f"accuracy {self.accuracy:.3f}")
        if self.macro_f1_5 is not None:
            text += f", 5-class macro-F1 {self.macro_f1_5:.3f}"
        return text


def score(analyser: str, truth: Sequence[int], predictions: Sequence[Prediction]) -> Scores:
    """Macro-F1 and accuracy on three classes, and macro-F1 on five levels where given."""
    true3 = [sentiment.three_class(level) for level in truth]
    predicted3 = [sentiment.three_class(p.label) for p in predictions]
    result = Scores(
        analyser=analyser,
        rows=len(truth),
        macro_f1=float(f1_score(true3, predicted3, labels=THREE, average="macro",
                                zero_division=0)),
        accuracy=float(accuracy_score(true3, predicted3)),
        confusion=confusion_matrix(true3, predicted3, labels=THREE),
    )
    if predictions and all(p.level is not None for p in predictions):
        levels = [p.level for p in predictions]
        result = replace(
            result,
            macro_f1_5=float(f1_score(truth, levels, labels=LEVELS, average="macro",
                                      zero_division=0)),
            confusion_5=confusion_matrix(truth, levels, labels=LEVELS))
    return result


def format_confusion(matrix: np.ndarray, labels: Sequence[str | int]) -> str:
    """A plain-text confusion matrix: a row per human label, a column per predicted one."""
    names = [str(label) for label in labels]
    width = max(8, *(len(n) for n in names), *(len(str(v)) for v in matrix.flat))
    lines = ["human \\ predicted".ljust(18) + "".join(n.rjust(width + 1) for n in names)]
    for name, row in zip(names, matrix, strict=True):
        lines.append(name.ljust(18) + "".join(str(v).rjust(width + 1) for v in row))
    return "\n".join(lines)


# --- The whole evaluation ------------------------------------------------------------------------

@dataclass
class Report:
    split: str
    scores: list[Scores] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    predictions: dict[str, list[Prediction]] = field(default_factory=dict)
    rows: list[LabelledRow] = field(default_factory=list)

    def confusions(self) -> str:
        blocks = []
        for s in self.scores:
            blocks.append(f"{s.analyser}, 3 classes ({s.rows} comments):\n"
                          + format_confusion(s.confusion, THREE))
            if s.confusion_5 is not None:
                blocks.append(f"{s.analyser}, 5 levels:\n" + format_confusion(s.confusion_5,
                                                                               LEVELS))
        return "\n\n".join(blocks)


def _fitted_analysers(dev: Sequence[LabelledRow], *, folds: int, seed: int,
                      ) -> dict[str, Callable[[Sequence[LabelledRow]], list[Prediction]]]:
    baseline = fit_baseline(dev)
    classifier = training.train([r.labelled() for r in dev], folds=folds, seed=seed)
    return {
        BASELINE: lambda rows: predict_baseline(baseline, rows),
        TRAINED: lambda rows: predict_trained(classifier, rows),
    }


def evaluate(rows: Iterable[LabelledRow], *, split: str = "test",
             analysers: Sequence[str] = ANALYSERS, folds: int = 5, seed: int = 0) -> Report:
    """Score each analyser on the rows of `split`, fitting the learning ones on `dev` rows.

    :raise DataError: no rows in `split`, or an unknown analyser.
    :raise training.TrainingError: the dev rows cannot train the model.
    """
    unknown = [a for a in analysers if a not in ANALYSERS]
    if unknown:
        raise DataError(f"unknown analyser(s): {', '.join(unknown)}")
    rows = list(rows)
    scored = [r for r in rows if r.split == split]
    if not scored:
        found = sorted({r.split for r in rows if r.split})
        raise DataError(f"no rows in split {split!r} (splits present: "
                        f"{', '.join(found) or 'none'})")
    report = Report(split=split, rows=scored)
    predictors: dict[str, Callable[[Sequence[LabelledRow]], list[Prediction]]] = {
        BUILT_IN: predict_built_in, TEXTBLOB: predict_textblob}
    wanted_fitted = [a for a in analysers if a in FITTED]
    if wanted_fitted:
        dev = [r for r in rows if r.split == DEV]
        if not dev:
            report.notes.append(f"No {DEV} rows: skipped {', '.join(wanted_fitted)} "
                                f"(they are fitted on the {DEV} rows).")
        elif split == DEV:
            report.notes.append(f"Scoring the {DEV} rows: skipped {', '.join(wanted_fitted)}, "
                                f"which would be scored on the rows they were fitted on.")
        else:
            predictors.update(_fitted_analysers(dev, folds=folds, seed=seed))
    truth = [r.level for r in scored]
    for name in analysers:
        if name in predictors:
            report.predictions[name] = predictors[name](scored)
            report.scores.append(score(name, truth, report.predictions[name]))
    return report


def write_predictions(handle: TextIO, rows: Sequence[LabelledRow],
                      predictions: Sequence[Prediction]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["comment_id", "predicted"])
    for row, prediction in zip(rows, predictions, strict=True):
        writer.writerow([row.comment_id, prediction.label])

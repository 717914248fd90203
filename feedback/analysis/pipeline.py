"""The one entry point for analysing a comment: language, sentiment, themes, redaction, risk."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from . import language as languages
from . import safeguarding, sentiment, themes
from .redaction import Redacted, redact
from .text import sentences as split_sentences

if TYPE_CHECKING:
    from .training import TrainedClassifier

# Bump when a rule, word list or threshold changes what a comment is given, so that
# `flask analysis rerun` knows which stored results are out of date.
ANALYSER_VERSION = "1"

# A theme's sentiment is the mean score of the sentences that carry it.
_THEME_POSITIVE = 0.1
_THEME_NEGATIVE = -0.1


@dataclass(frozen=True)
class ThemeResult:
    key: str
    sentiment_label: str | None  # None when the comment is not scored
    sentiment_score: float | None


@dataclass(frozen=True)
class AnalysisResult:
    """Everything the service records about one comment. Plain data, safe to serialise."""

    version: str
    language: str | None  # detected, or as given when the text is too short to tell
    scored: bool  # False for comments not in English: not scored rather than scored wrongly
    sentiment: sentiment.Sentiment | None
    themes: tuple[ThemeResult, ...]
    redacted: Redacted
    safeguarding: safeguarding.SafeguardingResult

    @property
    def sentences(self) -> tuple[sentiment.SentenceSentiment, ...]:
        return self.sentiment.sentences if self.sentiment else ()

    def to_dict(self) -> dict:
        return asdict(self)


def analyser_version(classifier: TrainedClassifier | None = None) -> str:
    """The version stored with each result: the rules, the detector and any trained model."""
    parts = [ANALYSER_VERSION, safeguarding.default_rules().version]
    if classifier is not None:
        parts.append(f"model-{classifier.version}")
    return "/".join(parts)[:64]


def _primary(language: str | None) -> str | None:
    if not language:
        return None
    return language.strip().lower().replace("_", "-").split("-")[0] or None


def _theme_results(hits, scores: list[float] | None) -> tuple[ThemeResult, ...]:
    results = []
    for hit in hits:
        if scores is None:
            results.append(ThemeResult(hit.key, None, None))
            continue
        carried = [scores[i] for i in hit.sentence_indexes if i < len(scores)]
        score = round(sum(carried) / len(carried), 3) if carried else 0.0
        if score >= _THEME_POSITIVE:
            label = sentiment.POSITIVE
        elif score <= _THEME_NEGATIVE:
            label = sentiment.NEGATIVE
        else:
            label = sentiment.NEUTRAL
        results.append(ThemeResult(hit.key, label, score))
    return tuple(results)


def analyse(
    text: str,
    *,
    question: str | None = None,
    rating: str | int | None = None,
    language: str | None = None,
    classifier: TrainedClassifier | None = None,
) -> AnalysisResult:
    """Analyse one free-text answer.

    `question` is the question it answers (a bank key or the question's text), `rating` the FFT
    rating given with it, and `language` the language the person chose for the survey, used
    when the comment is too short for its own language to be told.
    """
    text = text or ""
    detected = languages.detect_language(text)
    comment_language = detected or _primary(language) or "en"
    scored = comment_language == "en"

    if scored:
        result = sentiment.score_text(text, question=question, rating=rating,
                                      classifier=classifier)
        sentence_texts = [s.text for s in result.sentences]
        scores = [s.score for s in result.sentences]
    else:
        result = None
        sentence_texts = split_sentences(text)
        scores = None
    hits = themes.tag_themes(sentence_texts, comment_language)
    return AnalysisResult(
        version=analyser_version(classifier),
        language=detected or _primary(language),
        scored=scored,
        sentiment=result,
        themes=_theme_results(hits, scores),
        redacted=redact(text),
        safeguarding=safeguarding.check(text, comment_language),
    )

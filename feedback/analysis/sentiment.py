"""Sentiment of a free-text answer: positive, neutral, mixed or negative, sentence by sentence."""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .text import sentences as split_sentences
from .text import words

if TYPE_CHECKING:
    from .training import TrainedClassifier


def _import_textblob_lexicon():
    """TextBlob's own polarity lexicon and negation rules, called on words we have already
    split: TextBlob(...).sentiment does the same work plus a blob and a namedtuple per call.

    TextBlob imports NLTK, which imports NumPy, SciPy and scikit-learn when it can, for parts we
    never use; that is about 100 MB in every web process and worker. They are hidden while
    TextBlob loads (NLTK treats them as optional), then visible again for code that needs them.
    """
    hidden = [name for name in ("sklearn", "scipy", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # makes `import name` raise ImportError
    try:
        from textblob.en import sentiment
    finally:
        for name in hidden:
            sys.modules.pop(name, None)
    return sentiment


_textblob_lexicon = _import_textblob_lexicon()

POSITIVE, NEUTRAL, MIXED, NEGATIVE = "positive", "neutral", "mixed", "negative"
LABELS = (POSITIVE, NEUTRAL, MIXED, NEGATIVE)
BUILT_IN, TRAINED = "built-in", "trained"
IMPROVE, GOOD, WHY = "improve", "good", "why"

DEFAULT_PATH = Path(__file__).parent / "data" / "sentiment_words.toml"


@dataclass(frozen=True)
class SentenceSentiment:
    text: str
    score: float  # -1 very negative .. +1 very positive
    label: str


@dataclass(frozen=True)
class Sentiment:
    label: str  # positive | neutral | mixed | negative
    score: float  # -1 .. +1
    level: int  # 1 very positive .. 5 very negative, the FFT labelling scale
    sentences: tuple[SentenceSentiment, ...]
    source: str  # "built-in" or "trained"


@dataclass(frozen=True)
class Tuning:
    """Weights and thresholds of the built-in scorer, chosen on the labelled `dev` comments."""

    # What each FFT rating says on its own, on the score scale (1 very good .. 5 very poor).
    rating_prior: tuple[float, ...] = (0.5, 0.25, -0.2, -0.6, -0.8)
    # How much the rating counts, by question: an answer to "how could we improve?" is about
    # what fell short, whatever the overall rating.
    rating_weight: tuple[tuple[str | None, float], ...] = (
        (IMPROVE, 0.6), (WHY, 0.6), (GOOD, 0.7), (None, 1.0))
    # Weight of the text against the rating: grows with the number of sentiment-bearing words.
    text_weight: float = 1.0
    text_weight_per_word: float = 0.5
    text_weight_words: int = 4
    answer_words: int = 2  # "nothing" or "everything" counts as this many words
    # Where nothing in the text carries sentiment, the question alone hints at it.
    question_prior: tuple[tuple[str | None, float], ...] = (
        (GOOD, 0.3), (IMPROVE, -0.25), (WHY, 0.0), (None, 0.0))
    # What "nothing" and "everything" mean, by question.
    nothing_score: tuple[tuple[str | None, float], ...] = (
        (IMPROVE, 0.9), (WHY, 0.7), (GOOD, -0.8), (None, 0.3))
    everything_score: tuple[tuple[str | None, float], ...] = (
        (IMPROVE, -0.8), (WHY, 0.6), (GOOD, 0.8), (None, 0.0))
    # Contrast: the clause after "but" counts this much more than the one before it.
    after_contrast: float = 2.0
    concession: float = 0.5  # the "although ..." clause
    exception: float = 1.5  # the "except ..." clause
    # A sentence or clause this far from zero is "clearly" positive or negative.
    clear: float = 0.25
    # Mixed: clearly positive and clearly negative parts, and an overall score near zero. With
    # a rating the band is narrow: the rating usually says which way the person leans.
    mixed_band: float = 0.1
    mixed_band_unrated: float = 0.25
    # Level boundaries on the combined score: >= level_1 is 1, >= level_2 is 2, ...
    level_1: float = 0.45
    level_2: float = 0.15
    level_4: float = -0.1
    level_5: float = -0.5
    # A sentence's own label.
    sentence_threshold: float = 0.1


TUNING = Tuning()


# --- The word list -------------------------------------------------------------------------------

class SentimentWordsError(ValueError):
    """The sentiment word list is missing or malformed."""


_NUMBER = (r"(?:\d+(?: \d+)*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
           r"twelve|fifteen|twenty|thirty|forty|fifty|ninety|a couple of|a few|several|many)")
_GAP = r"(?:\S+ ){0,3}"
_GAP6 = r"(?:\S+ ){0,6}"


def _expand(pattern: str) -> str:
    body = re.sub(r"\((?!\?)", "(?:", pattern)
    return body.replace("{gap}", _GAP).replace("{gap6}", _GAP6).replace("{n}", _NUMBER)


def _bounded(pattern: str) -> str:
    return rf"(?<!\S)(?:{_expand(pattern)})(?!\S)"


_PLAIN_WORD = re.compile(r"[a-z0-9']+")


def _top_level(pattern: str, separator: str) -> list[str]:
    """Split a pattern at `separator` characters outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(pattern):
        depth += (char == "(") - (char == ")")
        if char == separator and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _element_anchors(element: str) -> frozenset[str] | None:
    """Words of which one must be present for `element` to match, or None if unknown."""
    if _PLAIN_WORD.fullmatch(element):
        return frozenset({element})
    if element.startswith("(") and element.endswith(")"):
        firsts = [alt.split(" ")[0] for alt in _top_level(element[1:-1], "|")]
        if all(_PLAIN_WORD.fullmatch(first) for first in firsts):
            return frozenset(firsts)
    return None


def _anchors(pattern: str) -> frozenset[str] | None:
    """Words of which one must appear in any text the pattern matches (None: can't tell)."""
    anchors: set[str] = set()
    for branch in _top_level(pattern, "|"):
        found = next((a for e in _top_level(branch, " ") if (a := _element_anchors(e))), None)
        if found is None:
            return None
        anchors |= found
    return frozenset(anchors)


class PhraseIndex:
    """Phrase patterns, tried only on clauses holding one of their required words.

    One alternation of every phrase is tried at every word of every clause, which costs more
    than all the rest of the scoring; most phrases can be ruled out by a dictionary look-up.
    """

    def __init__(self, patterns: list[str]):
        self.patterns = tuple(re.compile(_bounded(p)) for p in patterns)
        self.always: list[int] = []
        self.by_word: dict[str, list[int]] = {}
        for index, pattern in enumerate(patterns):
            anchors = _anchors(pattern)
            if anchors is None:
                self.always.append(index)
            for word in anchors or ():
                self.by_word.setdefault(word, []).append(index)

    def candidates(self, tokens: list[str]) -> list[int]:
        found = set(self.always)
        for token in tokens:
            found.update(self.by_word.get(token, ()))
        return sorted(found)

    def matches(self, joined: str, tokens: list[str]):
        """(index, first token, last token) of each match, earlier patterns first."""
        for index in self.candidates(tokens):
            for match in self.patterns[index].finditer(joined):
                first = joined.count(" ", 0, match.start())
                yield index, first, first + match.group(0).count(" ")


@dataclass(frozen=True)
class Lexicon:
    version: str
    words: dict[str, float]
    neutral: frozenset[str]
    negators: frozenset[str]
    intensifiers: frozenset[str]
    phrases: PhraseIndex
    phrase_weights: tuple[float, ...]
    phrase_negatable: tuple[bool, ...]
    nothing: re.Pattern[str]
    no_view: re.Pattern[str]
    everything: re.Pattern[str]
    suggestion_start: re.Pattern[str]
    suggestion_weak_start: re.Pattern[str]
    suggestion_inside: PhraseIndex
    suggestion_weight: dict[str | None, float]

    @classmethod
    def load(cls, path: Path | str = DEFAULT_PATH) -> Lexicon:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_dict(data)
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, re.error) as error:
            raise SentimentWordsError(f"{path}: {error}") from error

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lexicon:
        negators = frozenset(data["negators"])
        phrases = list(data["phrases"].items())
        answers, suggestions = data["answers"], data["suggestions"]
        weights = suggestions["weight"]
        return cls(
            version=str(data["version"]),
            words={str(w): float(v) for w, v in data["words"].items()},
            neutral=frozenset(data["neutral"]),
            negators=negators,
            intensifiers=frozenset(data["intensifiers"]),
            phrases=PhraseIndex([p for p, _ in phrases]),
            phrase_weights=tuple(float(w) for _, w in phrases),
            phrase_negatable=tuple(
                not negators.intersection(re.findall(r"[a-z]+", p)) for p, _ in phrases),
            nothing=re.compile("|".join(_expand(p) for p in answers["nothing"])),
            everything=re.compile("|".join(_expand(p) for p in answers["everything"])),
            no_view=re.compile("|".join(_expand(p) for p in answers["no_view"])),
            suggestion_start=_starts(suggestions["starts"]),
            suggestion_weak_start=_starts(suggestions["weak_starts"]),
            suggestion_inside=PhraseIndex(suggestions["contains"]),
            suggestion_weight={
                IMPROVE: weights["improve"], WHY: weights["why"], GOOD: weights["good"],
                None: weights["none"],
            },
        )


def _starts(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("^(?:" + "|".join(_expand(p) for p in patterns) + r")(?!\S)")


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()


# --- Questions and ratings -----------------------------------------------------------------------

_QUESTION_KEYS = {
    "fft_what_could_improve": IMPROVE,
    "fft_what_was_good": GOOD,
    "fft_why": WHY,
}
_IMPROVE_QUESTION = re.compile(
    r"improve|better|differently|change|could we do|should we do|dissatisf|wrong|didn.?t go well",
    re.IGNORECASE)
_GOOD_QUESTION = re.compile(
    r"(was|went|were|did) (good|well)|you liked|what.*\blike\b|best|satisfied with\b(?!.*dissat)",
    re.IGNORECASE)
_BOTH_WAYS_QUESTION = re.compile(r"\bsatisf.*dissatisf|good (or|and) bad", re.IGNORECASE)
_WHY_QUESTION = re.compile(r"\bwhy\b|reason", re.IGNORECASE)


def question_kind(question: str | None) -> str | None:
    """Which kind of follow-up question a comment answers: "improve", "good", "why" or None.

    :param question: a question key of this app (``fft_what_could_improve``) or its text
        ("How could we improve?", "What was good?", "FFT Why?").
    """
    if not question:
        return None
    key = question.strip().lower()
    if key in _QUESTION_KEYS:
        return _QUESTION_KEYS[key]
    if "_" in key and " " not in key:
        return None  # another of this app's question keys
    if _BOTH_WAYS_QUESTION.search(key):
        return None  # "... satisfied and/or dissatisfied with": either way
    if _IMPROVE_QUESTION.search(key):
        return IMPROVE
    if _GOOD_QUESTION.search(key):
        return GOOD
    if _WHY_QUESTION.search(key):
        return WHY
    return None


_RATING_OPTIONS = {"very_good": 1, "good": 2, "neither": 3, "poor": 4, "very_poor": 5}


def rating_value(rating: str | int | None) -> int | None:
    """The FFT rating as 1 (very good) .. 5 (very poor); None for "don't know" or missing.

    Takes this app's option values (``very_good`` .. ``very_poor``, ``dont_know``) or the
    numbers 1-7 of FFT exports, where 6 and 7 mean don't know or not given.
    """
    if rating is None or isinstance(rating, bool):
        return None
    if isinstance(rating, str):
        text = rating.strip().lower()
        if text in _RATING_OPTIONS:
            return _RATING_OPTIONS[text]
        try:
            rating = int(float(text))
        except ValueError:
            return None
    if isinstance(rating, float) and rating.is_integer():
        rating = int(rating)
    return rating if isinstance(rating, int) and 1 <= rating <= 5 else None


# --- Words and clauses ---------------------------------------------------------------------------

_IRREGULAR = {"can't": "can", "cannot": "can", "won't": "will", "shan't": "shall", "ain't": "is"}
_NO_APOSTROPHE = {
    "dont": "do", "didnt": "did", "doesnt": "does", "wasnt": "was", "werent": "were",
    "isnt": "is", "arent": "are", "couldnt": "could", "wouldnt": "would", "shouldnt": "should",
    "cant": "can", "hasnt": "has", "havent": "have", "hadnt": "had", "aint": "is",
}
_MODALS = frozenset({"could", "should", "would", "must", "might", "may"})
_DIGITS_THEN_LETTERS = re.compile(r"(\d+)([a-z]+)")


def _tokens(text: str) -> list[str]:
    """Lower-cased words with negation opened up: "wasn't" -> "was not", "2hrs" -> "2 hrs"."""
    tokens: list[str] = []
    for word in words(text):
        if word.endswith("n't") or word in _IRREGULAR or word in _NO_APOSTROPHE:
            base = _IRREGULAR.get(word) or _NO_APOSTROPHE.get(word) or word[:-3]
            tokens += (base, "not")
        elif word[0].isdigit() and (split := _DIGITS_THEN_LETTERS.fullmatch(word)):
            tokens += split.groups()
        elif word == "of" and tokens and tokens[-1] in _MODALS:
            tokens.append("have")  # "could of done"
        else:
            tokens.append(word)
    return tokens


# Clause boundaries: (kind, pattern). "after": the clause it opens outweighs the one before;
# "concession": the clause it opens counts less; "exception": a reservation, counted a bit more.
_CONTRAST = re.compile(
    r"(?P<after>\b(?<!nothing )(?<!anything )(?:but|however|unfortunately|sadly|yet)\b"
    r"|\b(?:the )?only (?:problem|thing|issue|complaint|criticism|downside|negative)\b)"
    r"|(?P<concession>\b(?:although|though|even though|despite|whereas|while|whilst)\b)"
    r"|(?P<exception>\b(?:except|apart from|other than|aside from)\b)",
    re.IGNORECASE)
_HEAD = re.compile(r"^([^,;:\-–—()]+)[,;:\-–—(]\s*(.*)$", re.DOTALL)


@dataclass
class _Clause:
    text: str
    weight: float
    score: float | None = None  # None when nothing in it carries sentiment
    count: int = 0  # how many words and phrases carry sentiment
    tokens: list[str] = field(init=False)
    joined: str = field(init=False)

    def __post_init__(self):
        self.tokens = _tokens(self.text)
        self.joined = " ".join(self.tokens)


def _clauses(sentence: str, tuning: Tuning) -> list[_Clause]:
    clauses: list[_Clause] = []
    start, kind = 0, None
    for match in _CONTRAST.finditer(sentence):
        clauses.extend(_weighted(sentence[start:match.start()], kind, tuning))
        start, kind = match.end(), match.lastgroup
    clauses.extend(_weighted(sentence[start:], kind, tuning))
    return [clause for clause in clauses if clause.text.strip()]


def _weighted(text: str, kind: str | None, tuning: Tuning) -> list[_Clause]:
    if kind == "after":
        return [_Clause(text, tuning.after_contrast)]
    if kind == "exception":
        return [_Clause(text, tuning.exception)]
    if kind == "concession":
        # "Although we waited, the crew were lovely": the concession ends at the comma.
        head = _HEAD.match(text)
        if head and head.group(2).strip():
            return [_Clause(head.group(1), tuning.concession), _Clause(head.group(2), 1.0)]
        return [_Clause(text, tuning.concession)]
    return [_Clause(text, 1.0)]


def _scope_value(tokens: list[str], index: int, value: float, lexicon: Lexicon) -> float:
    """Apply a negator or an intensifier in the three words before tokens[index]."""
    for back in range(index - 1, max(index - 4, -1), -1):
        token = tokens[back]
        if token in lexicon.negators:
            return -0.5 * value
        if token in lexicon.words:
            break  # another sentiment word: "not rude, kind" negates only "rude"
    if index and tokens[index - 1] in lexicon.intensifiers:
        return max(-1.0, min(1.0, value * 1.3))
    return value


def _phrase_values(joined: str, tokens: list[str], lexicon: Lexicon,
                   covered: list[bool]) -> list[float]:
    values = []
    for index, first, last in lexicon.phrases.matches(joined, tokens):
        if any(covered[first:last + 1]):
            continue  # an earlier phrase of the list has these words
        covered[first:last + 1] = [True] * (last + 1 - first)
        value = lexicon.phrase_weights[index]
        if value == 0:
            continue  # "heart failure": the words say nothing about the service
        if lexicon.phrase_negatable[index]:
            value = _scope_value(tokens, first, value, lexicon)
        values.append(value)
    return values


def _cover(span: tuple[int, int] | None, covered: list[bool]) -> bool:
    """Mark the words of a suggestion as used, unless a phrase has already claimed them."""
    if span is None or covered[span[0]]:
        return False
    covered[span[0]:span[1] + 1] = [True] * (span[1] + 1 - span[0])
    return True


def _start_span(match: re.Match[str] | None) -> tuple[int, int] | None:
    return None if match is None else (0, match.group(0).count(" "))


def _inside_span(joined: str, tokens: list[str], lexicon: Lexicon) -> tuple[int, int] | None:
    return next(((first, last) for _, first, last in
                 lexicon.suggestion_inside.matches(joined, tokens)), None)


def _clause_values(clause: _Clause, kind: str | None, lexicon: Lexicon) -> list[float]:
    """The sentiment values in a clause: phrases, then field words, then TextBlob's words."""
    tokens, joined = clause.tokens, clause.joined
    if not tokens:
        return []
    covered = [False] * len(tokens)
    values = _phrase_values(joined, tokens, lexicon, covered)
    if kind == GOOD:  # to "what was good?" a suggestion is an aside
        return values + _word_values(tokens, covered, lexicon)
    suggestion = (_cover(_start_span(lexicon.suggestion_start.match(joined)), covered)
                  | _cover(_inside_span(joined, tokens, lexicon), covered))
    weak = [False] * len(tokens)
    weak_start = _cover(_start_span(lexicon.suggestion_weak_start.match(joined)), weak)
    word_values = _word_values(tokens, covered, lexicon)
    if suggestion:
        # "More empathy", "be more helpful": the praise word names what was missing.
        word_values = [value for value in word_values if value < 0]
    elif weak_start and not any(v > 0 for v in values + word_values):
        suggestion = True  # "Listen to patients", but not "Call handler was lovely"
    if suggestion:
        values.append(lexicon.suggestion_weight[kind])
    return values + word_values


def _word_values(tokens: list[str], covered: list[bool], lexicon: Lexicon) -> list[float]:
    values, rest = [], []
    for i, token in enumerate(tokens):
        if covered[i] or token in lexicon.neutral:
            rest.append(None)
        elif token in lexicon.words:
            rest.append(None)
            values.append(_scope_value(tokens, i, lexicon.words[token], lexicon))
        else:
            rest.append(token)
    values.extend(assessed[1] for assessed in _textblob_lexicon.assessments(
        ((token, None) for token in rest)))
    return values


def _answer(joined: str, kind: str | None, lexicon: Lexicon,
            tuning: Tuning) -> tuple[float, int] | None:
    """Score and weight of a whole answer "nothing", "everything" or "don't know".

    What "nothing" and "everything" mean depends on the question; "don't know" is neutral and
    outweighs the rating, which it does not explain.
    """
    if lexicon.nothing.fullmatch(joined):
        return dict(tuning.nothing_score)[kind], tuning.answer_words
    if lexicon.everything.fullmatch(joined):
        return dict(tuning.everything_score)[kind], tuning.answer_words
    if lexicon.no_view.fullmatch(joined):
        return 0.0, tuning.text_weight_words
    return None


# --- Sentences -----------------------------------------------------------------------------------

@dataclass
class _Scored:
    text: str
    score: float | None
    count: int
    clear_positive: bool
    clear_negative: bool

    def public(self, tuning: Tuning) -> SentenceSentiment:
        score = round(self.score or 0.0, 3)
        if self.clear_positive and self.clear_negative:
            label = MIXED
        elif score >= tuning.sentence_threshold:
            label = POSITIVE
        elif score <= -tuning.sentence_threshold:
            label = NEGATIVE
        else:
            label = NEUTRAL
        return SentenceSentiment(self.text, score, label)


def _score_clauses(clauses: list[_Clause], kind: str | None, lexicon: Lexicon,
                   tuning: Tuning) -> None:
    for clause in clauses:
        answer = _answer(clause.joined, kind, lexicon, tuning)
        if answer is not None:
            clause.score, clause.count = answer
            continue
        values = _clause_values(clause, kind, lexicon)
        if values:
            clause.score, clause.count = sum(values) / len(values), len(values)


def _split_answer(sentence: str, kind: str | None, lexicon: Lexicon,
                  tuning: Tuning) -> list[_Clause]:
    """Clauses of a sentence, with a leading "Nothing," kept apart: "Nothing, was fab!"."""
    head = _HEAD.match(sentence)
    if head:
        first = _Clause(head.group(1), 1.0)
        if _answer(first.joined, kind, lexicon, tuning) is not None:
            return [first, *_clauses(head.group(2), tuning)]
    return _clauses(sentence, tuning)


def _score_one(sentence: str, kind: str | None, lexicon: Lexicon, tuning: Tuning) -> _Scored:
    clauses = _split_answer(sentence, kind, lexicon, tuning)
    _score_clauses(clauses, kind, lexicon, tuning)
    scored = [c for c in clauses if c.score is not None]
    if not scored:
        return _Scored(sentence, None, 0, False, False)
    total = sum(c.weight for c in scored)
    score = sum(c.score * c.weight for c in scored) / total
    return _Scored(
        sentence, score, sum(c.count for c in scored),
        clear_positive=any(c.score >= tuning.clear for c in scored),
        clear_negative=any(c.score <= -tuning.clear for c in scored),
    )


def score_sentence(sentence: str) -> SentenceSentiment:
    """Score one sentence on its own, knowing nothing of the question it answers."""
    return _score_one(sentence, None, default_lexicon(), TUNING).public(TUNING)


# --- Whole answers -------------------------------------------------------------------------------

def _level(score: float, tuning: Tuning) -> int:
    if score >= tuning.level_1:
        return 1
    if score >= tuning.level_2:
        return 2
    if score > tuning.level_4:
        return 3
    if score > tuning.level_5:
        return 4
    return 5


def _label_for_level(level: int, mixed: bool) -> str:
    if level <= 2:
        return POSITIVE
    if level >= 4:
        return NEGATIVE
    return MIXED if mixed else NEUTRAL


def _text_score(scored: list[_Scored], kind: str | None, tuning: Tuning) -> tuple[float, int]:
    with_evidence = [s for s in scored if s.score is not None]
    if not with_evidence:
        return dict(tuning.question_prior)[kind], 0
    score = sum(s.score for s in with_evidence) / len(with_evidence)
    return score, sum(s.count for s in with_evidence)


def _combine(text_score: float, count: int, kind: str | None, rating: int | None,
             tuning: Tuning) -> float:
    if rating is None:
        return text_score
    text_weight = tuning.text_weight + tuning.text_weight_per_word * min(
        count, tuning.text_weight_words)
    prior = tuning.rating_prior[rating - 1]
    rating_weight = dict(tuning.rating_weight)[kind]
    return (text_score * text_weight + prior * rating_weight) / (text_weight + rating_weight)


@dataclass(frozen=True)
class _Assessment:
    """What the text says, before the rating is taken into account."""

    kind: str | None
    sentences: tuple[_Scored, ...]
    text_score: float
    count: int
    both: bool  # clearly positive and clearly negative parts


def _assess(text: str, kind: str | None, tuning: Tuning, lexicon: Lexicon) -> _Assessment:
    scored = tuple(_score_one(s, kind, lexicon, tuning) for s in split_sentences(text or ""))
    text_score, count = _text_score(list(scored), kind, tuning)
    both = any(s.clear_positive for s in scored) and any(s.clear_negative for s in scored)
    return _Assessment(kind, scored, text_score, count, both)


def _result(assessment: _Assessment, rating: int | None, tuning: Tuning) -> Sentiment:
    score = _combine(assessment.text_score, assessment.count, assessment.kind, rating, tuning)
    score = max(-1.0, min(1.0, score))
    band = tuning.mixed_band if rating is not None else tuning.mixed_band_unrated
    mixed = assessment.both and abs(score) < band
    level = 3 if mixed else _level(score, tuning)
    return Sentiment(
        label=_label_for_level(level, mixed),
        score=round(score, 3),
        level=level,
        sentences=tuple(s.public(tuning) for s in assessment.sentences),
        source=BUILT_IN,
    )


def score_text(
    text: str,
    *,
    question: str | None = None,
    rating: str | int | None = None,
    classifier: TrainedClassifier | None = None,
) -> Sentiment:
    """The sentiment of one free-text answer.

    :param question: the question it answers, a key of this app or the question's text.
    :param rating: the FFT rating given with it, used as strong but not overriding evidence.
    :param classifier: a model trained on the trust's own labelled comments; when given, it
        decides the level and score and the sentences keep their built-in scores.
    """
    kind, value = question_kind(question), rating_value(rating)
    assessment = _assess(text, kind, TUNING, default_lexicon())
    built_in = _result(assessment, value, TUNING)
    if classifier is None:
        return built_in
    # The model weighs the rating itself, so it is given the text's own built-in reading.
    text_only = built_in if value is None else _result(assessment, None, TUNING)
    level, score = classifier.predict(text, question, rating, text_only=text_only)
    return Sentiment(
        label=_label_for_level(level, assessment.both and level == 3),
        score=round(score, 3),
        level=level,
        sentences=built_in.sentences,
        source=TRAINED,
    )


def three_class(label_or_level: str | int) -> str:
    """positive | neutral | negative, with mixed counted as neutral (and levels 1-2, 3, 4-5)."""
    if isinstance(label_or_level, int):
        return _label_for_level(label_or_level, False)
    return NEUTRAL if label_or_level == MIXED else label_or_level

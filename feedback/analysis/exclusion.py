"""Score one respondent's risk of digital exclusion from their own answers, with the reasons.

A per-person indicator built from self-report, not a diagnosis; the weights live in
data/exclusion_weights.toml and docs/exclusion-risk.md explains them.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

LEVELS = ("low", "medium", "high")
UNKNOWN = "unknown"
DOMAINS = ("access", "accessibility", "skills", "trust", "language")
# Channel, help and higher-risk groups: points that are not a domain and not evidence.
SIGNALS = "signals"
CHANNELS = ("web", "sms", "paper", "assisted")
# A volunteer keyed the answers in with the person, so they were helped by definition.
ASSISTED = "assisted"
FALLBACK_LOCALE = "en"
DEFAULT_PATH = Path(__file__).parent / "data" / "exclusion_weights.toml"

Answer = str | Sequence[str] | None


class ExclusionWeightsError(ValueError):
    """The exclusion weights file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Rule:
    """Points for one question when every condition given holds for the chosen values."""

    code: str
    domain: str
    question: str
    points: float
    any_of: frozenset[str] = frozenset()
    none_of: frozenset[str] = frozenset()
    not_all_of: frozenset[str] = frozenset()

    def matches(self, chosen: frozenset[str]) -> bool:
        if self.any_of and not chosen & self.any_of:
            return False
        if self.none_of and chosen & self.none_of:
            return False
        return not (self.not_all_of and self.not_all_of <= chosen)


@dataclass(frozen=True)
class Domain:
    name: str
    cap: float
    questions: tuple[str, ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class ChannelWeight:
    points: float
    code: str | None


@dataclass(frozen=True)
class HelpWeight:
    question: str
    not_helped: frozenset[str]
    points: float
    code: str


@dataclass(frozen=True)
class Weights:
    """The validated contents of the weights file."""

    version: str
    locales: tuple[str, ...]
    minimum_answers: int
    minimum_domains: int
    ignored_values: frozenset[str]
    medium: float
    high: float
    domains: Mapping[str, Domain]
    signal_cap: float
    channels: Mapping[str, ChannelWeight]
    help: HelpWeight
    signal_rules: tuple[Rule, ...]
    texts: Mapping[str, Mapping[str, str]]

    @property
    def codes(self) -> tuple[str, ...]:
        """Every reason code, in file order: the domains, then the signals."""
        codes = [rule.code for name in DOMAINS for rule in self.domains[name].rules]
        codes += [c.code for c in self.channels.values() if c.code]
        codes.append(self.help.code)
        codes += [rule.code for rule in self.signal_rules]
        return tuple(codes)


@dataclass(frozen=True)
class Reason:
    """Why a person's score went up: a stable code, its domain (or "signals") and its points."""

    code: str
    domain: str
    points: float

    def text(self, locale: str) -> str:
        """The display text from the shipped weights; use reason_text(weights=) for others."""
        return reason_text(self.code, locale)


@dataclass(frozen=True)
class ExclusionRisk:
    """A level with the score behind it; reasons are sorted by points, largest first.

    `domain_scores` are capped per domain; `signal_score` is the capped total of the signals;
    `evidence` is how many inclusion questions had a usable answer; `version` names the weights.
    """

    level: str
    score: float
    domain_scores: Mapping[str, float]
    reasons: tuple[Reason, ...]
    signal_score: float = 0.0
    evidence: int = 0
    version: str = ""


# --- Loading and validating the weights file ------------------------------------------------


def _fail(where: str, problem: str) -> ExclusionWeightsError:
    return ExclusionWeightsError(f"`{where}` {problem}")


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise _fail(_join(where, key), "must be a table")
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _only_keys(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    # A misspelt key ("any_off") would otherwise be ignored and silently change the scores.
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise _fail(where or "(top level)", f"has unknown keys: {', '.join(unknown)}")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "must be a non-empty string")
    return value


def _strings(value: Any, where: str, *, required: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list of strings")
    items = tuple(_string(item, f"{where}[{index}]") for index, item in enumerate(value))
    if required and not items:
        raise _fail(where, "must not be empty")
    if len(set(items)) != len(items):
        raise _fail(where, "has duplicates")
    return items


def _number(value: Any, where: str, *, positive: bool = False) -> float:
    # bool is an int subclass; `points = true` is a mistake, not 1 point.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, "must be a number")
    if value < 0 or (positive and value == 0):
        raise _fail(where, "must be greater than 0" if positive else "must not be negative")
    return float(value)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(where, "must be a whole number of at least 1")
    return value


def _code(value: Any, where: str, prefix: str) -> str:
    code = _string(value, where)
    if not code.startswith(f"{prefix}."):
        raise _fail(where, f"must start with '{prefix}.' (got {code!r})")
    return code


_RULE_KEYS = ("code", "question", "points", "any_of", "none_of", "not_all_of")
_CONDITIONS = ("any_of", "none_of", "not_all_of")


def _rule(data: Any, where: str, domain: str, questions: tuple[str, ...] | None) -> Rule:
    if not isinstance(data, Mapping):
        raise _fail(where, "must be a table")
    _only_keys(data, _RULE_KEYS, where)
    question = _string(data.get("question"), f"{where}.question")
    if questions is not None and question not in questions:
        raise _fail(f"{where}.question", f"{question!r} is not in this domain's `questions`")
    if not any(key in data for key in _CONDITIONS):
        raise _fail(where, f"needs at least one of {', '.join(_CONDITIONS)}")
    conditions = {
        key: frozenset(_strings(data[key], f"{where}.{key}")) for key in _CONDITIONS if key in data
    }
    return Rule(
        code=_code(data.get("code"), f"{where}.code", domain),
        domain=domain,
        question=question,
        points=_number(data.get("points"), f"{where}.points", positive=True),
        **conditions,
    )


def _rules(
    data: Mapping[str, Any], where: str, domain: str, questions: tuple[str, ...] | None = None
) -> tuple[Rule, ...]:
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _fail(_join(where, "rules"), "must be a non-empty array of tables")
    return tuple(
        _rule(rule, f"{where}.rules[{i}]", domain, questions) for i, rule in enumerate(rules)
    )


def _domains(data: Mapping[str, Any]) -> dict[str, Domain]:
    table = _table(data, "domains", "")
    if set(table) != set(DOMAINS):
        raise _fail("domains", f"must be exactly {', '.join(DOMAINS)}")
    domains: dict[str, Domain] = {}
    seen: dict[str, str] = {}
    for name in DOMAINS:
        where = f"domains.{name}"
        section = _table(table, name, "domains")
        _only_keys(section, ("cap", "questions", "rules"), where)
        questions = _strings(section.get("questions"), f"{where}.questions")
        for question in questions:
            if question in seen:
                raise _fail(f"{where}.questions", f"repeats {question!r} from {seen[question]}")
            seen[question] = where
        cap = _number(section.get("cap"), f"{where}.cap", positive=True)
        domains[name] = Domain(name, cap, questions, _rules(section, where, name, questions))
    return domains


def _channels(signals: Mapping[str, Any]) -> dict[str, ChannelWeight]:
    table = _table(signals, "channels", SIGNALS)
    if set(table) != set(CHANNELS):
        raise _fail("signals.channels", f"must be exactly {', '.join(CHANNELS)}")
    channels: dict[str, ChannelWeight] = {}
    for name in CHANNELS:
        where = f"signals.channels.{name}"
        section = _table(table, name, "signals.channels")
        _only_keys(section, ("points", "code"), where)
        points = _number(section.get("points"), f"{where}.points")
        code = section.get("code")
        if points > 0 or code is not None:
            code = _code(code, f"{where}.code", SIGNALS)
        channels[name] = ChannelWeight(points, code)
    return channels


def _help(signals: Mapping[str, Any]) -> HelpWeight:
    where = "signals.help"
    section = _table(signals, "help", SIGNALS)
    _only_keys(section, ("question", "not_helped", "points", "code"), where)
    return HelpWeight(
        question=_string(section.get("question"), f"{where}.question"),
        not_helped=frozenset(_strings(section.get("not_helped"), f"{where}.not_helped")),
        points=_number(section.get("points"), f"{where}.points"),
        code=_code(section.get("code"), f"{where}.code", SIGNALS),
    )


def _texts(data: Mapping[str, Any], codes: tuple[str, ...], locales: tuple[str, ...]):
    table = _table(data, "reasons", "")
    missing = [code for code in codes if code not in table]
    if missing:
        raise _fail("reasons", f"has no text for {', '.join(missing)}")
    unused = sorted(set(table) - set(codes))
    if unused:
        raise _fail("reasons", f"has texts for codes no rule gives: {', '.join(unused)}")
    texts: dict[str, Mapping[str, str]] = {}
    for code in codes:
        where = f'reasons."{code}"'
        section = table[code]
        if not isinstance(section, Mapping):
            raise _fail(where, "must be a table")
        _only_keys(section, locales, where)
        texts[code] = MappingProxyType(
            {locale: _string(section.get(locale), f"{where}.{locale}") for locale in locales}
        )
    return MappingProxyType(texts)


def _check_unique(codes: tuple[str, ...]) -> None:
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ExclusionWeightsError(f"reason codes must be unique; repeated: {repeated}")


def _thresholds(data: Mapping[str, Any]) -> tuple[float, float]:
    section = _table(data, "thresholds", "")
    _only_keys(section, ("medium", "high"), "thresholds")
    medium = _number(section.get("medium"), "thresholds.medium", positive=True)
    high = _number(section.get("high"), "thresholds.high", positive=True)
    if high <= medium:
        raise _fail("thresholds.high", f"({high}) must be above thresholds.medium ({medium})")
    return medium, high


def _evidence(data: Mapping[str, Any]) -> tuple[int, int, frozenset[str]]:
    section = _table(data, "evidence", "")
    _only_keys(section, ("minimum_answers", "minimum_domains", "ignored_values"), "evidence")
    answers = _count(section.get("minimum_answers"), "evidence.minimum_answers")
    domains = _count(section.get("minimum_domains"), "evidence.minimum_domains")
    if domains > len(DOMAINS) or domains > answers:
        raise _fail("evidence.minimum_domains", "cannot exceed the domains or minimum_answers")
    ignored = frozenset(_strings(section.get("ignored_values"), "evidence.ignored_values"))
    return answers, domains, ignored


def weights_from_dict(data: Mapping[str, Any]) -> Weights:
    """Validate already-parsed weights.

    :raise ExclusionWeightsError: naming the key that is wrong and why.
    """
    _only_keys(
        data,
        ("version", "locales", "evidence", "thresholds", "domains", "signals", "reasons"),
        "",
    )
    version = _string(data.get("version"), "version")
    locales = _strings(data.get("locales"), "locales")
    if FALLBACK_LOCALE not in locales:
        raise _fail("locales", f"must include {FALLBACK_LOCALE!r}, the fallback")
    minimum_answers, minimum_domains, ignored = _evidence(data)
    medium, high = _thresholds(data)
    domains = _domains(data)
    signals = _table(data, SIGNALS, "")
    _only_keys(signals, ("cap", "channels", "help", "rules"), SIGNALS)
    signal_cap = _number(signals.get("cap"), "signals.cap")
    if signal_cap >= high:
        # The promise the model makes: channel, help and group alone never make someone high.
        raise _fail("signals.cap", f"({signal_cap}) must be below thresholds.high ({high})")
    weights = Weights(
        version=version,
        locales=locales,
        minimum_answers=minimum_answers,
        minimum_domains=minimum_domains,
        ignored_values=ignored,
        medium=medium,
        high=high,
        domains=MappingProxyType(domains),
        signal_cap=signal_cap,
        channels=MappingProxyType(_channels(signals)),
        help=_help(signals),
        signal_rules=_rules(signals, SIGNALS, SIGNALS),
        texts=MappingProxyType({}),
    )
    _check_unique(weights.codes)
    texts = _texts(data, weights.codes, locales)
    return replace(weights, texts=texts)


def load_weights(path: Path | str = DEFAULT_PATH) -> Weights:
    """Read and validate a weights file.

    :raise ExclusionWeightsError: if the file cannot be read or is invalid; the message starts
        with the file's path and names the key at fault.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ExclusionWeightsError(f"{path}: cannot read: {error}") from error
    try:
        return weights_from_dict(data)
    except ExclusionWeightsError as error:
        raise ExclusionWeightsError(f"{path}: {error}") from None


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    """The reviewed weights shipped with the service, loaded once."""
    return load_weights(DEFAULT_PATH)


def reason_text(code: str, locale: str, *, weights: Weights | None = None) -> str:
    """The display text for a reason code in a locale ("cy", "pl-PL", "ur_PK"), else English.

    :raise KeyError: if no weights file defines the code.
    """
    weights = weights or default_weights()
    try:
        texts = weights.texts[code]
    except KeyError:
        raise KeyError(f"unknown exclusion reason code {code!r}") from None
    primary = (locale or "").strip().lower().replace("_", "-").split("-")[0]
    return texts.get(primary) or texts[FALLBACK_LOCALE]


# --- Scoring -------------------------------------------------------------------------------


def _chosen(question: str, value: Answer, ignored: frozenset[str]) -> frozenset[str]:
    """The values a person chose, without those that say nothing (prefer not to say)."""
    if value is None:
        return frozenset()
    items = (value,) if isinstance(value, str) else value
    chosen = set()
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"answer to {question!r} must be strings, not {type(item).__name__}")
        item = item.strip()
        if item and item not in ignored:
            chosen.add(item)
    return frozenset(chosen)


def _fired(rules: Iterable[Rule], chosen: Mapping[str, frozenset[str]]) -> list[Reason]:
    return [
        Reason(rule.code, rule.domain, rule.points)
        for rule in rules
        if chosen.get(rule.question) and rule.matches(chosen[rule.question])
    ]


def _was_helped(
    chosen: Mapping[str, frozenset[str]], channel: str, helped: bool | None, weights: Weights
) -> bool:
    if channel == ASSISTED:
        return True
    if helped is not None:
        return helped
    answer = chosen.get(weights.help.question)
    return bool(answer) and not answer <= weights.help.not_helped


def _signals(
    chosen: Mapping[str, frozenset[str]], channel: str, helped: bool | None, weights: Weights
) -> list[Reason]:
    reasons = []
    by_channel = weights.channels[channel]
    if by_channel.code and by_channel.points > 0:
        reasons.append(Reason(by_channel.code, SIGNALS, by_channel.points))
    if weights.help.points > 0 and _was_helped(chosen, channel, helped, weights):
        reasons.append(Reason(weights.help.code, SIGNALS, weights.help.points))
    return reasons + _fired(weights.signal_rules, chosen)


def _level(score: float, enough_evidence: bool, weights: Weights) -> str:
    if not enough_evidence:
        return UNKNOWN
    if score >= weights.high:
        return "high"
    return "medium" if score >= weights.medium else "low"


def _capped(reasons: Iterable[Reason], cap: float) -> float:
    # Rounded so that points like 0.1 + 0.2 compare with a threshold as a reader expects.
    return float(round(min(cap, sum(reason.points for reason in reasons)), 6))


def assess(
    answers: Mapping[str, Answer],
    *,
    channel: str,
    helped: bool | None = None,
    weights: Weights | None = None,
) -> ExclusionRisk:
    """Score one respondent from their answers (question key -> value, or values for multiple
    choice), the channel they used and whether someone helped.

    `helped=None` reads the who_helped answer; an assisted channel always counts as helped.
    Unanswered questions, "prefer_not_to_say" and "dont_know" carry no points and are not
    evidence; with too little evidence the level is "unknown", whatever the score.

    :raise ValueError: if the channel is not one the weights know.
    """
    weights = weights or default_weights()
    if channel not in weights.channels:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    chosen = {q: _chosen(q, value, weights.ignored_values) for q, value in answers.items()}
    reasons: list[Reason] = []
    domain_scores: dict[str, float] = {}
    evidence = domains_answered = 0
    for name in DOMAINS:
        domain = weights.domains[name]
        answered = sum(1 for question in domain.questions if chosen.get(question))
        evidence += answered
        domains_answered += answered > 0
        fired = _fired(domain.rules, chosen)
        reasons += fired
        domain_scores[name] = _capped(fired, domain.cap)
    signals = _signals(chosen, channel, helped, weights)
    reasons += signals
    signal_score = _capped(signals, weights.signal_cap)
    score = round(sum(domain_scores.values()) + signal_score, 6)
    enough = evidence >= weights.minimum_answers and domains_answered >= weights.minimum_domains
    order = {code: index for index, code in enumerate(weights.codes)}
    reasons.sort(key=lambda reason: (-reason.points, order[reason.code]))
    return ExclusionRisk(
        level=_level(score, enough, weights),
        score=score,
        domain_scores=MappingProxyType(domain_scores),
        reasons=tuple(reasons),
        signal_score=signal_score,
        evidence=evidence,
        version=weights.version,
    )

"""How fast analyse() runs on real comments, beside TextBlob's polarity alone in the same run.

Reads the comments from the labelled FFT file (`dev` rows only; it is never copied into the
project) or, with --synthetic, from generated comments. Each analyser runs over every comment
three times, alternating so that neither gets a warmer machine; the median rate counts.
analyse() does all of it: language check, sentiment, themes, redaction and safeguarding.
Goal: analyse() at least half TextBlob's rate.

Run: .venv/bin/python bench/analysis.py [--csv FILE] [--synthetic N]   (always exits 0)
"""

import argparse
import csv
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textblob import TextBlob  # noqa: E402

from feedback.analysis import analyse  # noqa: E402

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "fft-sentiment" / \
    "fft_comments.csv"
ROUNDS = 3
GOAL = 0.5

_PIECES = [
    "The nurse was lovely and kind.", "I waited two hours for my video appointment.",
    "Couldn't log in to the app, nobody called back.", "Easy to use and quick.",
    "The video kept freezing but the doctor was helpful.", "I would rather see someone face "
    "to face.", "My data ran out half way through the call.", "Nothing, it was all good.",
    "Reception staff were rude on the phone.", "Please send letters in large print.",
]


def _comments(path: Path | None, synthetic: int) -> list[tuple[str, str | None, str | None]]:
    if synthetic or path is None or not path.exists():
        rng = random.Random(2026)
        count = synthetic or 5000
        return [(" ".join(rng.sample(_PIECES, rng.randint(1, 4))), None, None)
                for _ in range(count)]
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["text"], row.get("fft_question") or None, row.get("fft_score") or None)
                for row in csv.DictReader(handle) if row.get("split") == "dev"]


def _textblob(comments) -> None:
    for text, _question, _rating in comments:
        TextBlob(text).sentiment.polarity  # noqa: B018


def _analyse(comments) -> None:
    for text, question, rating in comments:
        analyse(text, question=question, rating=rating, language="en")


def _rate(func, comments) -> float:
    started = time.perf_counter()
    func(comments)
    return len(comments) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--synthetic", type=int, default=0,
                        help="use this many generated comments instead of the file")
    args = parser.parse_args()
    comments = _comments(args.csv, args.synthetic)
    source = "synthetic" if args.synthetic or not args.csv.exists() else f"{args.csv} (dev rows)"
    words = statistics.mean(len(text.split()) for text, _q, _r in comments)
    print(f"{len(comments)} comments from {source}, {words:.1f} words on average")

    _analyse(comments[:50])  # load word lists and compile patterns before timing
    _textblob(comments[:50])
    rates: dict[str, list[float]] = {"TextBlob polarity alone": [], "analyse()": []}
    for _ in range(ROUNDS):
        rates["TextBlob polarity alone"].append(_rate(_textblob, comments))
        rates["analyse()"].append(_rate(_analyse, comments))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"{name:>24}: {value:8.0f} comments/s (rounds: "
              + ", ".join(f"{v:.0f}" for v in rates[name]) + ")")
    ratio = medians["analyse()"] / medians["TextBlob polarity alone"]
    verdict = "PASS" if ratio >= GOAL else "FAIL"
    print(f"{verdict}: analyse() runs at {ratio:.2f}x TextBlob's rate (goal: at least {GOAL})")


if __name__ == "__main__":
    main()

"""Loading the question bank, kept as data in question_bank.toml, into the database."""

import tomllib
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import Question, QuestionKind

BANK_FILE = Path(__file__).resolve().parent.parent / "question_bank.toml"
_CONTENT_FIELDS = ("kind", "module", "domain", "text", "hint", "options", "max_length")


def read_bank(path: Path = BANK_FILE) -> list[dict]:
    with path.open("rb") as f:
        data = tomllib.load(f)
    questions = []
    for key, entry in data["questions"].items():
        if entry["kind"] not in QuestionKind.__members__.values():
            raise ValueError(f"question {key}: unknown kind {entry['kind']!r}")
        questions.append(
            {
                "key": key,
                "kind": entry["kind"],
                "module": entry["module"],
                "domain": entry.get("domain"),
                "text": entry["text"],
                "hint": entry.get("hint", {}),
                "options": [
                    {
                        "value": o["value"],
                        "label": o["label"],
                        "exclusive": o.get("exclusive", False),
                    }
                    for o in entry.get("options", [])
                ],
                "max_length": entry.get("max_length"),
            }
        )
    return questions


def sync_question_bank(path: Path = BANK_FILE) -> dict[str, int]:
    """Add new questions, and a new revision of any whose content changed. Idempotent."""
    counts = {"added": 0, "revised": 0, "unchanged": 0}
    for entry in read_bank(path):
        latest = db.session.scalar(
            select(Question).where(Question.key == entry["key"]).order_by(Question.revision.desc())
        )
        if latest is not None and all(
            getattr(latest, f) == entry[f] for f in _CONTENT_FIELDS
        ):
            counts["unchanged"] += 1
            continue
        revision = 1 if latest is None else latest.revision + 1
        db.session.add(Question(revision=revision, **entry))
        counts["added" if latest is None else "revised"] += 1
    db.session.commit()
    return counts

"""`flask analysis evaluate` and `flask analysis train` on small made-up labelled CSVs."""

import csv

import pytest

from feedback.analysis.evaluation import COLUMNS
from feedback.analysis.training import load_classifier

_COMMENTS = {
    1: ["The crew were brilliant and so kind", "Excellent care, thank you all"],
    2: ["The driver was fine and on time", "Helpful call handler"],
    3: ["I was taken to the clinic", "I phoned in the morning"],
    4: ["The wait was long", "Nobody called me back"],
    5: ["Appalling, rude and useless", "Disgusting service, never again"],
}


def labelled_csv(path, splits=("dev", "test"), copies=3, columns=COLUMNS):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for split in splits:
            for level, texts in _COMMENTS.items():
                for n in range(copies):
                    for i, text in enumerate(texts):
                        writer.writerow({
                            "comment_id": f"{split}-{level}-{i}-{n}", "trust": "T",
                            "service_type_1": "", "fft_question": "" if n else "FFT Why?",
                            "fft_score": str(level) if n else "", "text": f"{text}{'!' * n}",
                            "sentiment": str(level), "themes": "", "split": split,
                        })
    return path


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def test_evaluate_prints_a_line_per_analyser_and_confusion_matrices(cli, tmp_path):
    path = labelled_csv(tmp_path / "labelled.csv")
    result = cli.invoke(args=["analysis", "evaluate", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name, five in [("built-in", True), ("textblob", False), ("baseline", True),
                       ("trained", True)]:
        line = next(x for x in lines if x.startswith(f"{name}: "))
        assert "3-class macro-F1 0." in line or "3-class macro-F1 1." in line
        assert ", accuracy " in line
        assert ("5-class macro-F1" in line) == five
    assert "human \\ predicted" in result.output
    assert "trained, 5 levels:" in result.output


def test_evaluate_writes_predictions_of_the_chosen_analyser(cli, tmp_path):
    path = labelled_csv(tmp_path / "labelled.csv", splits=("test",))
    out = tmp_path / "predictions.csv"
    result = cli.invoke(args=["analysis", "evaluate", "--csv", str(path), "--predictions",
                              str(out), "--analyser", "textblob"])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["comment_id", "predicted"]
    assert len(rows) == 31
    assert rows[1][0] == "test-1-0-0"
    assert {r[1] for r in rows[1:]} <= {"positive", "neutral", "negative"}


def test_evaluate_notes_that_fitted_analysers_need_dev_rows(cli, tmp_path):
    path = labelled_csv(tmp_path / "labelled.csv", splits=("test",))
    result = cli.invoke(args=["analysis", "evaluate", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "No dev rows: skipped baseline, trained" in result.output
    assert "baseline:" not in result.output
    assert "built-in: 3-class macro-F1" in result.output


def test_evaluate_refuses_predictions_from_a_skipped_analyser(cli, tmp_path):
    path = labelled_csv(tmp_path / "labelled.csv", splits=("test",))
    result = cli.invoke(args=["analysis", "evaluate", "--csv", str(path), "--predictions",
                              str(tmp_path / "p.csv"), "--analyser", "trained"])
    assert result.exit_code == 2
    assert "no predictions from trained" in result.output


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.csv", "does not exist"),
    (lambda p: labelled_csv(p / "c.csv", columns=("comment_id", "text", "split")),
     "no column(s): fft_question, fft_score, sentiment"),
    (lambda p: _with_bad_label(labelled_csv(p / "c.csv")), "sentiment must be 1-5"),
    (lambda p: labelled_csv(p / "c.csv", splits=("dev",)), "no rows in split 'test'"),
])
def test_evaluate_reports_bad_input_without_a_traceback(cli, tmp_path, make, message):
    result = cli.invoke(args=["analysis", "evaluate", "--csv", str(make(tmp_path))])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _with_bad_label(path):
    path.write_text(path.read_text().replace(",3,,test", ",neutral,,test", 1))
    return path


def test_train_saves_a_model_where_asked(cli, tmp_path):
    path = labelled_csv(tmp_path / "labelled.csv")
    output = tmp_path / "models" / "mine.skops"
    result = cli.invoke(args=["analysis", "train", "--csv", str(path), "--output", str(output)])
    assert result.exit_code == 0, result.output
    classifier = load_classifier(output)
    assert classifier is not None
    assert classifier.rows == 60  # every row, whatever its split
    assert f"Model {classifier.version}" in result.output
    assert "cross-validated 5-class macro-F1" in result.output
    assert str(output) in result.output


def test_train_saves_to_the_configured_path_by_default(app, cli, tmp_path, monkeypatch):
    target = tmp_path / "configured.skops"
    monkeypatch.setitem(app.config, "SENTIMENT_MODEL_PATH", str(target))
    path = labelled_csv(tmp_path / "labelled.csv", splits=("test",))
    result = cli.invoke(args=["analysis", "train", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert load_classifier(target) is not None


@pytest.mark.parametrize("copies, only_level, message", [
    (1, None, "at least 20 are needed"),
    (3, 2, "same label"),
])
def test_train_refuses_too_few_rows_or_one_label(cli, tmp_path, copies, only_level, message):
    path = labelled_csv(tmp_path / "labelled.csv", splits=("dev",), copies=copies)
    if only_level:
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({**row, "sentiment": str(only_level)} for row in rows)
    output = tmp_path / "never.skops"
    result = cli.invoke(args=["analysis", "train", "--csv", str(path), "--output", str(output)])
    assert result.exit_code != 0
    assert message in result.output
    assert not output.exists()

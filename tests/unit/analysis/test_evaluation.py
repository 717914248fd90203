"""Tests for evaluating sentiment analysers on a labelled CSV: reading, metrics, predictions."""

import csv
import io

import numpy as np
import pytest

from feedback.analysis.evaluation import (
    COLUMNS,
    DataError,
    LabelledRow,
    Prediction,
    evaluate,
    format_confusion,
    read_csv,
    read_rows,
    score,
    write_predictions,
)

_COMMENTS = {
    1: ["The crew were brilliant and so kind", "Excellent care, thank you all"],
    2: ["The driver was fine and on time", "Helpful call handler"],
    3: ["I was taken to the clinic", "I phoned in the morning"],
    4: ["The wait was long", "Nobody called me back"],
    5: ["Appalling, rude and useless", "Disgusting service, never again"],
}


def write_csv(path, rows, columns=COLUMNS):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def labelled_rows(splits=("dev", "test"), copies=3):
    rows = []
    for split in splits:
        for level, texts in _COMMENTS.items():
            for n in range(copies):
                for i, text in enumerate(texts):
                    rows.append({
                        "comment_id": f"{split}-{level}-{i}-{n}", "trust": "T",
                        "service_type_1": "", "fft_question": "FFT Why?" if n else "",
                        "fft_score": "" if n == 2 else str(min(level, 5)),
                        "text": text + " " * n, "sentiment": str(level), "themes": "",
                        "split": split,
                    })
    return rows


def test_read_csv_reads_rows_with_empty_question_and_rating(tmp_path):
    path = write_csv(tmp_path / "labelled.csv", labelled_rows(("test",), copies=3))
    rows = read_csv(path)
    assert len(rows) == 30
    first = rows[0]
    assert first == LabelledRow("test-1-0-0", "The crew were brilliant and so kind", None, "1",
                                1, "test")
    assert any(r.rating is None for r in rows)


def test_read_rows_names_the_missing_columns():
    with pytest.raises(DataError, match="sentiment, split"):
        read_rows(io.StringIO("comment_id,fft_question,fft_score,text\n1,,,hello\n"))


def test_read_rows_does_not_need_a_split_for_training():
    rows = read_rows(io.StringIO("comment_id,fft_question,fft_score,text,sentiment\n"
                                 "a,,,fine,2\n"), need_split=False)
    assert rows[0].level == 2 and rows[0].split == ""


@pytest.mark.parametrize("label", ["0", "6", "positive", "", "2.5"])
def test_read_rows_refuses_a_bad_label_with_its_line(label):
    text = (",".join(COLUMNS) + "\n" + f"1,T,,,,fine,1,,test\n2,T,,,,bad,{label},,test\n")
    with pytest.raises(DataError, match="line 3"):
        read_rows(io.StringIO(text))


def test_read_csv_reports_an_unreadable_file(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(",".join(COLUMNS).encode() + b"\n1,T,,,,caf\xe9,1,,test\n")
    with pytest.raises(DataError, match="cannot read"):
        read_csv(path)


def test_score_computes_macro_f1_accuracy_and_confusion():
    truth = [1, 2, 3, 4, 5, 1]
    predictions = [Prediction("positive", 1), Prediction("positive", 1),
                   Prediction("mixed", 3), Prediction("negative", 4),
                   Prediction("negative", 4), Prediction("neutral", 3)]
    scores = score("x", truth, predictions)
    # Three classes: positive 2 of 3 right, neutral 1 of 1 (mixed counts as neutral), negative 2
    # of 2. F1: positive 0.8, neutral 0.667, negative 1.0.
    assert scores.accuracy == pytest.approx(5 / 6)
    assert scores.macro_f1 == pytest.approx((0.8 + 2 / 3 + 1.0) / 3)
    assert scores.confusion.tolist() == [[2, 1, 0], [0, 1, 0], [0, 0, 2]]
    assert scores.macro_f1_5 is not None
    assert scores.confusion_5.sum() == 6
    assert scores.line() == (f"x: 3-class macro-F1 {scores.macro_f1:.3f}, accuracy 0.833, "
                             f"5-class macro-F1 {scores.macro_f1_5:.3f}")


def test_score_without_levels_has_no_five_class_figure():
    scores = score("textblob", [1, 5], [Prediction("positive", None),
                                        Prediction("negative", None)])
    assert scores.macro_f1 == pytest.approx(2 / 3)  # neutral has no rows and no predictions
    assert scores.macro_f1_5 is None
    assert "5-class" not in scores.line()


def test_format_confusion_is_plain_text_with_a_row_per_label():
    text = format_confusion(np.array([[5, 1], [0, 12]]), ["positive", "negative"])
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[1].split() == ["positive", "5", "1"]


def test_evaluate_scores_every_analyser_on_the_split(tmp_path):
    rows = read_csv(write_csv(tmp_path / "l.csv", labelled_rows()))
    report = evaluate(rows, split="test", folds=2)
    assert [s.analyser for s in report.scores] == ["built-in", "textblob", "baseline",
                                                   "trained"]
    assert all(s.rows == 30 for s in report.scores)
    assert [s.macro_f1_5 is None for s in report.scores] == [False, True, False, False]
    assert report.notes == []
    built_in = report.scores[0]
    assert built_in.macro_f1 > 0.5  # these comments are not subtle
    assert "built-in, 3 classes (30 comments)" in report.confusions()


def test_evaluate_skips_the_fitted_analysers_without_dev_rows(tmp_path):
    rows = read_csv(write_csv(tmp_path / "l.csv", labelled_rows(("test",))))
    report = evaluate(rows)
    assert [s.analyser for s in report.scores] == ["built-in", "textblob"]
    assert report.notes and "No dev rows" in report.notes[0]


def test_evaluate_refuses_a_split_with_no_rows(tmp_path):
    rows = read_csv(write_csv(tmp_path / "l.csv", labelled_rows(("dev",))))
    with pytest.raises(DataError, match="no rows in split 'test'"):
        evaluate(rows)


def test_write_predictions_writes_id_and_label():
    rows = [LabelledRow("a", "x", None, None, 1, "test"),
            LabelledRow("b", "y", None, None, 5, "test")]
    out = io.StringIO()
    write_predictions(out, rows, [Prediction("mixed", 3), Prediction("negative", 5)])
    assert out.getvalue() == "comment_id,predicted\na,mixed\nb,negative\n"

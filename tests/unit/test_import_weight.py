"""The web process and workers stay small: heavy libraries load only when they are used."""

import subprocess
import sys

HEAVY = ("sklearn", "scipy", "numpy", "weasyprint", "openpyxl")


def test_creating_the_app_and_analysing_a_comment_load_no_heavy_library():
    # In a fresh interpreter: this test process has imported them all already.
    script = (
        "import sys\n"
        "from feedback import create_app\n"
        "from feedback.analysis import analyse\n"
        "create_app()\n"
        "analyse('The nurse was kind but the video kept freezing.', rating='good')\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "", f"loaded at start: {result.stdout.strip()}"


def test_the_hidden_libraries_can_still_be_imported_afterwards():
    script = ("from feedback.analysis import sentiment\n"
              "import numpy, sklearn\n"
              "print(sentiment.score_text('Lovely staff.').label)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "positive"

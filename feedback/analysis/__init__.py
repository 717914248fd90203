"""Pure analysis of feedback: plain data in, plain data out; no Flask, no database.

`analyse()` is the entry point for a comment; `exclusion.assess()` for a respondent.
"""

from .pipeline import ANALYSER_VERSION, AnalysisResult, ThemeResult, analyse, analyser_version

__all__ = ["ANALYSER_VERSION", "AnalysisResult", "ThemeResult", "analyse", "analyser_version"]

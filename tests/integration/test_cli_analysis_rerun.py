"""`flask analysis rerun` and `flask reports rebuild-rollups`."""

from sqlalchemy import func, select

from feedback.extensions import db as _db
from feedback.models import ResponseAnalysis, ResponseRollup
from feedback.services import responses
from tests.factories import create_service, create_survey, question_ids


def respond(survey, text="Lovely staff."):
    ids = question_ids(survey)
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
        locale="en", answers={ids["fft_rating"]: {"choice": "good"},
                              ids["fft_what_was_good"]: {"text": text}},
        enforce_required=False)


def test_rerun_reanalyses_results_from_older_analysers(runner):
    survey = create_survey()
    old, current = respond(survey), respond(survey)
    _db.session.scalar(select(ResponseAnalysis).where(
        ResponseAnalysis.response_id == old.id)).analyser_version = "0/old"
    _db.session.commit()
    result = runner.invoke(args=["analysis", "rerun"])
    assert result.exit_code == 0, result.output
    assert "Analysed 1 responses" in result.output
    versions = set(_db.session.scalars(select(ResponseAnalysis.analyser_version)))
    assert "0/old" not in versions
    again = runner.invoke(args=["analysis", "rerun"])
    assert "Nothing to do" in again.output
    assert current.id


def test_rerun_for_one_service_or_everything(runner):
    mine = create_survey(service=create_service(slug="mine", name="Mine"))
    theirs = create_survey(service=create_service(slug="theirs", name="Theirs"))
    respond(mine), respond(theirs)
    result = runner.invoke(args=["analysis", "rerun", "--all", "--service", "mine"])
    assert "Analysed 1 responses" in result.output
    assert "Analysed 2 responses" in runner.invoke(args=["analysis", "rerun", "--all"]).output


def test_rerun_refuses_an_unknown_service(runner):
    result = runner.invoke(args=["analysis", "rerun", "--service", "nope"])
    assert result.exit_code == 2 and "there is no service 'nope'" in result.output


def test_rebuild_rollups_restores_lost_counts(runner):
    respond(create_survey())
    _db.session.execute(ResponseRollup.__table__.delete())
    _db.session.commit()
    assert runner.invoke(args=["reports", "rebuild-rollups"]).exit_code == 0
    total = _db.session.scalar(select(func.sum(ResponseRollup.responses)))
    assert total == 1

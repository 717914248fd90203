"""The paper service: batches, keying sheets once, blind checks, resolving, finalising, assisted."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback.extensions import db as _db
from feedback.models import Disagreement, PaperEntry, Response, utcnow
from feedback.services import paper, reports, responses
from feedback.services.audit import Actions
from tests.factories import create_service, create_survey, create_user, question_ids


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(db):
    return create_user(email="admin@nhs.test", name="Ada Admin", role="admin")




@pytest.fixture
def survey(db):
    return create_survey()


@pytest.fixture
def ids(survey):
    return question_ids(survey)


@pytest.fixture
def run(survey, admin):
    return paper.create_print_run(service=survey.service, locale="en", large_print=False,
                                  sheet_count=20, site="Riverside clinic", created_by=admin)


def open_batch(survey, by, *, share=1.0, sheets=10, service=None):
    return paper.open_batch(service=service or survey.service, site="Riverside clinic",
                            received_on=utcnow().date(), expected_sheets=sheets,
                            check_share=share, opened_by=by)


def sheet(ids, **changes) -> dict:
    answers = {
        str(ids["fft_rating"]): {"choice": "good"},
        str(ids["fft_what_was_good"]): {"text": "The nurse was kind"},
        str(ids["fft_what_could_improve"]): {"status": "blank"},
        str(ids["own_device"]): {"choices": ["smartphone", "tablet"]},
        str(ids["age_band"]): {"choice": "65_74"},
    }
    answers.update({str(ids[key]): value for key, value in changes.items()})
    return answers


def key(batch, reference, ids, by, role="patient", **changes):
    return paper.key_sheet(batch=batch, reference=reference, respondent_role=role,
                           answers=sheet(ids, **changes), keyed_by=by)


def check(batch, reference, ids, by, role="patient", **changes):
    return paper.key_check(batch=batch, reference=reference, respondent_role=role,
                           answers=sheet(ids, **changes), keyed_by=by)


# --- batches -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value, code", [
    ("expected_sheets", 0, "expected_sheets"),
    ("check_share", 0.05, "check_share"),
    ("check_share", 1.5, "check_share"),
    ("received_on", utcnow().date() + timedelta(days=2), "received_in_future"),
])
def test_open_batch_refuses_values_out_of_range(survey, admin, field, value, code):
    kwargs = {"service": survey.service, "site": "Clinic", "received_on": utcnow().date(),
              "expected_sheets": 5, "check_share": 0.1, "opened_by": admin, field: value}
    with pytest.raises(paper.PaperError) as error:
        paper.open_batch(**kwargs)
    assert error.value.code == code


def test_open_batch_is_audited(survey, admin, new_audit_events):
    batch = open_batch(survey, admin, share=0.1)
    [event] = new_audit_events(Actions.BATCH_OPENED)
    assert event.target_id == str(batch.id)
    assert event.details == {"service": survey.service.slug, "sheets": 10}


# --- keying ------------------------------------------------------------------------------------


def test_key_sheet_stores_a_held_back_paper_response_with_blank_and_unreadable_answers(
        survey, ids, run, volunteers, new_audit_events):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    response = key(batch, reference.lower().replace("0", "o"), ids, volunteers[0],
                   fft_what_was_good={"status": "unreadable"}, age_band={"status": "blank"})

    assert (response.channel, response.held_back, response.sheet_reference) == (
        "paper", True, reference)
    assert response.assisted_by_id == volunteers[0].id
    statuses = {a.question.key: a.status for a in response.current_version.answers}
    assert statuses == {"fft_rating": "answered", "fft_what_was_good": "unreadable",
                        "fft_what_could_improve": "blank", "own_device": "answered",
                        "age_band": "blank"}
    [event] = new_audit_events(Actions.SHEET_KEYED)
    assert event.details == {"batch": batch.id, "reference": reference}


def test_key_sheet_refuses_a_second_keying_of_the_same_sheet_and_stores_nothing(
        survey, ids, run, volunteers):
    first_batch = open_batch(survey, volunteers[0])
    second_batch = open_batch(survey, volunteers[1])
    reference = paper.sheet_references(run)[0]
    key(first_batch, reference, ids, volunteers[0])

    with pytest.raises(paper.PaperError) as error:
        key(second_batch, reference, ids, volunteers[1], fft_rating={"choice": "poor"})
    assert (error.value.code, error.value.details) == ("duplicate", {"batch_id": first_batch.id})
    assert count(Response) == 1
    assert count(PaperEntry) == 1


def test_key_sheet_turns_a_race_for_the_same_sheet_into_a_duplicate_error(
        survey, ids, run, volunteers, monkeypatch):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    key(batch, reference, ids, volunteers[0])
    # The other request checked before the first one committed, so its check found nothing.
    monkeypatch.setattr(paper, "check_reference",
                        lambda batch, reference, unkeyed=True: (reference, run.survey_version))
    with pytest.raises(paper.PaperError) as error:
        key(batch, reference, ids, volunteers[1])
    assert error.value.code == "duplicate"
    assert count(PaperEntry) == 1


@pytest.mark.parametrize("typed, code", [("00C1S-Q", "invalid_reference"),
                                         ("00C1S-R", "unknown_reference"),
                                         ("", "invalid_reference")])
def test_key_sheet_refuses_a_reference_that_is_mistyped_or_never_printed(
        survey, ids, run, volunteers, typed, code):
    batch = open_batch(survey, volunteers[0])
    with pytest.raises(paper.PaperError) as error:
        key(batch, typed, ids, volunteers[0])
    assert error.value.code == code
    assert count(Response) == 0


def test_key_sheet_refuses_another_services_sheet_naming_that_service(
        survey, ids, volunteers, admin):
    other = create_survey(service=create_service(slug="portal", name="Patient portal"))
    other_run = paper.create_print_run(service=other.service, locale="en", large_print=False,
                                       sheet_count=5, site="Clinic", created_by=admin)
    batch = open_batch(survey, volunteers[0])
    with pytest.raises(paper.PaperError) as error:
        key(batch, paper.sheet_references(other_run)[0], ids, volunteers[0])
    assert (error.value.code, error.value.details) == ("wrong_batch",
                                                       {"service": "Patient portal"})


def test_key_sheet_refuses_a_final_batch(survey, ids, run, volunteers):
    batch = open_batch(survey, volunteers[0], share=0.1)
    references = [r for r in paper.sheet_references(run) if not paper.needs_check(r, 0.1)]
    key(batch, references[0], ids, volunteers[0])
    paper.finalise(batch, finalised_by=volunteers[0])
    with pytest.raises(paper.PaperError) as error:
        key(batch, references[1], ids, volunteers[0])
    assert error.value.code == "batch_final"


def test_progress_lists_missing_sheets_but_not_those_keyed_in_another_batch(
        survey, ids, run, volunteers):
    refs = paper.sheet_references(run)
    batch = open_batch(survey, volunteers[0], sheets=4)
    other_batch = open_batch(survey, volunteers[0], sheets=2)
    key(batch, refs[0], ids, volunteers[0])
    key(batch, refs[2], ids, volunteers[0])
    key(other_batch, refs[1], ids, volunteers[1])

    state = paper.progress(batch)
    assert state.keyed == 2
    assert state.missing == [refs[3], refs[4]]  # two still expected; refs[1] is elsewhere
    assert state.keyed_by == {refs[0]: {volunteers[0].id}, refs[2]: {volunteers[0].id}}
    assert state.to_check == sorted([refs[0], refs[2]])  # a share of 100%


# --- checking ----------------------------------------------------------------------------------


def test_key_check_refuses_the_volunteer_who_keyed_the_sheet(survey, ids, run, volunteers):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    key(batch, reference, ids, volunteers[0])
    with pytest.raises(paper.PaperError) as error:
        check(batch, reference, ids, volunteers[0])
    assert error.value.code == "same_volunteer"
    assert count(PaperEntry) == 1


def test_key_check_refuses_an_unknown_role_and_a_second_check(survey, ids, run, volunteers):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    key(batch, reference, ids, volunteers[0])
    with pytest.raises(responses.InvalidResponse):
        check(batch, reference, ids, volunteers[1], role="nobody")
    check(batch, reference, ids, volunteers[1])
    with pytest.raises(paper.PaperError) as error:
        check(batch, reference, ids, volunteers[2])
    assert error.value.code == "already_checked"


def test_key_check_agrees_whatever_the_spacing_and_case_of_text_and_order_of_ticks(
        survey, ids, run, volunteers, new_audit_events):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    key(batch, reference, ids, volunteers[0], fft_what_could_improve={"text": ""})
    found = check(batch, reference, ids, volunteers[1],
                  fft_what_was_good={"text": "  the nurse  was KIND "},
                  own_device={"choices": ["tablet", "smartphone"]},
                  fft_what_could_improve={"status": "skipped"})
    assert found == []
    [event] = new_audit_events(Actions.SHEET_CHECKED)
    assert event.details == {"batch": batch.id, "reference": reference, "disagreements": 0}
    assert paper.progress(batch).to_check == []


def test_a_disagreement_resolved_against_the_paper_corrects_the_response_and_lets_it_count(
        survey, ids, run, volunteers, new_audit_events):
    first, checker, third = volunteers
    batch = open_batch(survey, first)
    reference = paper.sheet_references(run)[0]
    response = key(batch, reference, ids, first)
    [disagreement] = check(batch, reference, ids, checker, fft_rating={"choice": "very_good"})
    assert (disagreement.question_id, disagreement.first_answer,
            disagreement.check_answer) == (ids["fft_rating"], {"choice": "good"},
                                           {"choice": "very_good"})

    with pytest.raises(paper.PaperError) as error:
        paper.finalise(batch, finalised_by=third)
    assert (error.value.code, error.value.details) == ("open_disagreements", {"count": 1})
    assert reports.summaries([survey.service])[0].responses == 0

    for keyer in (first, checker):  # a third person decides
        with pytest.raises(paper.PaperError) as error:
            paper.resolve(disagreement=disagreement, answer={"choice": "good"},
                          resolved_by=keyer)
        assert error.value.code == "own_sheet"
    paper.resolve(disagreement=disagreement, answer={"choice": "very_good"}, resolved_by=third)

    _db.session.refresh(response)
    assert [v.number for v in response.versions] == [1, 2]
    by_key = {a.question.key: a.choice for a in response.current_version.answers}
    assert by_key["fft_rating"] == "very_good"
    assert {a.question.key: a.choice for a in response.versions[0].answers}["fft_rating"] == (
        "good")
    paper.finalise(batch, finalised_by=third)
    _db.session.refresh(response)
    assert response.held_back is False
    summary = reports.summaries([survey.service])[0]
    assert (summary.responses, summary.positive) == (1, 1)
    actions = [e.action for e in new_audit_events()]
    for action in (Actions.SHEET_KEYED, Actions.SHEET_CHECKED, Actions.DISAGREEMENT_RESOLVED,
                   Actions.CORRECTED, Actions.BATCH_FINALISED):
        assert action in actions


def test_resolve_refuses_an_answer_that_does_not_fit_and_leaves_the_disagreement_open(
        survey, ids, run, volunteers):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    key(batch, reference, ids, volunteers[0])
    [disagreement] = check(batch, reference, ids, volunteers[1], age_band={"choice": "16_24"})
    with pytest.raises(responses.InvalidResponse):
        paper.resolve(disagreement=disagreement, answer={"choice": "ancient"},
                      resolved_by=volunteers[2])
    _db.session.refresh(disagreement)
    assert disagreement.resolved_at is None
    assert paper.progress(batch).open_disagreements == 1


def test_resolving_who_was_answering_changes_the_response_and_is_audited(
        survey, ids, run, volunteers, new_audit_events):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    response = key(batch, reference, ids, volunteers[0], role="patient")
    [disagreement] = check(batch, reference, ids, volunteers[1], role="carer")
    assert disagreement.question_id is None
    with pytest.raises(responses.InvalidResponse):
        paper.resolve(disagreement=disagreement, answer={"choice": "dog"},
                      resolved_by=volunteers[2])
    paper.resolve(disagreement=disagreement, answer={"choice": "carer"},
                  resolved_by=volunteers[2])
    _db.session.refresh(response)
    assert response.respondent_role == "carer"
    [event] = new_audit_events(Actions.DISAGREEMENT_RESOLVED)
    assert event.details == {"reference": reference, "role_from": "patient", "role_to": "carer",
                             "changed": True}


def test_finalise_waits_for_checks_and_refuses_an_empty_batch(survey, ids, run, volunteers):
    empty = open_batch(survey, volunteers[0])
    with pytest.raises(paper.PaperError) as error:
        paper.finalise(empty, finalised_by=volunteers[0])
    assert error.value.code == "empty_batch"

    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    key(batch, reference, ids, volunteers[0])
    with pytest.raises(paper.PaperError) as error:
        paper.finalise(batch, finalised_by=volunteers[0])
    assert (error.value.code, error.value.details) == ("checks_outstanding", {"count": 1})
    check(batch, reference, ids, volunteers[1])
    paper.finalise(batch, finalised_by=volunteers[0])
    with pytest.raises(paper.PaperError) as error:
        check(batch, reference, ids, volunteers[2])  # a final batch takes no more keying
    assert error.value.code == "batch_final"


def test_disagreement_rates_count_each_checked_sheet_once(survey, ids, run, volunteers):
    batch = open_batch(survey, volunteers[0])
    refs = paper.sheet_references(run)
    for reference in refs[:3]:
        key(batch, reference, ids, volunteers[0])
    check(batch, refs[0], ids, volunteers[1], fft_rating={"choice": "poor"},
          age_band={"choice": "16_24"}, role="staff")  # three disagreements, one sheet
    check(batch, refs[1], ids, volunteers[1])
    assert count(Disagreement) == 3
    assert paper.disagreement_rates() == [{
        "volunteer": "Volunteer 1", "month": utcnow().strftime("%Y-%m"), "checked": 2,
        "disagreed": 1}]


# --- corrections -------------------------------------------------------------------------------


def test_correct_sheet_adds_a_version_with_its_reason_and_keeps_the_first(
        survey, ids, run, volunteers, new_audit_events):
    batch = open_batch(survey, volunteers[0])
    reference = paper.sheet_references(run)[0]
    response = key(batch, reference, ids, volunteers[0])
    with pytest.raises(responses.InvalidResponse):
        paper.correct_sheet(reference=reference, answers=sheet(ids), reason=" ",
                            corrected_by=volunteers[1], respondent_role="carer")
    _db.session.refresh(response)
    assert response.respondent_role == "patient"  # a refused correction changes nothing

    version = paper.correct_sheet(reference=reference.lower(), answers=sheet(
        ids, fft_rating={"choice": "poor"}), reason="Keyed the wrong rating",
        corrected_by=volunteers[1], respondent_role="carer")
    _db.session.refresh(response)
    assert version.number == 2
    assert [v.reason for v in response.versions] == [None, "Keyed the wrong rating"]
    assert response.respondent_role == "carer"
    events = new_audit_events(Actions.CORRECTED)
    assert {"role_from": "patient", "role_to": "carer"}.items() <= events[0].details.items()
    assert events[-1].details == {"version": 2, "reason": "Keyed the wrong rating"}


@pytest.mark.parametrize("typed, code", [("nonsense", "invalid_reference"),
                                         ("00C1S-R", "not_keyed")])
def test_correct_sheet_refuses_a_sheet_that_is_not_there(db, volunteers, typed, code):
    with pytest.raises(paper.PaperError) as error:
        paper.correct_sheet(reference=typed, answers={}, reason="x",
                            corrected_by=volunteers[0])
    assert error.value.code == code


# --- assisted ----------------------------------------------------------------------------------


def test_submit_assisted_stores_channel_mode_and_helper_once_per_key(
        survey, ids, volunteers, new_audit_events):
    kwargs = {"service": survey.service, "mode": "phone", "respondent_role": "carer",
              "locale": "cy", "answers": {str(ids["fft_rating"]): {"choice": "good"}},
              "helped_by": volunteers[0], "idempotency_key": "assisted:abc"}
    first = paper.submit_assisted(**kwargs)
    again = paper.submit_assisted(**kwargs)
    assert first.id == again.id
    assert count(Response) == 1
    assert (first.channel, first.assistance_mode, first.assisted_by_id, first.locale,
            first.held_back) == ("assisted", "phone", volunteers[0].id, "cy", False)
    assert len(new_audit_events(Actions.ASSISTED_ENTRY)) == 1


def test_submit_assisted_needs_a_mode_and_the_required_questions(survey, ids, volunteers):
    kwargs = {"service": survey.service, "mode": "post", "respondent_role": "patient",
              "locale": "en", "answers": {}, "helped_by": volunteers[0],
              "idempotency_key": "assisted:def"}
    with pytest.raises(paper.PaperError) as error:
        paper.submit_assisted(**kwargs)
    assert error.value.code == "mode"
    with pytest.raises(responses.InvalidResponse) as invalid:
        paper.submit_assisted(**{**kwargs, "mode": "in_person"})
    assert invalid.value.errors == {ids["fft_rating"]: "required"}
    assert count(Response) == 0

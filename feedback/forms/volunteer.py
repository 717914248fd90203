"""Forms for volunteers: paper batches, keying and checking sheets, and assisted surveys."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from .. import references
from ..i18n import localise
from ..models import AnswerStatus, AssistanceMode, QuestionKind, RespondentRole
from ..services.paper import MAX_SHEETS_PER_RUN
from .fields import MultiCheckboxField
from .survey import ROLE_LABELS, error_message

# Values of the extra answers on the entry screen. The underscore keeps them apart from the
# question bank's option values, which are plain words.
BLANK = "_blank"
UNREADABLE = "_unreadable"
WRITTEN = "_written"  # a free-text box: what was typed in it is the answer
STATUS_OF = {BLANK: AnswerStatus.BLANK, UNREADABLE: AnswerStatus.UNREADABLE}
KEY_OF = {BLANK: "0", UNREADABLE: "u"}  # keyboard shortcuts on the entry screen (app.js)

MODE_LABELS = {
    AssistanceMode.IN_PERSON: _l("In person"),
    AssistanceMode.PHONE: _l("By phone"),
}
ANSWER_STATUS_LABELS = {
    AnswerStatus.BLANK: _l("Blank"),
    AnswerStatus.UNREADABLE: _l("Unreadable"),
    AnswerStatus.SKIPPED: _l("Not answered"),
}

# What the paper service's error codes mean, with the details it gives as placeholders.
PAPER_MESSAGES = {
    "invalid_reference": _l("Check the reference on the sheet and type it again. It has 5 "
                            "letters or numbers, a dash and 1 more character, like %(example)s"),
    "unknown_reference": _l("No form was printed with the reference %(reference)s. Check the "
                            "reference on the sheet"),
    "wrong_batch": _l("Sheet %(reference)s is a form for %(service)s, not for this batch. Put "
                      "it with the sheets for %(service)s and key it in a batch for that "
                      "service"),
    "duplicate": _l("Sheet %(reference)s has already been keyed, in %(batch)s. A sheet can be "
                    "keyed only once: to change its answers, correct it"),
    "other_version": _l("Sheet %(reference)s was printed with different questions, shown now. "
                        "Check every answer against the sheet, then save it again"),
    "batch_final": _l("This batch is final: no more sheets can be keyed or checked in it"),
    "not_keyed": _l("Sheet %(reference)s has not been keyed in this batch yet"),
    "same_volunteer": _l("You keyed sheet %(reference)s yourself. Someone else must check it, "
                         "without seeing your answers"),
    "already_checked": _l("Sheet %(reference)s has already been checked"),
    "already_resolved": _l("Someone has already resolved this disagreement"),
    "own_sheet": _l("You keyed this sheet, so someone else must decide this against the paper"),
    "empty_batch": _l("Key at least one sheet before making the batch final"),
    "expected_sheets": _l("Enter a number of sheets from 1 to %(max)d"),
    "check_share": _l("Enter a share of sheets to check from 10 to 100"),
    "received_in_future": _l("The date received must be today or in the past"),
    "no_open_survey": _l("This service has no survey open at the moment"),
    "mode": _l("Select in person or by phone"),
    "not_found": _l("No sheet with the reference %(reference)s has been keyed yet"),
}
UNKNOWN_PAPER_ERROR = _l("The sheet could not be saved. Check the answers and try again")

# The entry screen's own checks, before anything reaches the paper service.
_CHOOSE_ONE = _l("Select the answer marked on the sheet, or Blank if nothing is marked")
_CHOOSE_SOME = _l("Select the answers ticked on the sheet, or Blank if nothing is ticked")
_ALONE = _l("Select Blank or Unreadable on its own, not with other answers")
_TEXT_OR_STATUS = _l("Either type what is written, or choose Blank or Unreadable, not both")


class _Details(dict):
    """Details for a message; one the caller did not have reads as nothing, not a crash."""

    def __missing__(self, key):
        return ""


def paper_message(code: str, **details) -> str:
    """The message for a paper service error code, with its details filled in."""
    message = PAPER_MESSAGES.get(code)
    if message is None:
        return str(UNKNOWN_PAPER_ERROR)
    example = references.encode(12345)
    return str(message) % _Details(max=MAX_SHEETS_PER_RUN, example=example, **details)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """Only a CSRF token, for buttons that change something."""


# --- batches -----------------------------------------------------------------------------------


class BatchForm(FlaskForm):
    service = SelectField(_l("Service"), validators=[
        DataRequired(_l("Select the service the sheets are about"))])
    site = StringField(_l("Site or clinic the sheets came from"), filters=[_strip], validators=[
        DataRequired(_l("Enter the site or clinic the sheets came from")), Length(max=200)])
    received_on = DateField(_l("Date received"), validators=[
        DataRequired(_l("Enter the date the sheets were received"))])
    expected_sheets = IntegerField(_l("Number of sheets"), validators=[
        InputRequired(_l("Enter the number of sheets in the batch")),
        NumberRange(min=1, max=MAX_SHEETS_PER_RUN, message=PAPER_MESSAGES["expected_sheets"])])
    check_share = IntegerField(
        _l("Share of sheets a second volunteer checks, as a percentage"), default=10,
        validators=[InputRequired(PAPER_MESSAGES["check_share"]),
                    NumberRange(min=10, max=100, message=PAPER_MESSAGES["check_share"])])

    def use_services(self, services) -> None:
        self.service.choices = [("", str(_l("Select a service")))] + [
            (str(s.id), s.name) for s in services]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # WTForms' own messages ("Not a valid integer value") are neither clear nor translated.
        messages = {
            self.received_on: _l("The date received must be a real date"),
            self.expected_sheets: PAPER_MESSAGES["expected_sheets"],
            self.check_share: PAPER_MESSAGES["check_share"],
            self.service: _l("Select the service the sheets are about"),
        }
        for form_field, message in messages.items():
            if form_field.errors and (form_field.raw_data or [""])[0].strip():
                form_field.errors = [str(message) % {"max": MAX_SHEETS_PER_RUN}]
        return valid


# --- a sheet's answers -------------------------------------------------------------------------


@dataclass
class EntryQuestion:
    """One question as the entry screen shows it, in the sheet's order."""

    number: int
    survey_question: object
    field_name: str
    items: list[dict]
    status_name: str | None = None  # free text on paper: written, blank or unreadable
    status_items: list[dict] = field(default_factory=list)

    @property
    def question(self):
        return self.survey_question.question


def _item(value: str, text: str, key: str | None) -> dict:
    return {"value": value, "text": text, "attributes": {"data-key": key} if key else {}}


def _option_items(question, *, paper: bool) -> list[dict]:
    items = [
        _item(o["value"], f"{number} {localise(o['label'])}" if paper else localise(o["label"]),
              str(number) if paper else None)
        for number, o in enumerate(question.options, start=1)
    ]
    if paper:
        items += [_item(BLANK, str(_l("0 Blank: nothing marked")), KEY_OF[BLANK]),
                  _item(UNREADABLE, str(_l("Unreadable")), KEY_OF[UNREADABLE])]
    return items


def _text_status_items() -> list[dict]:
    return [_item(WRITTEN, str(_l("As typed in the box")), None),
            _item(BLANK, str(_l("0 Blank: nothing written")), KEY_OF[BLANK]),
            _item(UNREADABLE, str(_l("Unreadable")), KEY_OF[UNREADABLE])]


def role_items(*, paper: bool) -> list[dict]:
    return [_item(role.value, f"{number} {label}" if paper else str(label),
                  str(number) if paper else None)
            for number, (role, label) in enumerate(ROLE_LABELS.items(), start=1)]


def _add_questions(form_class, version, *, paper: bool) -> list[EntryQuestion]:
    entries = []
    for number, survey_question in enumerate(version.questions, start=1):
        question = survey_question.question
        name = f"q{question.id}"
        entry = EntryQuestion(number, survey_question, name, _option_items(question, paper=paper))
        if question.kind == QuestionKind.FREE_TEXT:
            setattr(form_class, name, TextAreaField())
            if paper:
                entry.status_name = f"{name}_status"
                entry.status_items = _text_status_items()
                setattr(form_class, entry.status_name,
                        RadioField(choices=[WRITTEN, BLANK, UNREADABLE], default=WRITTEN,
                                   validate_choice=False))
        elif question.kind == QuestionKind.MULTIPLE_CHOICE:
            setattr(form_class, name, MultiCheckboxField(
                choices=[SelectChoice(i["value"], i["text"]) for i in entry.items]))
        else:
            setattr(form_class, name, RadioField(
                choices=[SelectChoice(i["value"], i["text"]) for i in entry.items],
                validate_choice=False))
        entries.append(entry)
    return entries


def _paper_answer(form, entry: EntryQuestion):
    """(answer, None) as the responses service takes it, or (None, error message)."""
    data = form[entry.field_name].data
    kind = entry.question.kind
    if kind == QuestionKind.FREE_TEXT:
        text = data or ""
        status = form[entry.status_name].data or WRITTEN
        if status in STATUS_OF:
            return (None, _TEXT_OR_STATUS) if text.strip() else ({"status": STATUS_OF[status]},
                                                                 None)
        # On paper an empty box is a blank one: nothing was written in it.
        return ({"text": text} if text.strip() else {"status": AnswerStatus.BLANK}), None
    if kind == QuestionKind.MULTIPLE_CHOICE:
        values = list(data or [])
        special = [v for v in values if v in STATUS_OF]
        if not values:
            return None, _CHOOSE_SOME
        if special:
            return (None, _ALONE) if len(values) > 1 else ({"status": STATUS_OF[special[0]]}, None)
        return {"choices": values}, None
    if not data:
        return None, _CHOOSE_ONE
    if data in STATUS_OF:
        return {"status": STATUS_OF[data]}, None
    return {"choice": data}, None


def stored_form_data(entries: list[EntryQuestion], stored: dict, role: str | None) -> dict:
    """Form data showing stored answers ({str(question id): answer}), to correct them."""
    data = {"role": role}
    for entry in entries:
        answer = stored.get(str(entry.question.id)) or {}
        status = answer.get("status", AnswerStatus.ANSWERED)
        special = {v: k for k, v in STATUS_OF.items()}.get(status)
        kind = entry.question.kind
        if kind == QuestionKind.FREE_TEXT:
            data[entry.field_name] = answer.get("text") or ""
            data[entry.status_name] = special or WRITTEN
        elif kind == QuestionKind.MULTIPLE_CHOICE:
            data[entry.field_name] = [special] if special else list(answer.get("choices") or [])
        else:
            data[entry.field_name] = special or answer.get("choice")
    return data


class _PaperAnswersForm(FlaskForm):
    """Who is answering and every question of one survey version, as marked on a sheet."""

    role = RadioField(_l("Who is answering"), default=RespondentRole.PATIENT,
                      choices=[r.value for r in RespondentRole], validate_choice=False)
    entries: list[EntryQuestion] = []
    answers: dict = {}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.role.data not in RespondentRole.__members__.values():
            self.role.errors = [str(_l("Select who is answering, as ticked on the sheet"))]
            valid = False
        self.answers = {}
        for entry in self.entries:
            answer, error = _paper_answer(self, entry)
            if error is not None:
                self[entry.field_name].errors = [str(error)]
                valid = False
            else:
                self.answers[str(entry.question.id)] = answer
        return valid

    def question_errors(self, errors: dict) -> None:
        """Show the responses service's error codes ({question id: code}) on their fields."""
        for entry in self.entries:
            code = errors.get(entry.question.id) or errors.get(str(entry.question.id))
            if code:
                self[entry.field_name].errors = [error_message(
                    code, entry.question.kind, entry.question.max_length or 5000)]
        if "respondent_role" in errors:
            self.role.errors = [str(_l("Select who is answering, as ticked on the sheet"))]


class _SheetForm(_PaperAnswersForm):
    reference = StringField(_l("Sheet reference"), filters=[_strip], validators=[
        DataRequired(_l("Enter the reference printed on the sheet"))])
    version_id = HiddenField()


class _CheckForm(_PaperAnswersForm):
    """The blind check: the reference comes from the list of sheets to check."""


class _CorrectionForm(_PaperAnswersForm):
    reason = TextAreaField(_l("Why are you correcting this sheet?"), filters=[_strip],
                           validators=[DataRequired(_l("Enter why you are correcting the sheet")),
                                       Length(max=1000)])


def _build(base, version, **kwargs):
    class Form(base):
        pass

    entries = _add_questions(Form, version, paper=True)
    form = Form(**kwargs)
    form.entries = entries
    form.role_items = role_items(paper=True)
    return form


def sheet_form(version, **kwargs) -> _SheetForm:
    """The entry screen for a sheet printed with this survey version."""
    form = _build(_SheetForm, version, **kwargs)
    form.version_id.data = str(version.id)
    return form


def check_form(version, **kwargs) -> _CheckForm:
    return _build(_CheckForm, version, **kwargs)


def correction_form(version, **kwargs) -> _CorrectionForm:
    return _build(_CorrectionForm, version, **kwargs)


# --- disagreements -----------------------------------------------------------------------------

FIRST, CHECK, OTHER = "first", "check", "other"


class ResolveForm(FlaskForm):
    """Which keying the paper agrees with, or what it really says. Made with a prefix per
    disagreement, so that every form on the page has its own ids."""

    decision = RadioField(_l("What does the sheet say?"), choices=[FIRST, CHECK, OTHER],
                          validate_choice=False)
    other = MultiCheckboxField(_l("Something else"))
    other_text = TextAreaField(_l("Something else: type what is written"))

    def use_question(self, question) -> None:
        """Offer the question's options (None: who is answering) as the other answers.

        A list to pick one from, but ticks for a question with more than one answer; for free
        text, the list says whether the text typed below is the answer.
        """
        statuses = [(BLANK, str(_l("Blank"))), (UNREADABLE, str(_l("Unreadable")))]
        if question is None:
            self.other.choices = [("", str(_l("Select who is answering")))] + [
                (r.value, str(label)) for r, label in ROLE_LABELS.items()]
        elif question.kind == QuestionKind.FREE_TEXT:
            self.other.choices = [("", str(_l("The text typed below")))] + statuses
        else:
            options = [(o["value"], localise(o["label"])) for o in question.options]
            placeholder = ([] if question.kind == QuestionKind.MULTIPLE_CHOICE
                           else [("", str(_l("Select an answer")))])
            self.other.choices = placeholder + options + statuses

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data not in (FIRST, CHECK, OTHER):
            self.decision.errors = [str(_l("Select what the sheet says"))]
            valid = False
        return valid

    def other_answer(self, question):
        """The answer chosen under "Something else", or None with an error on the form."""
        values = [v for v in (self.other.data or []) if v]
        text = (self.other_text.data or "").strip()
        special = [v for v in values if v in STATUS_OF]
        if question is None:
            if len(values) != 1:
                self.other.errors = [str(_l("Select who is answering"))]
                return None
            return {"choice": values[0]}
        if special and (len(values) > 1 or text):
            self.other.errors = [str(_ALONE)]
            return None
        if special:
            return {"status": STATUS_OF[special[0]]}
        if question.kind == QuestionKind.FREE_TEXT:
            if not text:
                self.other_text.errors = [str(_l("Type what is written, or select Blank or "
                                                 "Unreadable"))]
                return None
            return {"text": self.other_text.data}
        if not values:
            self.other.errors = [str(_l("Select the answer the sheet shows"))]
            return None
        if question.kind == QuestionKind.MULTIPLE_CHOICE:
            return {"choices": values}
        if len(values) > 1:
            self.other.errors = [str(_l("Select one answer"))]
            return None
        return {"choice": values[0]}


# --- assisted surveys --------------------------------------------------------------------------


class _AssistedForm(FlaskForm):
    mode = RadioField(_l("How are you helping?"), choices=[m.value for m in AssistanceMode],
                      validate_choice=False)
    role = RadioField(_l("Who is answering?"), choices=[r.value for r in RespondentRole],
                      validate_choice=False)
    # Made when the page is first shown: a second submit of the same page stores nothing more.
    idempotency_key = HiddenField(validators=[DataRequired(), Length(min=16, max=48)])
    entries: list[EntryQuestion] = []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.mode.data not in AssistanceMode.__members__.values():
            self.mode.errors = [str(_l("Select in person or by phone"))]
            valid = False
        if self.role.data not in RespondentRole.__members__.values():
            self.role.errors = [str(_l("Select who is answering"))]
            valid = False
        return valid

    def answers(self) -> dict:
        """{str(question id): answer}; a question left alone is not sent, so it is skipped."""
        answers = {}
        for entry in self.entries:
            data = self[entry.field_name].data
            kind = entry.question.kind
            if kind == QuestionKind.FREE_TEXT and (data or "").strip():
                answers[str(entry.question.id)] = {"text": data}
            elif kind == QuestionKind.MULTIPLE_CHOICE and data:
                answers[str(entry.question.id)] = {"choices": list(data)}
            elif kind not in (QuestionKind.FREE_TEXT, QuestionKind.MULTIPLE_CHOICE) and data:
                answers[str(entry.question.id)] = {"choice": data}
        return answers

    def question_errors(self, errors: dict, max_length: int) -> None:
        for entry in self.entries:
            code = errors.get(entry.question.id) or errors.get(str(entry.question.id))
            if code:
                self[entry.field_name].errors = [error_message(
                    code, entry.question.kind, entry.question.max_length or max_length)]


def assisted_form(version, **kwargs) -> _AssistedForm:
    class AssistedForm(_AssistedForm):
        pass

    entries = _add_questions(AssistedForm, version, paper=False)
    form = AssistedForm(**kwargs)
    form.entries = entries
    form.role_items = role_items(paper=False)
    form.mode_items = [_item(m.value, str(label), None) for m, label in MODE_LABELS.items()]
    return form


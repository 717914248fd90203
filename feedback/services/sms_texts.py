"""The words of every text the service sends, in the conversation's language."""

from dataclasses import dataclass

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from sms.encoding import sanitise, segments

from ..i18n import localise
from ..models import Question, QuestionKind


def _options_line(question: Question, locale: str) -> str:
    if question.kind == QuestionKind.FREE_TEXT:
        return _("Reply in your own words, or SKIP.")
    options = ", ".join(
        f"{number} {localise(option['label'], locale)}"
        for number, option in enumerate(question.options, start=1)
    )
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return _("Reply with all the numbers that apply, like 1 3, or SKIP: %(options)s",
                 options=options)
    return _("Reply with a number, or SKIP: %(options)s", options=options)


def render(kind: str, *, locale: str, service_name: str, questions: list[Question],
           question_index: int | None = None) -> str:
    """The text for one message kind (see sms.conversation.Message), sanitised for GSM-7."""
    with force_locale(locale):
        return sanitise(_render(kind, locale, service_name, questions, question_index))


def _render(kind, locale, service_name, questions, index) -> str:
    if kind == "invitation":
        return ngettext(
            "NHS: %(service)s would like your feedback. %(num)d question by text. "
            "Reply STOP to stop, HELP for help.",
            "NHS: %(service)s would like your feedback. %(num)d short questions by text. "
            "Reply STOP to stop, HELP for help.",
            len(questions), service=service_name)
    if kind in ("question", "reprompt", "media_only"):
        question = questions[index]
        if kind == "question":
            lead = _("%(number)d/%(total)d %(question)s", number=index + 1,
                     total=len(questions), question=localise(question.text, locale))
        elif kind == "reprompt":
            lead = _("Sorry, we could not read that.")
        else:
            lead = _("Sorry, we can only read words and numbers.")
        return f"{lead}\n{_options_line(question, locale)}"
    messages = {
        "thanks": lambda: _("Thank you, your feedback has been sent. This number is not "
                            "monitored: in an emergency call 999."),
        "help": lambda: _("NHS feedback survey for %(service)s. Not monitored. Emergency: 999. "
                          "Urgent advice: 111. Complaints: PALS. Reply STOP to stop.",
                          service=service_name),
        "stopped": lambda: _("You will get no more texts from this survey. Reply START to opt "
                             "back in."),
        "opted_in": lambda: _("You can get texts from this survey again."),
        "closed": lambda: _("This survey has closed. Thank you for your time."),
    }
    return messages[kind]()


BUILT_IN_KINDS = ("invitation", "thanks", "help", "stopped", "opted_in", "closed")


@dataclass(frozen=True)
class PreviewRow:
    kind: str
    question_number: int | None
    locale: str
    text: str
    encoding: str
    characters: int
    segments: int


def preview(*, service_name: str, questions: list[Question],
            locales: list[str]) -> list[PreviewRow]:
    """Each text a survey would send, in each of its languages, with what it costs."""
    rows = []
    items = [("invitation", None)] + [("question", i) for i in range(len(questions))]
    items += [("thanks", None)]
    for kind, index in items:
        for locale in locales:
            text = render(kind, locale=locale, service_name=service_name, questions=questions,
                          question_index=index)
            info = segments(text)
            rows.append(PreviewRow(kind, None if index is None else index + 1, locale, text,
                                   info.encoding, len(text), info.segments))
    return rows

"""Print-ready paper forms: a print run's numbered sheets as an A4 PDF, standard or large print.

Every sheet of a run is the same form; only its reference differs. WeasyPrint lays the form
out once, from HTML that is never served as a page and fetches nothing (the fonts are the
machine's, everything else is inline). Each sheet's pages then reuse that layout, and only
the reference, in type and as a QR code, is drawn anew: laying out 2,000 sheets one by one
would take minutes and gigabytes. The form keeps an empty space top right for the reference.
"""

from dataclasses import dataclass

import pydyf
import segno
from flask import current_app, render_template
from flask_babel import force_locale

from ..i18n import localise
from ..models import PrintRun, QuestionKind, RespondentRole
from . import paper

MM = 72 / 25.4  # PDF points in a millimetre
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 210 * MM, 297 * MM, 15 * MM  # A4 portrait; the CSS agrees
QUIET_ZONE = 4  # light modules around a QR code, as scanners expect
# Free-text lines: room for a few sentences, and the FFT questions alone fit on one page.
FREE_TEXT_LINES = {False: 4, True: 5}  # by large print


@dataclass(frozen=True)
class ReferenceStyle:
    """Where and how big the reference goes, in millimetres and points."""

    size: float  # pt: the reference on a sheet's first page, in monospace
    qr: float  # mm: the QR code's side, quiet zone included
    gap: float  # mm: between the reference and the QR code
    continued_size: float  # pt: the reference repeated in the top margin of later pages

    @property
    def width(self) -> float:
        """mm: Courier's characters are 0.6 em wide, and a reference has 7."""
        return max(7 * 0.6 * self.size / MM, self.qr)

    @property
    def height(self) -> float:
        return self.size * 1.1 / MM + self.gap + self.qr


STYLES = {False: ReferenceStyle(size=24, qr=22, gap=1, continued_size=14),
          True: ReferenceStyle(size=28, qr=26, gap=1.5, continued_size=16)}


@dataclass(frozen=True)
class PaperOption:
    number: int  # what a volunteer presses when keying this answer
    label: str


@dataclass(frozen=True)
class PaperQuestion:
    number: int  # Q1, Q2… as on the entry screen
    kind: str
    text: str
    hint: str
    required: bool
    options: list[PaperOption]

    @property
    def free_text(self) -> bool:
        return self.kind == QuestionKind.FREE_TEXT

    @property
    def multiple(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE_CHOICE


def _questions(run: PrintRun) -> list[PaperQuestion]:
    return [
        PaperQuestion(
            number=position, kind=sq.question.kind,
            text=localise(sq.question.text, run.locale),
            hint=localise(sq.question.hint, run.locale), required=sq.required,
            options=[PaperOption(number, localise(option["label"], run.locale))
                     for number, option in enumerate(sq.question.options, start=1)],
        )
        for position, sq in enumerate(run.survey_version.questions, start=1)
    ]


def render_sheet_html(run: PrintRun) -> str:
    """The run's form as HTML, in the run's language, with the reference's space left empty."""
    with force_locale(run.locale):
        return render_template(
            "paper/sheet.html",
            run=run, service=run.service, survey=run.survey_version.survey, locale=run.locale,
            rtl=run.locale in current_app.config["RTL_LANGUAGES"], large_print=run.large_print,
            reference_style=STYLES[run.large_print], roles=list(RespondentRole),
            questions=_questions(run), free_text_lines=FREE_TEXT_LINES[run.large_print],
        )


# --- drawing the references ------------------------------------------------------------------


def _text(reference: str, size: float, baseline: float) -> str:
    """PDF operators: the reference in Courier Bold, flush right, `baseline` from the top."""
    x = PAGE_WIDTH - MARGIN - len(reference) * 0.6 * size
    baseline = PAGE_HEIGHT - baseline
    escaped = reference.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"BT /FReference {size:g} Tf {x:.2f} {baseline:.2f} Td ({escaped}) Tj ET\n"


def _qr(reference: str, side: float, top: float) -> str:
    """PDF operators: the reference, and nothing else, as a QR code, flush right."""
    # make_qr, not make: a reference is short enough for a Micro QR, which phones can't read.
    rows = list(segno.make_qr(reference, error="m").matrix_iter(scale=1, border=0))
    module = side / (len(rows) + 2 * QUIET_ZONE)
    left = PAGE_WIDTH - MARGIN - side + QUIET_ZONE * module
    upper = PAGE_HEIGHT - top - QUIET_ZONE * module
    rects = []
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            rects.append(f"{left + start * module:.3f} {upper - (r + 1) * module:.3f} "
                         f"{(c - start) * module:.3f} {module:.3f} re")
    return "\n".join(rects) + "\nf\n"


def _stamp(reference: str, style: ReferenceStyle, first_page: bool) -> pydyf.Stream:
    if first_page:
        body = (_text(reference, style.size, MARGIN + 0.8 * style.size)
                + _qr(reference, style.qr * MM, MARGIN + style.size * 1.1 + style.gap * MM))
    else:  # a loose page still says which sheet it belongs to: just above the content
        body = _text(reference, style.continued_size, MARGIN - 3 * MM)
    return pydyf.Stream([f"q 0 g\n{body}Q"], compress=True)


def _resolve(pdf: pydyf.PDF, value):
    """An object, or the one an indirect reference such as b"4 0 R" points to."""
    if isinstance(value, bytes) and value.endswith(b" R"):
        return pdf.objects[int(value.split()[0])]
    return value


def _with_font(pdf: pydyf.PDF, resources, font: pydyf.Dictionary) -> bytes:
    """A copy of a page's resources that also has the reference's font, as /FReference."""
    fonts = pydyf.Dictionary({**(_resolve(pdf, _resolve(pdf, resources).get("Font")) or {}),
                              "FReference": font.reference})
    pdf.add_object(fonts)
    copy = pydyf.Dictionary({**_resolve(pdf, resources), "Font": fonts.reference})
    pdf.add_object(copy)
    return copy.reference


def _sheets_from_one(references: list[str], style: ReferenceStyle):
    """A WeasyPrint finisher: repeat the laid-out form once per reference, and stamp each.

    A form too long for one page gets a blank page after it when its page count is odd,
    so that printed on both sides no piece of paper carries two references.
    """

    def finisher(_document, pdf: pydyf.PDF) -> None:
        kids = pdf.pages["Kids"]
        form = [pdf.objects[kids[i]] for i in range(0, len(kids), 3)]
        # A standard PDF font: nothing to embed, and every viewer and printer has it.
        font = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type1",
                                 "BaseFont": "/Courier-Bold", "Encoding": "/WinAnsiEncoding"})
        save, restore = pydyf.Stream(["q"]), pydyf.Stream(["Q"])
        for extra in (font, save, restore):
            pdf.add_object(extra)
        resources = [_with_font(pdf, page["Resources"], font) for page in form]

        pdf.pages["Kids"], pdf.pages["Count"] = pydyf.Array(), 0
        for reference in references:
            for number, page in enumerate(form):
                stamp = _stamp(reference, style, first_page=number == 0)
                pdf.add_object(stamp)
                pdf.add_page(pydyf.Dictionary({
                    **page, "Resources": resources[number],
                    # The form's own drawing is wrapped so that it can't move the stamp.
                    "Contents": pydyf.Array([save.reference, page["Contents"],
                                             restore.reference, stamp.reference]),
                }))
            if len(form) > 1 and len(form) % 2:
                pdf.add_page(pydyf.Dictionary({"Type": "/Page", "Parent": pdf.pages.reference,
                                               "MediaBox": form[0]["MediaBox"]}))

    return finisher


def render_print_run_pdf(run: PrintRun) -> bytes:
    """The run's sheets, in order, each carrying its own reference and QR code."""
    import weasyprint  # only when a PDF is made: it is large
    document = weasyprint.HTML(string=render_sheet_html(run)).render()
    return document.write_pdf(finisher=_sheets_from_one(paper.sheet_references(run),
                                                        STYLES[run.large_print]))

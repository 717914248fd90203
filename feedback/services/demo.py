"""Demonstration data: a few services with a few hundred plausible responses.

Loaded by `make run` so a newcomer sees a working product; never loaded in production.
Everything is invented. Responses go through responses.submit like any other channel.
"""

import random
from datetime import timedelta

import pyotp
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import AssistanceMode, Channel, Question, Role, Service, User, utcnow
from . import question_bank, responses, surveys

# Demo staff accounts, for trying the staff pages on a newcomer's machine. The domain is
# reserved (RFC 6761), so these addresses can never belong to anyone.
DEMO_DOMAIN = "demo.invalid"
DEMO_PASSWORD = "try the demo service"
# Invented for the demo: the kind of comment a named person must read and act on.
SAFEGUARDING_EXAMPLE = ("Since my carer stopped coming nobody has helped me wash or eat "
                        "properly for days, and I can't manage the app on my own.")

DEMO_STAFF = [
    ("admin@demo.invalid", "Ada Admin", Role.ADMIN),
    ("lead@demo.invalid", "Sam Lead", Role.SERVICE_LEAD),
    ("volunteer@demo.invalid", "Val Volunteer", Role.VOLUNTEER),
]

SERVICES = [
    {
        "slug": "video-appointments",
        "name": "Video appointments",
        "kind": "video_consultation",
        "description": {
            "en": "Seeing a doctor, nurse or therapist by video call instead of in person.",
            "cy": "Gweld meddyg, nyrs neu therapydd drwy alwad fideo yn lle wyneb yn wyneb.",
            "pl": "Wizyta u lekarza, pielęgniarki lub terapeuty przez rozmowę wideo zamiast osobiście.",
            "ro": "Consultație cu un medic, o asistentă sau un terapeut prin apel video, nu în persoană.",
            "ur": "ذاتی طور پر ملنے کے بجائے ویڈیو کال کے ذریعے ڈاکٹر، نرس یا معالج سے ملاقات۔",
        },
        "questions": "full",
    },
    {
        "slug": "patient-portal",
        "name": "Patient portal",
        "kind": "portal",
        "description": {
            "en": "Reading your letters and test results, and messaging your care team online.",
            "cy": "Darllen eich llythyrau a chanlyniadau profion, ac anfon negeseuon at eich tîm gofal ar-lein.",
            "pl": "Czytanie listów i wyników badań oraz wysyłanie wiadomości do zespołu opieki przez internet.",
            "ro": "Citirea scrisorilor și a rezultatelor analizelor și trimiterea de mesaje echipei de îngrijire, online.",
            "ur": "اپنے خطوط اور ٹیسٹ کے نتائج پڑھنا، اور آن لائن اپنی نگہداشت ٹیم کو پیغام بھیجنا۔",
        },
        "questions": "short",
    },
    {
        "slug": "online-booking",
        "name": "Online appointment booking",
        "kind": "online_booking",
        "description": {
            "en": "Booking, changing and cancelling hospital appointments online.",
            "cy": "Trefnu, newid a chanslo apwyntiadau ysbyty ar-lein.",
            "pl": "Umawianie, zmiana i odwoływanie wizyt w szpitalu przez internet.",
            "ro": "Programarea, modificarea și anularea programărilor la spital, online.",
            "ur": "ہسپتال کی ملاقاتیں آن لائن بُک کرنا، تبدیل کرنا اور منسوخ کرنا۔",
        },
        "questions": "short",
    },
    {
        "slug": "blood-pressure-at-home",
        "name": "Blood pressure monitoring at home",
        "kind": "remote_monitoring",
        "description": {
            "en": "Measuring your blood pressure at home and sending the readings to your GP practice.",
            "cy": "Mesur eich pwysedd gwaed gartref ac anfon y darlleniadau at eich meddygfa.",
            "pl": "Mierzenie ciśnienia krwi w domu i wysyłanie wyników do przychodni lekarza rodzinnego.",
            "ro": "Măsurarea tensiunii arteriale acasă și trimiterea valorilor la cabinetul medicului de familie.",
            "ur": "گھر پر اپنا بلڈ پریشر ناپنا اور ریڈنگز اپنے جی پی پریکٹس کو بھیجنا۔",
        },
        "questions": "short",
    },
]

SHORT_SURVEY = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve",
    "home_internet", "needs_help_online", "preferred_appointment", "who_helped",
]
FULL_SURVEY = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve",
    "home_internet", "own_device", "data_cost", "needs_help_online", "foundation_skills",
    "accessibility_needs", "english_confidence", "trust_online", "preferred_appointment",
    "preferred_feedback", "who_helped", "age_band", "disability", "ethnicity",
]

# Invented comments in the shipped languages: (locale, good, could improve).
COMMENTS = {
    "en": [
        ("The nurse was kind and the video worked first time.", "Nothing, it was fine."),
        ("Saved me a two-hour bus journey.", "The link came by email and I nearly missed it."),
        ("Quick and easy.", "I waited 40 minutes in the virtual waiting room with no update."),
        ("", "The video kept freezing and in the end the doctor phoned me instead."),
        ("Lovely doctor, really listened.", "I could not log in and nobody called back."),
        ("Being able to see my results straight away.", "Text is too small on my phone."),
        ("", "I would rather be seen face to face for something like this."),
        ("My daughter helped me and it was easy once we started.", "Too many passwords."),
    ],
    "cy": [
        ("Roedd y nyrs yn garedig iawn.", "Dim byd, roedd popeth yn iawn."),
        ("Arbedodd daith hir i'r ysbyty.", "Roedd y fideo yn rhewi drwy'r amser."),
    ],
    "pl": [
        ("Lekarz był bardzo miły.", "Trudno było się zalogować."),
        ("Szybko i wygodnie.", "Wolałabym wizytę osobiście."),
    ],
    "ro": [
        ("Asistenta a fost foarte amabilă.", "Am așteptat mult fără nicio informație."),
        ("Rapid și simplu.", "Nu am putut deschide linkul pe telefon."),
    ],
    "ur": [
        ("ڈاکٹر بہت مہربان تھے۔", "ویڈیو بار بار رک جاتی تھی۔"),
        ("گھر سے بات کرنا آسان تھا۔", "مجھے اردو میں معلومات چاہیے تھیں۔"),
    ],
}

RATINGS = ["very_good", "good", "neither", "poor", "very_poor", "dont_know"]
# Web respondents rate a digital service higher than those reached by SMS, paper or help.
RATING_WEIGHTS = {
    Channel.WEB: [45, 30, 8, 8, 5, 4],
    Channel.SMS: [35, 30, 10, 12, 8, 5],
    Channel.PAPER: [25, 25, 14, 16, 14, 6],
    Channel.ASSISTED: [22, 26, 14, 18, 14, 6],
}
CHANNEL_WEIGHTS = {Channel.WEB: 45, Channel.SMS: 30, Channel.PAPER: 15, Channel.ASSISTED: 10}
LOCALE_WEIGHTS = {"en": 78, "cy": 6, "pl": 6, "ro": 5, "ur": 5}
ROLE_WEIGHTS = {"patient": 75, "carer": 15, "staff": 10}


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _answers_for(rng: random.Random, version, channel: str, locale: str) -> dict:
    answers = {}
    good, improve = rng.choice(COMMENTS[locale])
    for survey_question in version.questions:
        question: Question = survey_question.question
        values = [o["value"] for o in question.options]
        if question.key == "fft_rating":
            answer = {"choice": rng.choices(RATINGS, weights=RATING_WEIGHTS[channel])[0]}
        elif question.key == "fft_what_was_good":
            answer = {"text": good} if good else {"status": "skipped"}
        elif question.key == "fft_what_could_improve":
            answer = {"text": improve} if improve else {"status": "skipped"}
        elif rng.random() < 0.12:
            answer = {"status": "blank" if channel == Channel.PAPER else "skipped"}
        elif question.kind == "multiple_choice":
            exclusive = {o["value"] for o in question.options if o.get("exclusive")}
            ordinary = [v for v in values if v not in exclusive]
            if rng.random() < 0.2 and exclusive:
                answer = {"choices": [rng.choice(sorted(exclusive))]}
            else:
                answer = {"choices": rng.sample(ordinary, rng.randint(1, min(4, len(ordinary))))}
        elif question.kind == "free_text":
            answer = {"status": "skipped"}
        else:
            answer = {"choice": rng.choice(values)}
        answers[question.id] = answer
    return answers


def _create_demo_staff(services: list[Service]) -> None:
    password_hash = generate_password_hash(DEMO_PASSWORD)
    for email, name, role in DEMO_STAFF:
        user = User(email=email, name=name, role=role, password_hash=password_hash)
        if role in (Role.ADMIN, Role.SERVICE_LEAD):
            user.totp_secret = pyotp.random_base32()
            user.totp_confirmed_at = utcnow()
        if role == Role.SERVICE_LEAD:
            user.services = services[:2]
            # So a newcomer can open the safeguarding queue as the lead.
            user.can_review_safeguarding = True
        db.session.add(user)
    db.session.commit()


def current_demo_code(email: str) -> str | None:
    """The authenticator code a demo account would show now; None for any real account."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.email.endswith("@" + DEMO_DOMAIN) or not user.totp_secret:
        return None
    return pyotp.TOTP(user.totp_secret).now()


def load_demo_data(*, response_count: int = 360, seed: int = 2026) -> dict | None:
    """Create the demo services, surveys and responses, unless any service exists."""
    if db.session.scalar(select(func.count()).select_from(Service)):
        return None
    question_bank.sync_question_bank()
    rng = random.Random(seed)
    now = utcnow()
    versions = []
    for spec in SERVICES:
        service = surveys.create_service(
            slug=spec["slug"], name=spec["name"], kind=spec["kind"],
            description=spec["description"],
        )
        survey = surveys.create_survey(
            service_id=service.id,
            name=f"{spec['name']} feedback",
            languages=["en", "cy", "pl", "ro", "ur"],
            question_keys=FULL_SURVEY if spec["questions"] == "full" else SHORT_SURVEY,
            opens_at=now - timedelta(days=200),
        )
        versions.append(survey.versions[0])
    _create_demo_staff([v.survey.service for v in versions])
    for _ in range(response_count):
        version = rng.choice(versions)
        channel = _pick(rng, CHANNEL_WEIGHTS)
        locale = _pick(rng, LOCALE_WEIGHTS)
        responses.submit(
            survey_version_id=version.id,
            channel=channel,
            respondent_role=_pick(rng, ROLE_WEIGHTS),
            locale=locale,
            answers=_answers_for(rng, version, channel, locale),
            assistance_mode=(
                rng.choice([AssistanceMode.IN_PERSON, AssistanceMode.PHONE])
                if channel == Channel.ASSISTED else None
            ),
            submitted_at=now - timedelta(days=rng.uniform(0, 180)),
        )
    # One comment that may disclose risk, so the safeguarding queue has something to review.
    answers = _answers_for(rng, versions[0], Channel.WEB, "en")
    for survey_question in versions[0].questions:
        if survey_question.question.key == "fft_what_could_improve":
            answers[survey_question.question_id] = {"text": SAFEGUARDING_EXAMPLE}
    responses.submit(survey_version_id=versions[0].id, channel=Channel.WEB,
                     respondent_role="patient", locale="en", answers=answers,
                     submitted_at=now - timedelta(hours=3))
    # A printed run of forms, so a volunteer can try keying sheets straight away.
    from . import paper

    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    run = paper.create_print_run(service=versions[0].survey.service, locale="en",
                                 large_print=False, sheet_count=20, site="Demo clinic",
                                 created_by=admin)
    return {"services": len(SERVICES), "responses": response_count + 1, "staff": len(DEMO_STAFF),
            "sheets": paper.sheet_references(run)}

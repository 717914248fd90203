"""A service's report page at 10 thousand and at 1 million responses: gunicorn and PostgreSQL.

Loads synthetic responses into a fresh PostgreSQL database with COPY: the responses, their
versions and answers, and the analysis results the analysers would have stored for them
(comment sentiment and themes, exclusion risk and its reasons). Ten services share them, the
measured one a quarter. Loads 10 thousand, copies that database and adds responses to the copy
up to a million, rebuilding the report rollups after each. Then it starts gunicorn (2 workers)
on each, signs a service lead in over HTTP (password and authenticator code) and times the
measured service's report for last month, comparison with all services included, on each in
turn. Prints the load times, p50 and max at each size, their ratio and the workers' peak
memory. Goal: the 1-million report within 5x the 10-thousand one and under 2 seconds.

    .venv/bin/python bench/reports.py [--small 10000] [--large 1000000]
"""

import argparse
import bisect
import itertools
import json
import multiprocessing
import os
import random
import statistics
import threading
import time
import traceback
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser

import psycopg
import pyotp
import requests
from _server import REDIS_URL, flask, fresh_database, gunicorn_process, peak_rss_kb, worker_pids
from redis import Redis
from werkzeug.security import generate_password_hash

from feedback import create_app
from feedback.analysis import analyse, analyser_version, exclusion
from feedback.analysis.periods import current_period, uk_date
from feedback.analysis.redaction import redact
from feedback.extensions import db
from feedback.models import Question, Role, User, utcnow
from feedback.services import question_bank, rollups, surveys
from feedback.services.demo import (
    CHANNEL_WEIGHTS,
    COMMENTS,
    FULL_SURVEY,
    LOCALE_WEIGHTS,
    RATING_WEIGHTS,
    RATINGS,
    ROLE_WEIGHTS,
    SAFEGUARDING_EXAMPLE,
    SHORT_SURVEY,
)

GOAL_RATIO = 5.0
GOAL_SECONDS = 2.0
TIMED_REQUESTS = 5
SPAN = timedelta(days=730)  # responses spread over the last two years
CHUNK = 25_000  # responses generated and copied at a time
PROFILES = 500  # distinct sets of inclusion answers per survey and channel
LEAD_EMAIL = "lead@bench.invalid"
LEAD_PASSWORD = "a bench lead's password"

# (slug, name, kind, survey, share of responses): the first is the one measured. The short
# survey asks too few inclusion questions to tell anyone's exclusion risk ("unknown").
SERVICES = [
    ("video-appointments", "Video appointments", "video_consultation", "full", 25),
    ("patient-portal", "Patient portal", "portal", "full", 18),
    ("online-booking", "Online appointment booking", "online_booking", "short", 14),
    ("blood-pressure-at-home", "Blood pressure at home", "remote_monitoring", "full", 10),
    ("repeat-prescriptions", "Repeat prescriptions online", "portal", "short", 9),
    ("physio-app", "Physiotherapy app", "app", "full", 7),
    ("online-consultations", "Online consultations", "online_booking", "full", 6),
    ("diabetes-monitoring", "Diabetes monitoring at home", "remote_monitoring", "full", 5),
    ("test-results", "Test results by text", "other", "short", 4),
    ("mental-health-app", "Mental health self-help app", "app", "short", 2),
]
# Share of responses with free text: 20% "could improve" only, 12% "was good" only, 8% both.
COMMENT_MIX = ((0.20, ("fft_what_could_improve",)), (0.32, ("fft_what_was_good",)),
               (0.40, ("fft_what_was_good", "fft_what_could_improve")))
# Odds that an inclusion answer is any answer rather than one that shows no barrier: people
# reached on paper or with help meet more barriers than those who answer on the web.
BARRIER_ODDS = {"web": 0.06, "sms": 0.10, "paper": 0.15, "assisted": 0.20}
NO_RATING = {"paper": 0.04, "sms": 0.02}  # paper left blank, an SMS survey abandoned
SAFEGUARDING_SHARE = 0.0005  # "could improve" comments that may disclose risk

TABLES = {
    "responses": "id, service_id, survey_version_id, channel, respondent_role, locale, "
                 "submitted_at, assistance_mode",
    "response_versions": "id, response_id, number, created_at",
    "answers": "id, response_version_id, question_id, status, choice, choices, text",
    "response_analyses": "id, response_id, response_version_id, service_id, submitted_on, "
                         "fft_rating, analyser_version, analysed_at, risk_level, risk_score, "
                         "weights_version",
    "risk_reasons": "id, response_analysis_id, code, domain, points",
    "comment_analyses": "id, response_analysis_id, question_id, language, scored, "
                        "sentiment_label, sentiment_score, sentiment_level, redacted_text, "
                        "sentences, personal_data",
    "comment_themes": "id, comment_id, theme, sentiment_label, sentiment_score",
    "safeguarding_flags": "id, response_id, question_id, service_id, categories, "
                          "detector_version, flagged_at, status",
}
NULL = "\\N"


def _copy_text(value) -> str:
    """A value as COPY's text format wants it."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    return text


def _fields(*values) -> str:
    return "\t".join(_copy_text(v) for v in values)


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, names: list, cumulative: list[float]):
    return names[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


@dataclass
class Profile:
    """One respondent's inclusion answers and the exclusion risk the analyser gives them."""

    answers: list[str]  # answers rows after "id\tversion id"
    risk_level: str
    risk_score: float
    reasons: list[str]  # risk_reasons rows after "id\tanalysis id"


@dataclass
class Comment:
    answer: str  # the answers row after "id\tversion id"
    analysis: str  # the comment_analyses row after "id\tanalysis id"
    themes: list[str]  # comment_themes rows after "id\tcomment id"
    flag: str | None  # the safeguarding_flags row after "id\tresponse id", when flagged


class Generator:
    """Synthetic responses as COPY rows, with the analysers' real results for their content.

    The analysers run once per distinct comment and set of inclusion answers, not once per
    response, so a million responses take minutes, not hours.
    """

    def __init__(self, services: list[dict], questions: dict[str, Question], seed: int):
        self.rng = random.Random(seed)
        self.services = services
        self.questions = questions
        self.service_cumulative = _cumulative(s["share"] for s in services)
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_cumulative = _cumulative(CHANNEL_WEIGHTS.values())
        self.locales = list(LOCALE_WEIGHTS)
        self.locale_cumulative = _cumulative(LOCALE_WEIGHTS.values())
        self.roles = list(ROLE_WEIGHTS)
        self.role_cumulative = _cumulative(ROLE_WEIGHTS.values())
        self.rating_cumulative = {c: _cumulative(w) for c, w in RATING_WEIGHTS.items()}
        self.version = analyser_version()
        self.weights_version = exclusion.default_weights().version
        self.clean = {key: self._clean(q) for key, q in questions.items()
                      if q.kind not in ("fft_rating", "free_text")}
        self.profiles = {(survey, channel): [self._profile(survey, channel)
                                             for _ in range(PROFILES)]
                         for survey in ("full", "short") for channel in self.channels}
        self.texts = self._texts()
        self.comments: dict[tuple, Comment] = {}
        self.next_id = dict.fromkeys(TABLES, 1)

    # --- content, analysed once ------------------------------------------------------------

    def _texts(self) -> dict:
        """Comment texts by locale and question, from the demo's: English ones joined up to
        three at a time so that lengths and themes vary."""
        texts: dict = {}
        for locale, pairs in COMMENTS.items():
            good = [g for g, _i in pairs if g]
            improve = [i for _g, i in pairs if i]
            if locale == "en":
                good = [" ".join(c) for n in (1, 2, 3) for c in itertools.permutations(good, n)]
                improve = [" ".join(c) for n in (1, 2, 3)
                           for c in itertools.permutations(improve, n)]
            texts[locale] = {"fft_what_was_good": good, "fft_what_could_improve": improve}
        return texts

    def _clean(self, question: Question) -> list:
        """The answers to a question that give no reason for exclusion risk on their own."""
        values = [o["value"] for o in question.options]
        if question.kind == "multiple_choice":
            exclusive = [o["value"] for o in question.options if o.get("exclusive")]
            ordinary = [v for v in values if v not in exclusive]
            candidates = [ordinary, *([v] for v in values)]
        else:
            candidates = values
        baseline = {r.code for r in exclusion.assess({}, channel="web").reasons}
        return [c for c in candidates
                if {r.code for r in exclusion.assess({question.key: c}, channel="web").reasons}
                <= baseline]

    def _profile(self, survey: str, channel: str) -> Profile:
        keys = FULL_SURVEY if survey == "full" else SHORT_SURVEY
        rows, given = [], {}
        for key in keys:
            question = self.questions[key]
            if question.kind in ("fft_rating", "free_text"):
                continue
            values = [o["value"] for o in question.options]
            choice = choices = None
            status = "answered"
            if self.rng.random() < 0.12:
                status = "blank" if channel == "paper" else "skipped"
            else:
                if self.rng.random() < BARRIER_ODDS[channel] or not self.clean[key]:
                    if question.kind == "multiple_choice":
                        answer = self.rng.sample(values, self.rng.randint(1, 3))
                    else:
                        answer = self.rng.choice(values)
                else:
                    answer = self.rng.choice(self.clean[key])
                if question.kind == "multiple_choice":
                    choices = answer
                else:
                    choice = answer
                given[key] = answer
            rows.append("\t" + _fields(question.id, status, choice,
                                       json.dumps(choices) if choices else None, None) + "\n")
        risk = exclusion.assess(given, channel=channel,
                                helped=True if channel == "assisted" else None)
        return Profile(rows, risk.level, round(risk.score, 3),
                       ["\t" + _fields(r.code, r.domain, r.points) + "\n" for r in risk.reasons])

    def _comment(self, locale: str, key: str, text: str, rating: str | None) -> Comment:
        cache_key = (locale, key, text, rating)
        if cache_key in self.comments:
            return self.comments[cache_key]
        question = self.questions[key]
        result = analyse(text, question=key, rating=rating, language=locale)
        sentiment = result.sentiment
        sentences = [{"text": redact(s.text).text, "score": round(s.score, 3), "label": s.label}
                     for s in result.sentences]
        personal = sorted({label for label, _start, _end in result.redacted.found})
        flag = None
        if result.safeguarding.flagged:
            flag = "\t" + _fields(question.id, "{service}",
                                  json.dumps(list(result.safeguarding.categories)),
                                  result.safeguarding.version, "{at}", "waiting") + "\n"
        comment = Comment(
            answer="\t" + _fields(question.id, "answered", None, None, text) + "\n",
            analysis="\t" + _fields(
                question.id, result.language, result.scored,
                sentiment.label if sentiment else None,
                round(sentiment.score, 3) if sentiment else None,
                sentiment.level if sentiment else None, result.redacted.text,
                json.dumps(sentences, ensure_ascii=False), json.dumps(personal)) + "\n",
            themes=["\t" + _fields(t.key, t.sentiment_label, t.sentiment_score) + "\n"
                    for t in result.themes],
            flag=flag)
        self.comments[cache_key] = comment
        return comment

    # --- rows -------------------------------------------------------------------------------

    def _take(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def rows(self, count: int, now: datetime):
        """Yield {table: [rows]} for `count` responses in chunks, oldest first."""
        rng = self.rng
        seconds = SPAN.total_seconds()
        offsets = sorted(rng.random() * seconds for _ in range(count))
        start = now - SPAN
        for first in range(0, count, CHUNK):
            out: dict[str, list[str]] = {table: [] for table in TABLES}
            for offset in offsets[first:first + CHUNK]:
                self._response(out, start + timedelta(seconds=offset))
            yield out

    def _response(self, out: dict, submitted_at: datetime) -> None:
        rng = self.rng
        service = _pick(rng, self.services, self.service_cumulative)
        channel = _pick(rng, self.channels, self.channel_cumulative)
        locale = _pick(rng, self.locales, self.locale_cumulative)
        role = _pick(rng, self.roles, self.role_cumulative)
        rating = _pick(rng, RATINGS, self.rating_cumulative[channel])
        if rng.random() < NO_RATING.get(channel, 0):
            rating = None
        mode = rng.choice(("in_person", "phone")) if channel == "assisted" else None
        response_id = self._take("responses")
        self.next_id["response_versions"] = self.next_id["response_analyses"] = response_id + 1
        at = submitted_at.isoformat(sep=" ")
        analysed_at = (submitted_at + timedelta(seconds=2)).isoformat(sep=" ")
        out["responses"].append(f"{response_id}\t{service['id']}\t{service['version_id']}\t"
                                f"{channel}\t{role}\t{locale}\t{at}\t{mode or NULL}\n")
        out["response_versions"].append(f"{response_id}\t{response_id}\t1\t{at}\n")
        prefix = f"\t{response_id}"  # answers.response_version_id: version id = response id
        answers = out["answers"]
        fft = self.questions["fft_rating"].id
        if rating is None:
            answers.append(f"{self._take('answers')}{prefix}\t{fft}\t"
                           f"{'blank' if channel == 'paper' else 'skipped'}\t\\N\t\\N\t\\N\n")
        else:
            answers.append(f"{self._take('answers')}{prefix}\t{fft}\tanswered\t{rating}"
                           "\t\\N\t\\N\n")
        profile = rng.choice(self.profiles[(service["survey"], channel)])
        for row in profile.answers:
            answers.append(f"{self._take('answers')}{prefix}{row}")
        out["response_analyses"].append(
            f"{response_id}\t{response_id}\t{response_id}\t{service['id']}\t"
            f"{uk_date(submitted_at).isoformat()}\t{rating or NULL}\t{self.version}\t"
            f"{analysed_at}\t{profile.risk_level}\t{profile.risk_score}\t{self.weights_version}\n")
        for row in profile.reasons:
            out["risk_reasons"].append(f"{self._take('risk_reasons')}{prefix}{row}")
        draw = rng.random()
        keys = next((keys for limit, keys in COMMENT_MIX if draw < limit), ())
        for key in keys:
            if key == "fft_what_could_improve" and rng.random() < SAFEGUARDING_SHARE:
                text, language = SAFEGUARDING_EXAMPLE, "en"
            else:
                text, language = rng.choice(self.texts[locale][key]), locale
            comment = self._comment(language, key, text, rating)
            answers.append(f"{self._take('answers')}{prefix}{comment.answer}")
            comment_id = self._take("comment_analyses")
            out["comment_analyses"].append(f"{comment_id}{prefix}{comment.analysis}")
            for row in comment.themes:
                out["comment_themes"].append(f"{self._take('comment_themes')}\t{comment_id}{row}")
            if comment.flag:
                flag = comment.flag.replace("{service}", str(service["id"])).replace(
                    "{at}", analysed_at)
                out["safeguarding_flags"].append(f"{self._take('safeguarding_flags')}{prefix}"
                                                 f"{flag}")


# --- loading -------------------------------------------------------------------------------------


def set_up(app) -> tuple[list[dict], dict[str, Question], str]:
    """The question bank, the ten services with a survey each, and the lead of the first;
    returns the services, the questions by key and the lead's authenticator secret."""
    with app.app_context():
        question_bank.sync_question_bank()
        services = []
        for slug, name, kind, survey_kind, share in SERVICES:
            service = surveys.create_service(slug=slug, name=name, kind=kind,
                                             description={"en": name})
            survey = surveys.create_survey(
                service_id=service.id, name=f"{name} feedback",
                languages=list(LOCALE_WEIGHTS),
                question_keys=FULL_SURVEY if survey_kind == "full" else SHORT_SURVEY,
                opens_at=utcnow() - SPAN - timedelta(days=1))
            services.append({"id": service.id, "version_id": survey.versions[0].id,
                             "survey": survey_kind, "share": share, "slug": slug})
        questions = {q.key: q for q in db.session.scalars(db.select(Question))}
        for question in questions.values():
            db.session.expunge(question)  # plain records from here on
        secret = pyotp.random_base32()
        lead = User(email=LEAD_EMAIL, name="Bench Lead", role=Role.SERVICE_LEAD,
                    password_hash=generate_password_hash(LEAD_PASSWORD), totp_secret=secret,
                    totp_confirmed_at=utcnow(), can_review_safeguarding=False)
        lead.services = [surveys.get_service_by_slug(SERVICES[0][0])]
        db.session.add(lead)
        db.session.commit()
    return services, questions, secret


def _generate(generator: Generator, count: int, now: datetime, queue) -> None:
    """In a child process: each chunk's COPY text, then the generator's state to carry on."""
    for chunk in generator.rows(count, now):
        queue.put({table: "".join(rows) for table, rows in chunk.items() if rows})
    queue.put(None)
    queue.put((generator.next_id, generator.rng.getstate(), generator.comments))


def _chunks(generator: Generator, count: int, now: datetime):
    """generator.rows(), joined up and made in another process, so that Python generates the
    next chunk while PostgreSQL copies this one: two cores, each busy."""
    context = multiprocessing.get_context("fork")
    chunks = context.Queue(maxsize=2)
    child = context.Process(target=_generate, args=(generator, count, now, chunks), daemon=True)
    child.start()
    while (chunk := chunks.get(timeout=600)) is not None:
        yield chunk
    generator.next_id, state, generator.comments = chunks.get(timeout=600)
    generator.rng.setstate(state)
    child.join()


def load(app, database_url: str, generator: Generator, count: int) -> dict[str, float]:
    """Add `count` responses; returns the seconds spent copying, rebuilding rollups and
    vacuuming."""
    timings = {}
    started = time.perf_counter()
    now = utcnow()
    with psycopg.connect(database_url) as conn:
        # Foreign keys are checked by construction here; checking each of ~15 million rows
        # again would only slow the load. Only the bench's own throwaway database is touched.
        conn.execute("SET session_replication_role = replica")
        with conn.cursor() as cursor:
            for chunk in _chunks(generator, count, now):
                for table, text in chunk.items():
                    with cursor.copy(f"COPY {table} ({TABLES[table]}) FROM STDIN") as copy:
                        copy.write(text)
            for table in TABLES:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"{max(generator.next_id[table] - 1, 1)})")
    timings["copy"] = time.perf_counter() - started
    started = time.perf_counter()
    with app.app_context():
        rollups.rebuild()
        db.session.remove()
    timings["rollups"] = time.perf_counter() - started
    started = time.perf_counter()
    # Vacuumed as autovacuum soon would be, and now rather than in the middle of the timing.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    timings["vacuum"] = time.perf_counter() - started
    return timings


# --- timing over HTTP ----------------------------------------------------------------------------


class _CsrfToken(HTMLParser):
    token: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") == "csrf_token":
            self.token = attributes.get("value")


def _csrf(html: str) -> str:
    parser = _CsrfToken()
    parser.feed(html)
    if not parser.token:
        raise RuntimeError("no csrf_token on the page")
    return parser.token


_last_step: dict[str, int] = {}  # per database: the last time step whose code was used


def sign_in(base: str, database_url: str, secret: str) -> requests.Session:
    """Sign the lead in as a person would: the password, then the authenticator's code."""
    session = requests.Session()
    page = session.get(f"{base}/sign-in", timeout=30)
    answer = session.post(f"{base}/sign-in", data={
        "email": LEAD_EMAIL, "password": LEAD_PASSWORD, "csrf_token": _csrf(page.text)},
        allow_redirects=False, timeout=30)
    if answer.status_code != 302 or not answer.headers["Location"].endswith("/sign-in/code"):
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    totp = pyotp.TOTP(secret)
    # A code is good once: wait for the next one if this time step was used already.
    while int(time.time()) // totp.interval == _last_step.get(database_url):
        time.sleep(1)
    _last_step[database_url] = int(time.time()) // totp.interval
    page = session.get(f"{base}/sign-in/code", timeout=30)
    answer = session.post(f"{base}/sign-in/code", data={
        "code": totp.now(), "csrf_token": _csrf(page.text)}, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"the code page answered {answer.status_code}")
    return session


@dataclass
class Timing:
    p50: float
    worst: float
    status: int
    size: int
    peak_rss_kb: int


def _get(session: requests.Session, url: str) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = session.get(url, allow_redirects=False, timeout=300)
    return time.perf_counter() - started, response


def time_reports(envs: dict[int, dict], secret: str, path: str) -> dict[int, Timing]:
    """Time the report on each database, each under its own gunicorn, request by request in
    turn: on a shared machine the others' work then slows both sizes alike, rather than
    deciding the ratio by when each size happened to be timed."""
    with ExitStack() as stack:
        servers = {size: stack.enter_context(gunicorn_process(env)) for size, env in envs.items()}
        urls = {size: base + path for size, (base, _process) in servers.items()}
        sessions = {size: sign_in(base, envs[size]["DATABASE_URL"], secret)
                    for size, (base, _process) in servers.items()}
        for size in servers:
            # Warm both workers at once, so neither answers its first request in the timing.
            warm = [threading.Thread(target=_get, args=(sessions[size], urls[size]))
                    for _ in range(2)]
            for thread in warm:
                thread.start()
            for thread in warm:
                thread.join()
        results: dict[int, list] = {size: [] for size in servers}
        for _ in range(TIMED_REQUESTS):
            for size in servers:
                results[size].append(_get(sessions[size], urls[size]))
        timings = {}
        for size, (_base, process) in servers.items():
            seconds = [s for s, _r in results[size]]
            last = results[size][-1][1]
            timings[size] = Timing(
                statistics.median(seconds), max(seconds), last.status_code, len(last.content),
                max((peak_rss_kb(pid) for pid in worker_pids(process.pid)), default=0))
    return timings


def _counted(database_url: str, service_id: int, period) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        total, measured = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE service_id = %s) FROM responses",
            (service_id,)).fetchone()
        in_period = conn.execute(
            "SELECT coalesce(sum(responses), 0) FROM rollup_responses WHERE service_id = %s"
            " AND day >= %s AND day < %s", (service_id, period.start, period.end)).fetchone()[0]
    return measured / total, in_period


def _app(database_url: str):
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=REDIS_URL)
    return create_app()


def _load(app, database_url: str, generator: Generator, count: int, label: str,
          measured: dict, period) -> None:
    with app.app_context():
        timings = load(app, database_url, generator, count)
        db.engine.dispose()  # no connection left open: the database may be copied next
    share, in_period = _counted(database_url, measured["id"], period)
    print(f"{label}: {sum(timings.values()):.1f} s (COPY {timings['copy']:.1f} s, rollups "
          f"{timings['rollups']:.1f} s, VACUUM ANALYZE {timings['vacuum']:.1f} s); "
          f"{measured['slug']} holds {share:.1%}, {in_period:,} of them in {period.slug}")


def _env(database_url: str) -> dict:
    return {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL, "PUBLIC_BASE_URL": "http://bench.invalid"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    Redis.from_url(REDIS_URL).flushdb()  # sign-in counters from an earlier run
    period = current_period("month", uk_date(utcnow())).previous()
    with fresh_database() as small_url:
        flask(_env(small_url), "db", "upgrade")
        app = _app(small_url)
        started = time.perf_counter()
        services, questions, secret = set_up(app)
        with app.app_context():
            generator = Generator(services, questions, args.seed)
            db.engine.dispose()
        print(f"set-up (question bank, {len(services)} services with a survey each, the lead, "
              f"{PROFILES} inclusion profiles per survey and channel): "
              f"{time.perf_counter() - started:.1f} s")
        measured = services[0]
        _load(app, small_url, generator, args.small, f"{args.small:,} responses loaded",
              measured, period)
        # The large database is the small one and more, so both are timed side by side.
        with fresh_database(template=small_url) as large_url:
            _load(_app(large_url), large_url, generator, args.large - args.small,
                  f"{args.large - args.small:,} more in a copy", measured, period)
            path = f"/reports/services/{measured['id']}?period={period.slug}"
            print(f"\nGET {path}, {TIMED_REQUESTS} times on each in turn after warming up:")
            results = time_reports({args.small: _env(small_url), args.large: _env(large_url)},
                                   secret, path)
    load_average = os.getloadavg()[0]
    Redis.from_url(REDIS_URL).flushdb()
    for size, timing in results.items():
        print(f"  {size:>9,} responses: {timing.status}, {timing.size:,} bytes; p50 "
              f"{timing.p50 * 1000:.0f} ms, max {timing.worst * 1000:.0f} ms; workers' peak "
              f"RSS {timing.peak_rss_kb / 1024:.0f} MB")
    small, large = results[args.small], results[args.large]
    ratio = large.p50 / small.p50
    ok = (small.status == large.status == 200 and ratio <= GOAL_RATIO
          and large.p50 < GOAL_SECONDS)
    print(f"  load average {load_average:.1f} on {os.cpu_count()} CPUs")
    print(f"\n{args.large:,} / {args.small:,}: p50 {ratio:.1f}x (goal: at most {GOAL_RATIO:.0f}x), "
          f"{args.large:,} p50 {large.p50:.2f} s (goal: under {GOAL_SECONDS:.0f} s)")
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a bench reports; it never fails the shell that ran it
        traceback.print_exc()
        print("FAIL: the bench could not finish")

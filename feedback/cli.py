"""Flask CLI commands: worker, translate, bank, demo, jobs."""

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"
POT_FILE = TRANSLATIONS / "messages.pot"

translate = AppGroup("translate", help="Extract, add and compile translations.")
bank = AppGroup("bank", help="The question bank.")
demo = AppGroup("demo", help="Demonstration data for a newcomer's machine.")
jobs_cli = AppGroup("jobs", help="Background jobs.")
users_cli = AppGroup("users", help="Staff accounts.")
retention_cli = AppGroup("retention", help="Removing data on schedule.")
analysis_cli = AppGroup("analysis", help="Sentiment and theme analysis of free text.")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


def extract_messages(output: Path = POT_FILE) -> None:
    _pybabel(
        "extract", "-F", str(TRANSLATIONS / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
        "--no-location", "--sort-output", "--omit-header",
        "-o", str(output), str(PROJECT_ROOT / "feedback"),
    )


@translate.command("init")
@click.argument("language")
def translate_init(language: str) -> None:
    """Start a new language."""
    extract_messages()
    _pybabel("init", "-i", str(POT_FILE), "-d", str(TRANSLATIONS), "-l", language)


@translate.command("update")
def translate_update() -> None:
    """Extract messages and merge them into every language."""
    extract_messages()
    _pybabel("update", "-i", str(POT_FILE), "-d", str(TRANSLATIONS), "--no-fuzzy-matching",
             "--ignore-obsolete")


@translate.command("compile")
def translate_compile() -> None:
    """Compile every language for use."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


@bank.command("sync")
def bank_sync() -> None:
    """Load feedback/question_bank.toml: new questions, and new revisions of changed ones."""
    from .services.question_bank import sync_question_bank

    counts = sync_question_bank()
    click.echo(
        "Question bank: {added} added, {revised} revised, {unchanged} unchanged".format(**counts)
    )


@demo.command("load")
@click.option("--responses", "response_count", default=360, show_default=True)
@click.option("--seed", default=2026, show_default=True)
def demo_load(response_count: int, seed: int) -> None:
    """Load demonstration services and responses, once: does nothing if services exist."""
    from .services.demo import DEMO_PASSWORD, DEMO_STAFF, load_demo_data

    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Demo data is for development machines only.")
    loaded = load_demo_data(response_count=response_count, seed=seed)
    if loaded is None:
        click.echo("Demo data: already loaded (services exist), nothing changed")
    else:
        click.echo(f"Demo data: {loaded['services']} services, {loaded['responses']} responses")
        sheets = loaded["sheets"]
        click.echo(f"Printed demo paper forms to key: {sheets[0]} to {sheets[-1]}")
    click.echo(f"Demo staff (password \"{DEMO_PASSWORD}\"): "
               + ", ".join(email for email, _, _ in DEMO_STAFF))
    click.echo("The admin and lead need an authenticator code: "
               "FLASK_APP=wsgi .venv/bin/flask demo code lead@demo.invalid")


@demo.command("code")
@click.argument("email")
def demo_code(email: str) -> None:
    """Print the current authenticator code of a demo account (development only)."""
    from .services.demo import current_demo_code

    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Demo accounts do not exist in production.")
    code = current_demo_code(email)
    if code is None:
        raise click.ClickException("Only demo accounts (@demo.invalid) have a code here.")
    click.echo(code)


@users_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt="Full name")
@click.password_option(help="At least 12 characters, not a common one.")
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first administrator. They set up a second factor at first sign-in."""
    from .services.users import UserError
    from .services.users import create_admin as create

    try:
        user = create(email=email, name=name, password=password)
    except UserError as error:
        raise click.ClickException(_USER_ERRORS.get(error.code, error.code)) from error
    click.echo(f"Administrator {user.email} created. Sign in at /sign-in.")


@users_cli.command("invite")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "service_lead", "volunteer"]), required=True)
@click.option("--service", "service_slugs", multiple=True, help="A service a lead leads (slug).")
def invite(email: str, name: str, role: str, service_slugs: tuple[str, ...]) -> None:
    """Invite someone and print their one-time link to set a password."""
    from flask import url_for

    from .services.surveys import get_service_by_slug
    from .services.users import UserError, invite_user

    services = [get_service_by_slug(slug) for slug in service_slugs]
    if None in services:
        raise click.ClickException("Unknown service: " + ", ".join(
            slug for slug, s in zip(service_slugs, services, strict=True) if s is None))
    try:
        user, token = invite_user(
            email=email, name=name, role=role, service_ids=[s.id for s in services],
            invited_by=None, lifetime=current_app.config["INVITATION_LIFETIME"],
        )
    except UserError as error:
        raise click.ClickException(_USER_ERRORS.get(error.code, error.code)) from error
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_BASE_URL")):
        link = url_for("auth.accept_invitation", token=token, _external=True)
    click.echo(f"Invitation for {user.email} ({role}), valid once for "
               f"{current_app.config['INVITATION_LIFETIME'].days} days:\n{link}")


_USER_ERRORS = {
    "invalid_email": "That is not an email address.",
    "email_taken": "There is already an account with that email address.",
    "too_short": "The password must be at least 12 characters long.",
    "guessable": "That password is too easy to guess: try three or more unrelated words.",
    "invalid_role": "Unknown role.",
}


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="Count what would be blanked; change nothing.")
def retention_apply(dry_run: bool) -> None:
    """Blank every field older than the retention settings allow, and record it."""
    from .services.retention import apply_retention

    counts = apply_retention(days=current_app.config["RETENTION_DAYS"], dry_run=dry_run)
    verb = "Would blank" if dry_run else "Blanked"
    for name, count in counts.items():
        click.echo(f"{verb} {count} {name} field(s)")


def _sentiment_model_path() -> Path:
    configured = current_app.config.get("SENTIMENT_MODEL_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / \
        "sentiment-model.skops"


_CSV = click.Path(exists=True, dir_okay=False, path_type=Path)


@analysis_cli.command("evaluate")
@click.option("--csv", "csv_path", type=_CSV, required=True,
              help="Labelled comments: comment_id, fft_question, fft_score, text, sentiment "
                   "(1-5), split, ...")
@click.option("--split", default="test", show_default=True, help="The rows to score.")
@click.option("--predictions", "predictions_path",
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write comment_id,predicted for each scored row to this CSV.")
@click.option("--analyser", default="built-in", show_default=True,
              type=click.Choice(["built-in", "textblob", "baseline", "trained"]),
              help="Whose predictions --predictions writes.")
def analysis_evaluate(csv_path: Path, split: str, predictions_path: Path | None,
                      analyser: str) -> None:
    """Score the sentiment analysers against labelled comments.

    baseline (TF-IDF and logistic regression on the text) and trained (the model `flask
    analysis train` makes) are fitted on the dev rows of the same file.
    """
    from .analysis import evaluation
    from .analysis.training import TrainingError

    try:
        report = evaluation.evaluate(evaluation.read_csv(csv_path), split=split)
    except (evaluation.DataError, TrainingError) as error:
        raise click.UsageError(str(error)) from error
    for note in report.notes:
        click.echo(note)
    for scores in report.scores:
        click.echo(scores.line())
    click.echo(f"\n{report.confusions()}")
    if predictions_path is not None:
        if analyser not in report.predictions:
            raise click.UsageError(f"no predictions from {analyser}: it was skipped")
        try:
            with predictions_path.open("w", newline="", encoding="utf-8") as handle:
                evaluation.write_predictions(handle, report.rows, report.predictions[analyser])
        except OSError as error:
            raise click.ClickException(f"could not write the predictions: {error}") from error
        click.echo(f"\n{analyser} predictions for {len(report.rows)} comments written to "
                   f"{predictions_path}")


@analysis_cli.command("train")
@click.option("--csv", "csv_path", type=_CSV, required=True,
              help="The trust's labelled comments; every row is used, whatever its split.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save the model [default: SENTIMENT_MODEL_PATH, or "
                   "sentiment-model.skops in the instance folder].")
def analysis_train(csv_path: Path, output: Path | None) -> None:
    """Fit a sentiment model on labelled comments and save it for the analysers to use."""
    from .analysis import evaluation, training

    try:
        rows = [row.labelled() for row in evaluation.read_csv(csv_path, need_split=False)]
        click.echo(f"Choosing among {len(training.CANDIDATES)} candidates by cross-validation "
                   f"on {len(rows)} comments; this takes a minute or so for a few thousand.")
        classifier = training.train(rows)
    except (evaluation.DataError, training.TrainingError) as error:
        raise click.UsageError(str(error)) from error
    for name, value in classifier.cv_scores.items():
        chosen = "  <- chosen" if name == classifier.candidate else ""
        click.echo(f"  {name}: cross-validated 5-class macro-F1 {value:.3f}{chosen}")
    try:
        path = classifier.save(output or _sentiment_model_path())
    except OSError as error:
        raise click.ClickException(f"could not save the model: {error}") from error
    click.echo(f"Model {classifier.version} ({classifier.candidate}, cross-validated 5-class "
               f"macro-F1 {classifier.cv_macro_f1:.3f}) saved to {path}")


@analysis_cli.command("rerun")
@click.option("--service", "service_slug", help="Only this service (its slug).")
@click.option("--all", "everything", is_flag=True,
              help="Every response, not only those analysed by other analysers.")
def analysis_rerun(service_slug: str | None, everything: bool) -> None:
    """Analyse responses again after an upgrade or a new trained model, with progress."""
    from .services import analysis, rollups
    from .services.surveys import get_service_by_slug

    service_id = None
    if service_slug:
        service = get_service_by_slug(service_slug)
        if service is None:
            raise click.UsageError(f"there is no service {service_slug!r}")
        service_id = service.id
    ids = analysis.to_rerun(service_id=service_id, everything=everything)
    if not ids:
        click.echo(f"Nothing to do: every response is analysed by {analysis.current_version()}.")
        return
    failed = 0
    with click.progressbar(length=len(ids), label=f"Analysing {len(ids)} responses") as bar:
        for done in analysis.rerun(ids):
            failed += done is None
            bar.update(1)
    # Rollups are rebuilt per response as it goes; once more whole, for anything missed.
    rollups.rebuild(service_id)
    click.echo(f"Analysed {len(ids) - failed} responses with {analysis.current_version()}"
               + (f"; {failed} failed (see the log) and the sweep retries them" if failed else ""))


reports_cli = AppGroup("reports", help="Report rollups.")


@reports_cli.command("rebuild-rollups")
@click.option("--service", "service_slug", help="Only this service (its slug).")
def rebuild_rollups(service_slug: str | None) -> None:
    """Rebuild the reports' counts from the analysis results (after a restore or a repair)."""
    from .services import rollups
    from .services.surveys import get_service_by_slug

    service_id = None
    if service_slug:
        service = get_service_by_slug(service_slug)
        if service is None:
            raise click.UsageError(f"there is no service {service_slug!r}")
        service_id = service.id
    rollups.rebuild(service_id)
    click.echo("Rollups rebuilt.")


@jobs_cli.command("run-periodic")
def run_periodic() -> None:
    """Run every periodic job once, now, in this process."""
    from .jobs import run_periodic_jobs_once

    run_periodic_jobs_once()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--no-cron", is_flag=True,
              help="Do not schedule periodic jobs here (when another worker does).")
def worker(burst: bool, no_cron: bool) -> None:
    """Run an RQ worker on every queue, and the periodic-job scheduler."""
    from multiprocessing import Process

    from .jobs import QueueNames, get_redis, make_cron_scheduler, make_worker

    if get_redis() is None:
        raise click.ClickException("REDIS_URL is not set: without it jobs run in the web process")
    cron = None
    if not no_cron and not burst:
        scheduler = make_cron_scheduler()
        cron = Process(target=_run_cron, args=(current_app._get_current_object(), scheduler),
                       name="rq-cron", daemon=True)
        cron.start()
    try:
        make_worker(QueueNames.all()).work(burst=burst, with_scheduler=True)
    finally:
        if cron is not None and cron.is_alive():
            cron.terminate()


def _run_cron(app: Flask, scheduler) -> None:
    import logging
    import time

    from redis.exceptions import RedisError
    from rq.exceptions import StopRequested

    with app.app_context():
        while True:
            try:
                scheduler.start()
                return  # stopped by the worker
            except RedisError as error:
                # RQ's scheduler gives up when Redis goes away, and the worker does not start
                # it again: without this, the sweeps that find the work an outage lost would
                # never run again after it. Start again, keeping each job's place in time.
                logging.getLogger(__name__).warning(
                    "Periodic-job scheduler lost Redis (%s); starting again in 5 s", error)
            try:
                time.sleep(5)
            except StopRequested:  # SIGTERM from the worker, as it stops
                return


def register_cli(app: Flask) -> None:
    for command in (translate, bank, demo, jobs_cli, users_cli, retention_cli, analysis_cli,
                    reports_cli, worker):
        app.cli.add_command(command)




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
    from .services.demo import load_demo_data

    loaded = load_demo_data(response_count=response_count, seed=seed)
    if loaded is None:
        click.echo("Demo data: already loaded (services exist), nothing changed")
    else:
        click.echo(f"Demo data: {loaded['services']} services, {loaded['responses']} responses")


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
    with app.app_context():
        scheduler.start()


def register_cli(app: Flask) -> None:
    for command in (translate, bank, demo, jobs_cli, worker):
        app.cli.add_command(command)




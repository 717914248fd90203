"""`flask worker` in a process of its own, on the fault tests' servers.

    python -m tests.faults.worker_process [worker options such as --no-cron]

It runs the real `worker` command with FaultConfig, read from the environment:

- FAULTS_DATABASE_URL, FAULTS_REDIS_URL: the servers;
- FAULTS_ANALYSIS_SWEEP_SECONDS: seconds between analysis sweeps (production waits minutes);
- FAULTS_HANG_MARKER: a path. The first analysis to get that far hangs after writing its
  results but before committing them, and writes its process id (the work horse's) there,
  so a test can kill it mid-job. Only this test helper can do that: feedback/ has no hook.
- FAULTS_START_WHEN: a path. Load the app, then wait for that file before starting the worker,
  so a test can have a worker ready to start the moment another dies.
"""

import logging
import os
import sys
import time
from pathlib import Path

import pytest

from feedback import create_app
from feedback.analysis import analyse
from feedback.cli import worker
from tests.faults.apps import FaultConfig


def hang_analysis_once(patch: pytest.MonkeyPatch, marker: Path) -> None:
    from feedback.services import rollups

    refresh_day = rollups.refresh_day

    def refresh_then_hang(service_id, day):
        refresh_day(service_id, day)  # the analysis and rollups are written, not committed
        try:
            with marker.open("x") as claimed:  # only the first job that gets here
                claimed.write(str(os.getpid()))
        except FileExistsError:
            return
        time.sleep(3600)

    patch.setattr(rollups, "refresh_day", refresh_then_hang)


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s: %(message)s")
    settings = {}
    if os.environ.get("FAULTS_ANALYSIS_SWEEP_SECONDS"):
        settings["ANALYSIS_SWEEP_INTERVAL"] = int(os.environ["FAULTS_ANALYSIS_SWEEP_SECONDS"])
    app = create_app(FaultConfig(os.environ["FAULTS_DATABASE_URL"],
                                 os.environ["FAULTS_REDIS_URL"], **settings))
    # Load the analysers' word lists before the worker forks its work horses, as the pytest
    # process does: otherwise every analysis job loads them again, a second or more each.
    analyse("Warm up.", question="fft_what_could_improve", rating="good", language="en")
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        if os.environ.get("FAULTS_HANG_MARKER"):
            hang_analysis_once(patch, Path(os.environ["FAULTS_HANG_MARKER"]))
        if os.environ.get("FAULTS_START_WHEN"):
            go = Path(os.environ["FAULTS_START_WHEN"])
            while not go.exists():
                time.sleep(0.05)
        worker.main(args=argv, prog_name="flask worker")


if __name__ == "__main__":
    main(sys.argv[1:])

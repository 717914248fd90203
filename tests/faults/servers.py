"""PostgreSQL and Redis servers of the fault tests' own, on spare ports, to stop and start.

Never the machine's own servers: those are shared and must keep running. A missing binary is
an error, not a skip, so a machine that cannot run these tests says so.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class ServerError(RuntimeError):
    """A server of our own could not be set up, started or stopped."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, up: bool, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                listening = True
        except OSError:
            listening = False
        if listening == up:
            return
        time.sleep(0.05)
    raise ServerError(f"port {port} still {'closed' if up else 'open'} after {timeout} s")


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl live: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                        else 0)
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise ServerError("PostgreSQL's initdb and pg_ctl are not installed "
                      "(Debian: apt-get install postgresql)")


class PostgresServer:
    """A throwaway PostgreSQL cluster in a temporary directory.

    PostgreSQL refuses to run as root, so under root (as in CI) the cluster belongs to the
    `postgres` OS user and every command runs as that user through runuser.
    """

    def __init__(self):
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.as_user: list[str] = []
        owner = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as error:
                raise ServerError("running as root needs a `postgres` OS user to run "
                                  "PostgreSQL as") from error
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ServerError("running as root needs runuser (util-linux) to start "
                                  "PostgreSQL as the postgres user")
            self.as_user = [runuser, "-u", "postgres", "--"]
        # /tmp, whatever TMPDIR says: the postgres user must be able to reach the directory,
        # and a socket path must stay short.
        base = "/tmp" if owner and os.path.isdir("/tmp") else tempfile.gettempdir()
        self.root = Path(tempfile.mkdtemp(prefix="feedback-faults-pg-", dir=base))
        if owner:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [*self.as_user, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise ServerError(f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                              f"{result.stdout[-1500:]}{result.stderr[-1500:]}\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-1500:]
        except OSError:
            return ""

    def init(self) -> "PostgresServer":
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions")
        return self

    def _options(self) -> str:
        # fsync off: nothing here must outlive the machine, and an acknowledged commit still
        # survives a server process that dies, because its WAL is in the kernel's cache.
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c full_page_writes=off -c max_connections=60")

    def start(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", self._options(), "-w", "-t", "30", "start")
        wait_for_port(self.port, up=True)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends every session, as a restart by the system would."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                  "-t", "30", "stop")
        wait_for_port(self.port, up=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            try:
                self.stop(mode="immediate")
            except ServerError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A redis-server subprocess that keeps nothing on disk, as a Redis that lost its data."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise ServerError("redis-server is not installed (Debian: apt-get install "
                              "redis-server)")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, up=True)
        except ServerError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop it; what it held (queued jobs, rate-limit counters) is gone, as after a crash."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None
        wait_for_port(self.port, up=False)

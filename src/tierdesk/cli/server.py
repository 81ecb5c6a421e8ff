"""Processes: `serve` (everything, embedded default), `web`, `worker`, `migrate`, `check`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import typer

from tierdesk.cli.main import fail, setup_django
from tierdesk.conf.keys import record_or_refuse


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(web)
    app.command()(worker)
    app.command()(migrate)
    app.command()(check)


def _gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "tierdesk.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        "--max-requests",
        "20000",
        "--max-requests-jitter",
        "2000",
    ]


def _default_workers() -> int:
    from tierdesk.conf.env import env_int

    return env_int("TIERDESK_WEB_WORKERS", 0, minimum=0) or max(2, os.cpu_count() or 1)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(0, help="Web worker processes (default: CPU count, ≥ 2)."),
) -> None:
    """Migrate, then run the web server, the background worker and the scheduler together."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    record_or_refuse()
    children = [
        subprocess.Popen(_gunicorn_argv(host, port, workers or _default_workers())),
        subprocess.Popen([sys.executable, "-m", "tierdesk", "worker"]),
    ]
    smtp_listen = os.environ.get("TIERDESK_SMTP_LISTEN")
    if smtp_listen:
        children.append(subprocess.Popen([sys.executable, "-m", "tierdesk", "smtp"]))
    if os.environ.get("TIERDESK_IMAP_MAILBOXES"):
        children.append(
            subprocess.Popen([sys.executable, "-m", "tierdesk", "mail", "poll", "--forever"])
        )
    typer.echo(f"tierdesk is serving on http://{host}:{port}/ (Ctrl-C stops it)")
    _supervise(children)


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping.is_set():
        for child in children:
            if child.poll() is not None:
                typer.echo(
                    f"tierdesk: process {child.pid} exited with code {child.returncode}; "
                    "stopping the others",
                    err=True,
                )
                exit_code = child.returncode or 1
                stopping.set()
        stopping.wait(0.5)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    raise typer.Exit(exit_code)


def web(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(0, help="Worker processes (default: CPU count, ≥ 2)."),
) -> None:
    """Run only the web server (gunicorn); run as many as you like behind a load balancer."""
    setup_django()
    record_or_refuse()
    argv = _gunicorn_argv(host, port, workers or _default_workers())
    os.execv(argv[0], argv)


def worker() -> None:
    """Run the scheduler and the task worker; any number may run against one database."""
    setup_django()
    from django.core.management import call_command
    from django.utils.crypto import get_random_string

    from tierdesk.scheduler.loop import run_forever

    record_or_refuse()
    stop = threading.Event()
    scheduler = threading.Thread(target=run_forever, args=(stop,), name="scheduler", daemon=True)
    scheduler.start()
    try:
        call_command(
            "db_worker",
            interval=1,
            reload=False,
            startup_delay=False,
            worker_id=get_random_string(32),
            verbosity=1,
        )
    finally:
        stop.set()
        scheduler.join(timeout=10)


def migrate() -> None:
    """Create or upgrade the database schema."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False)


def check() -> None:
    """Report every configuration problem in one go, in plain words."""
    from tierdesk.conf.checks import find_problems

    problems = find_problems()
    if problems:
        for problem in problems:
            typer.echo(f"problem: {problem}", err=True)
        raise fail(f"{len(problems)} configuration problem(s)")
    typer.echo("configuration ok")

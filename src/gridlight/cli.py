"""The ``gridlight`` command.

``gridlight demo``   migrate, build the demo district if the database is empty (its 300,000
                     synthetic households take about two minutes the first time, its 1,000,000
                     synthetic tickets a few more; ``--quick`` builds 30,000 and 100,000;
                     ``--households N``/``--tickets N`` choose), print the sign-ins and serve it
                     (embedded SQLite unless DATABASE_URL says otherwise).
``gridlight serve``  serve with waitress (a production WSGI server; put a TLS proxy in front).
``gridlight <cmd>``  any Django management command (migrate, createsuperuser, load_demo, …).
"""

from __future__ import annotations

import os
import subprocess
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridlight.settings")
    import django

    django.setup()


def _serve(host: str, port: int, threads: int) -> None:
    from django.conf import settings
    from waitress import serve

    from gridlight.wsgi import application

    proxy: dict[str, object] = {}
    if settings.TRUSTED_PROXY:
        # Behind nginx: believe its X-Forwarded-* headers (client address for the audit trail,
        # https for secure cookies and the SSL redirect), and only its.
        proxy = {
            "trusted_proxy": settings.TRUSTED_PROXY,
            "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto x-forwarded-host",
            "clear_untrusted_proxy_headers": True,
        }
    serve(application, host=host, port=port, threads=threads, ident="gridlight", **proxy)


def _option(args: list[str], name: str, default: str) -> str:
    if name in args:
        i = args.index(name)
        if i + 1 < len(args):
            return args[i + 1]
    return default


DEMO_TICKETS_AT_ONCE = 50_000


def _fill_tickets_in_background(target: int) -> subprocess.Popen[bytes]:
    """Top the demo's ticket history up to ``target`` in a separate process while the demo is
    served (its progress goes to this console); an interrupted fill resumes at the next start."""
    return subprocess.Popen(
        [sys.executable, "-m", "gridlight.cli", "load_demo_tickets", "--count", str(target)]
    )


def demo(args: list[str]) -> None:
    from gridlight.i18n import compile_catalogues

    compile_catalogues()
    _setup()
    from django.core.management import call_command

    from gridlight.core.models import Region

    call_command("migrate", interactive=False, verbosity=0)
    if not Region.objects.exists():
        print("Building the Shizhong demo district (first run)…", flush=True)
    households = int(_option(args, "--households", "30000" if "--quick" in args else "300000"))
    tickets = int(_option(args, "--tickets", "100000" if "--quick" in args else "1000000"))
    # The first tickets are built before serving, so every console has work at once; the rest
    # of the three-year history (minutes for a million) fills in while the demo is served.
    serving = "--no-serve" not in args
    at_once = min(tickets, DEMO_TICKETS_AT_ONCE) if serving else tickets
    call_command("load_demo", quiet_logins=True, households=households, tickets=at_once)
    if tickets > at_once:
        _fill_tickets_in_background(tickets)
    from gridlight.demo.management.commands.load_demo import print_logins

    host = _option(args, "--host", "127.0.0.1")
    port = int(_option(args, "--port", "8000"))
    print_logins(print)
    print(f"\nGridlight demo district: http://{host}:{port}/   (Ctrl+C to stop)", flush=True)
    if "--no-serve" not in args:
        from django.conf import settings

        if not settings.GRIDLIGHT_BROKER_URL:
            # No Celery: the ticket sweeper and the notices run in a thread of the demo server.
            from gridlight.tickets.management.commands.run_scheduler import start_thread

            start_thread()
        _serve(host, port, threads=8)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    if command == "demo":
        demo(args[1:])
    elif command == "serve":
        from gridlight.i18n import compile_catalogues

        compile_catalogues()
        _setup()
        _serve(
            _option(args, "--host", "127.0.0.1"),
            int(_option(args, "--port", "8000")),
            int(_option(args, "--threads", "8")),
        )
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridlight.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["gridlight", *args])


if __name__ == "__main__":
    main()

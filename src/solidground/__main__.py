"""The `solidground` command: a thin layer over Django's management commands.

Errors a user can cause (a wrong argument, an unreachable database) end with one sentence and a
non-zero exit, never a traceback. Set SOLIDGROUND_DEBUG=true to see the traceback.
"""

from __future__ import annotations

import os
import sys


def _fail(message: str) -> int:
    print(f"solidground: {message}", file=sys.stderr)
    return 2


def _serving_defaults(command: str) -> None:
    """Settings a server process needs before anything imports Polars.

    A request's frames are small (a batch of at most 1,000 records) and waitress already
    serves requests on several threads: Polars' own pool of one thread per core only adds
    hand-offs to each of its many small operations (about 15 % of an API write's CPU on two
    cores). The analysis, which works on whole stores, runs in ``solidground worker`` with the
    full pool. An explicit POLARS_MAX_THREADS wins.
    """
    if command == "serve":
        os.environ.setdefault("POLARS_MAX_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidground.config.settings")
    argv = list(sys.argv if argv is None else ["solidground", *argv])
    argv[0] = "solidground"
    if len(argv) == 1:
        argv.append("help")
    _serving_defaults(argv[1])
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django
        from django.core.management import execute_from_command_line

        django.setup()
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        return _fail(str(exc))
    except Exception as exc:
        from django.db import DatabaseError, OperationalError

        if os.environ.get("SOLIDGROUND_DEBUG", "").lower() == "true":
            raise
        if isinstance(exc, OperationalError):
            from django.conf import settings

            database = settings.DATABASES["default"]
            where = database.get("HOST") or database.get("NAME")
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            return _fail(f"cannot use the database at {where}: {first_line}")
        if isinstance(exc, DatabaseError):
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            return _fail(
                f"database error: {first_line} (is the store migrated? run `solidground migrate`)"
            )
        raise
    except KeyboardInterrupt:
        return _fail("interrupted; nothing half-written was kept.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

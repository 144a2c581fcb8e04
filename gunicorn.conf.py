"""gunicorn's settings for the dashboard, read when gunicorn starts in the project directory:

    NORTHSTAR_AUTH=password NORTHSTAR_CACHE=redis://127.0.0.1:6379/0 \
        .venv/bin/gunicorn -b 0.0.0.0:8050 'app:create_server()'

With sign-in off it refuses any address but this machine's (on_starting, below).

Command-line options override these (`-w 4`, `--threads 8`). Measured with
benchmarks/bench_load.py (20 viewers, 2 cores): see README, "Serving in production".
"""

import gc
import os

# One worker per core; threads answer cached views while another thread renders or exports.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
timeout = 120  # a first render on a busy machine can take tens of seconds; more is a stuck worker

# Imports (pandas, Dash, plotly: about 200 MB, seconds on a busy machine) happen once, in the
# master; a new worker is a fork that answers at once. Nothing is opened before the fork: each
# worker opens the snapshot itself on its first request.
preload_app = True


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    """Move everything the master imported out of the garbage collector's reach before forking:
    a worker's full collections then skip the imports' ~160,000 objects (a pause of 0.1-0.3 s
    each time, measured, where it is now near zero) and do not write to their pages (which
    would copy them into each worker), as the gc docs advise."""
    gc.freeze()


# A worker is replaced after about this many requests (spread so the workers do not restart
# together): memory a worker gathers (renders, DuckDB, the allocator's free lists) is handed back,
# and with a shared cache the new worker mostly answers from Redis without rendering again.
max_requests = int(os.environ.get("NORTHSTAR_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 5


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse to listen beyond this machine with sign-in off (auth.exposure says why and how to
    go on), before any socket is bound."""
    from auth.exposure import exposure_problem
    from settings import Settings

    problem = exposure_problem(server.cfg.bind, Settings.load())
    if problem:
        server.log.error(problem)
        raise SystemExit(1)

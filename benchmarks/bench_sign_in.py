"""What sign-in costs: an Argon2id hash and check (paid once per sign-in), and the gate on every
request (the session's user read from the app database, the CSRF check on POSTs) against the
same request with sign-in off, in one process, on SQLite and (when reachable) PostgreSQL.

    .venv/bin/python benchmarks/bench_sign_in.py [--requests 400] [--postgres URL]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from appdb import AppDb
from auth.accounts import add_user
from auth.passwords import hash_password, verify_password
from auth.web import install_sign_in
from settings import Settings

PASSWORD = "correct horse battery"


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=20)
    return f"median {statistics.median(values) * 1e3:7.2f} ms  p95 {q[18] * 1e3:7.2f} ms"


def server(settings: Settings) -> Flask:
    app = Flask("bench")
    app.add_url_rule("/", "page", lambda: "<p>page</p>")
    app.add_url_rule("/callback", "callback", lambda: "{}", methods=["POST"])
    install_sign_in(app, settings, frozenset())
    return app


def signed_client(app: Flask):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]
    client.post("/login", data={"name": "vera", "password": PASSWORD, "csrf_token": token})
    client.get("/")
    return client, {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def requests_on(url: str, n: int) -> None:
    db = AppDb(url)
    db.upgrade()
    add_user(db, "vera", PASSWORD, "viewer", by="bench")
    off = server(Settings()).test_client()
    on, header = signed_client(server(Settings(auth="password", app_db=url)))
    for _ in range(20):  # warm up both
        off.get("/"), on.get("/"), off.post("/callback"), on.post("/callback", headers=header)
    base_get = timed(lambda: off.get("/"), n)
    gate_get = timed(lambda: on.get("/"), n)
    base_post = timed(lambda: off.post("/callback"), n)
    gate_post = timed(lambda: on.post("/callback", headers=header), n)
    name = url.split(":", 1)[0]
    print(f"{name}: GET  sign-in off {ms(base_get)}")
    print(
        f"{name}: GET  signed in   {ms(gate_get)}  "
        f"(+{(statistics.median(gate_get) - statistics.median(base_get)) * 1e3:.2f} ms, "
        f"{statistics.median(gate_get) / statistics.median(base_get):.1f}×)"
    )
    print(f"{name}: POST sign-in off {ms(base_post)}")
    print(
        f"{name}: POST signed in   {ms(gate_post)}  "
        f"(+{(statistics.median(gate_post) - statistics.median(base_post)) * 1e3:.2f} ms, "
        f"{statistics.median(gate_post) / statistics.median(base_post):.1f}×)"
    )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    hashed = hash_password(PASSWORD)
    print(f"argon2id hash   {ms(timed(lambda: hash_password(PASSWORD), 15))}")
    print(f"argon2id verify {ms(timed(lambda: verify_password(hashed, PASSWORD), 15))}")
    with tempfile.TemporaryDirectory() as folder:
        requests_on(f"sqlite:///{Path(folder) / 'app.db'}", args.requests)
    try:
        import psycopg

        schema = f"bench_sign_in_{int(time.time())}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')  # a generated name
        try:
            requests_on(f"{args.postgres}?options=-csearch_path%3D{schema}", args.requests)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    except psycopg.OperationalError as exc:
        print(f"postgresql: skipped ({exc})")


if __name__ == "__main__":
    main()

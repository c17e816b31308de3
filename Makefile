# The two commands (DESIGN §2.5): `make run` starts the embedded default with demo data;
# `make test` runs the whole suite against PostgreSQL and Redis.

UV_VERSION := 0.13.9
UV_TOOL := $(CURDIR)/.tools/uv/bin/uv
# uv from PATH, else a private copy under .tools/ (installed on first use).
UV ?= $(shell command -v uv 2>/dev/null || echo $(UV_TOOL))
MANAGE := $(UV) run --no-sync python manage.py

.PHONY: sync run migrate shell test test-sqlite lint bench bench-quick clean

$(UV_TOOL):
	python3 -m venv $(CURDIR)/.tools/uv
	$(CURDIR)/.tools/uv/bin/pip install --quiet uv==$(UV_VERSION)

# Only the private copy is a file make can build; a uv from PATH is used as it is.
sync: | $(filter $(UV_TOOL),$(UV))
	$(UV) sync --frozen

# Embedded default: SQLite under var/, in-memory channel layer, periodic jobs in-process.
# DATABASE_URL / REDIS_URL from the environment are respected if set. Static files are
# collected (hashed, compressed) as in production: a change to one needs a new `make run`.
run: export STATIC_COLLECTED = true
run: sync
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) demo_seed
	$(MANAGE) serve --jobs --host 127.0.0.1 --port 8000

migrate: sync
	$(MANAGE) migrate

shell: sync
	$(MANAGE) shell

# Makes sure PostgreSQL and Redis answer, and creates the database named in
# DATABASE_URL if it is missing (pytest-django makes its own test_* database beside it).
define SERVICES_CHECK
import os, sys
from urllib.parse import urlsplit
import psycopg, redis
from psycopg import sql
url = os.environ["DATABASE_URL"]
name = urlsplit(url).path.lstrip("/")
try:
    with psycopg.connect(url, dbname="postgres", connect_timeout=5, autocommit=True) as db:
        if name and not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
except psycopg.Error as error:
    sys.exit(f"make test: PostgreSQL is not reachable through DATABASE_URL ({type(error).__name__}: {error}).\nStart it (pg_ctlcluster ... start) or point DATABASE_URL at one.")
try:
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=5).ping()
except redis.RedisError as error:
    sys.exit(f"make test: Redis is not reachable through REDIS_URL ({type(error).__name__}).\nStart it (redis-server) or point REDIS_URL at one.")
endef
export SERVICES_CHECK

# The whole suite, integration and browser tests included, on the real parts.
test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/helpline
test: export REDIS_URL ?= redis://127.0.0.1:6379/0
test: export SECRET_KEY ?= test-only-never-used-outside-make-test
test: sync
	@$(UV) run --no-sync python -c "$$SERVICES_CHECK"
	$(MANAGE) makemigrations --check --dry-run
	$(UV) run --no-sync pytest --durations=20

# Unit tests on the embedded default: no PostgreSQL, no Redis, no browser.
test-sqlite: sync
	env -u DATABASE_URL -u REDIS_URL $(UV) run --no-sync pytest -m "not integration and not browser"

lint: sync
	$(UV) run --no-sync ruff check .

# Benchmarks (bench/README.md): they start their own PostgreSQL, Redis and servers, print
# a table and write bench/results/<timestamp>.json. `bench` is the full run.
bench: sync
	$(UV) run --no-sync python -m bench

bench-quick: sync
	$(UV) run --no-sync python -m bench --quick

# var/ holds only local state: the SQLite database, the embedded secret key, static files.
clean:
	rm -rf var/

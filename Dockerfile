# The helpline's image: `manage.py serve` (web), `manage.py worker` and `manage.py migrate`
# all run from it (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH="/opt/venv/bin:$PATH"

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-cache

COPY . .

# The static files are collected here, hashed and compressed (gzip and brotli): every
# process of this image serves them so (config/settings.py, STATIC_COLLECTED).
ENV STATIC_COLLECTED=true

# collectstatic needs settings, and settings want a secret key; this one exists only for
# the duration of this command and is never used to sign anything.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && groupadd --system helpline \
    && useradd --system --gid helpline --home-dir /app --no-create-home helpline \
    && chown helpline:helpline /app/var

USER helpline

EXPOSE 8000

# Liveness (/livez): the process answers. Not /healthz (readiness): a worker whose
# database is away is not helped by a restart; Caddy stops sending it requests instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/livez', headers={'Host': 'localhost'}), timeout=4)"]

CMD ["python", "manage.py", "serve", "--host", "0.0.0.0", "--port", "8000"]

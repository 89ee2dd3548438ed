# Gains for production: gunicorn serving the app, PostgreSQL elsewhere (see compose.yaml).
# Build: docker build -t gains .   Run: needs GAINS_SECRET_KEY and GAINS_DATABASE_URL.

# --- Front-end packages, from the lock file ---------------------------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- The app ---------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    GAINS_ENV=production

RUN pip install --no-cache-dir uv==0.13.9 \
    && useradd --system --create-home --home-dir /home/gains gains
WORKDIR /app

# Dependencies first (cached until uv.lock changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project
COPY gains gains
COPY migrations migrations
COPY templates templates
COPY gunicorn.conf.py ./
RUN uv sync --frozen

# GOV.UK Frontend's CSS asks for /assets/fonts and /assets/images: same layout as `make assets`.
COPY --from=frontend /build/node_modules/govuk-frontend/dist/govuk/assets/ gains/static/
COPY --from=frontend /build/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css \
     /build/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js \
     /build/node_modules/htmx.org/dist/htmx.min.js \
     gains/static/

USER gains
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
# Migrations run at start for a single-host deployment; with several app hosts, run
# `gains db upgrade` once as a release step instead and start with `gunicorn` alone.
CMD ["sh", "-c", "gains db upgrade && exec gunicorn -c gunicorn.conf.py"]

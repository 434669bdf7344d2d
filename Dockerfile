FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
COPY pyproject.toml ./
RUN pip install .
COPY . .
RUN SECRET_KEY=build-only DATABASE_URL=postgres://unused/unused python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 app && mkdir -p /data/media && chown -R app /data
USER app

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

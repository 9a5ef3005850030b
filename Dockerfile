FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=loyalty.settings.production

WORKDIR /app
RUN useradd --create-home --uid 1000 loyalty

COPY pyproject.toml README.md ./
COPY loyalty ./loyalty
COPY tenants ./tenants
COPY customers ./customers
COPY points ./points
COPY rewards ./rewards
COPY notifications ./notifications
COPY billing ./billing
RUN pip install .

COPY . .
# collectstatic needs settings but no database or secret of consequence.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

USER loyalty
EXPOSE 8000
# 4 processes x 4 threads, each process with a pool of 4 connections (README,
# "Connection budget").
ENV DATABASE_POOL_SIZE=4
CMD ["gunicorn", "loyalty.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--worker-class", "gthread", "--threads", "4"]

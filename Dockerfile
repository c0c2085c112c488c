# Production image: gunicorn for web, the same image runs Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY . .
# Build-time only values: collectstatic needs settings to load, not a database or a real secret.
RUN DEBUG=false ALLOWED_HOSTS=build SECRET_KEY=build-time-only-placeholder-not-used-at-run-time-0123456789 \
    DATABASE_URL=postgres://build@localhost/none python manage.py collectstatic --noinput -v 0
RUN useradd --system --uid 1000 crm && mkdir -p /app/.data && chown crm /app/.data
USER crm
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-b", "0.0.0.0:8000", "-w", "3", "--threads", "4"]

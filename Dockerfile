FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ONDIJON_NO_BOOTSTRAP=1 DJANGO_SETTINGS_MODULE=ondijon.settings
WORKDIR /app
# The runtime only (no test or lint tool), every file checked against its hash in the lock.
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock
# The platform runs as an unprivileged user that owns nothing but /data (Celery beat's
# schedule) and /checkpoints (the events chain's): the code and the collected static files
# stay root's, read-only to it.
RUN groupadd --system --gid 10001 ondijon \
    && useradd --system --uid 10001 --gid ondijon --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin ondijon \
    && install -d -o ondijon -g ondijon /data /checkpoints
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
USER 10001:10001
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "ondijon.asgi:application"]

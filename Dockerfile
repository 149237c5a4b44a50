FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 ONDIJON_NO_BOOTSTRAP=1 DJANGO_SETTINGS_MODULE=ondijon.settings
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "ondijon.asgi:application"]

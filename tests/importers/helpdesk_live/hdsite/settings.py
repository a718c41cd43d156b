"""Minimal Django project serving django-helpdesk for the live sync test.

Runs inside the helpdesk venv, never inside Solidground's. The test copies this package to a
temporary directory and points it at a throw-away SQLite file through HELPDESK_LIVE_DB.
"""

import os

SECRET_KEY = "live-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "hdsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["HELPDESK_LIVE_DB"],
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Follow-ups posted through the API send notifications; keep them in memory.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

USE_TZ = True
TIME_ZONE = "Europe/Berlin"
STATIC_URL = "static/"

# django-helpdesk 2.x serves its REST API (/helpdesk/api/...) when this is true (the default);
# older releases called it HELPDESK_ACTIVATE_API_ENDPOINT. Both are set so the intent is plain.
HELPDESK_API_ENABLED = True
HELPDESK_ACTIVATE_API_ENDPOINT = True
# Teams mode needs the pinax-teams app; the sync reads no teams, so it stays off.
HELPDESK_TEAMS_MODE_ENABLED = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

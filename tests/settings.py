"""Test settings: production settings with a throwaway data directory and test-only relaxations."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
# Always a fresh data directory per test process (each xdist worker too): tests never touch ./var, and
# parallel workers never share analytics store files.
os.environ["OPENCMO_DATA_DIR"] = tempfile.mkdtemp(prefix="opencmo-test-")

from opencmo.settings import *  # noqa: F403
from opencmo.settings import STORAGES

# The test client speaks plain HTTP; the TLS redirect is checked by test_settings' deploy check.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# No collectstatic manifest in tests.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# A fast hasher: password hashing strength is Django's concern, not what these tests check.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Jobs run inline in tests, so their effects can be asserted directly.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinguo.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve on a key that is not the deployment's own.
from jinguo.accounts.checks import check_secret_key  # noqa: E402 - needs the apps loaded above
from jinguo.care.checks import check_care_keys  # noqa: E402 - needs the apps loaded above

if errors := check_secret_key() + check_care_keys():
    raise ImproperlyConfigured(" ".join(f"{e.msg} {e.hint}" for e in errors))

# Import and compile what requests need before the first one comes (see jinguo/warmup.py).
from jinguo.warmup import load_code  # noqa: E402

load_code()

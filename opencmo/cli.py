"""The `opencmo` console script: Django's management commands with OpenCMO's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opencmo.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opencmo", *sys.argv[1:]])


if __name__ == "__main__":
    main()

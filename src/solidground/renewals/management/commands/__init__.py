from django.conf import settings
from django.core.management.base import CommandParser


def add_language_argument(parser: CommandParser) -> None:
    """``--language de|en``: the commands print in German by default, like the dashboard."""
    parser.add_argument(
        "--language",
        choices=[code for code, _name in settings.LANGUAGES],
        default=settings.LANGUAGE_CODE,
    )

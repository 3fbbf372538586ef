"""What every ml_service entry point shares: settings errors become one line and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ml_service.settings import MissingSettingError


def run(main: Callable[[], int]) -> int:
    """Run `main`, turning a missing or bad setting into one line on stderr."""
    try:
        return main()
    except MissingSettingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

"""Resolving ``"module:attribute"`` strings, so the CLI and the demo name each capability's
entry point without importing every capability up front."""

from __future__ import annotations

import importlib
from typing import Any


def import_target(target: str) -> Any:
    """The attribute named by ``"package.module:attribute"``.

    Examples
    --------
    >>> import_target("zhudai.exceptions:ZhudaiError").__name__
    'ZhudaiError'
    """
    module_name, attr = target.split(":")
    return getattr(importlib.import_module(module_name), attr)

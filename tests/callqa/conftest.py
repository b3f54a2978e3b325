"""Fixtures of the call-inspection tests: flite, the speech synthesiser, installed on demand."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def flite() -> str:
    """The ``flite`` command, installing Debian's package first if it is missing; skips only
    where installing is impossible (not root, no apt-get)."""
    if shutil.which("flite") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "flite"]):
            if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
                break
    found = shutil.which("flite")
    if found is None:
        pytest.skip("no flite and it cannot be installed here (needs root and apt-get)")
    return found

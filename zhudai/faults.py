"""Named crash points for fault-injection tests: ``ZHUDAI_FAULT=<name>`` kills the process
with SIGKILL when execution reaches ``fault_point(<name>)``, the way a power cut or an OOM kill
would, so a test can show that nothing half-written survives. Unset (always, in production),
a fault point is one environment lookup."""

from __future__ import annotations

import os
import signal


def fault_point(name: str) -> None:
    """Die here, without cleanup, if ``ZHUDAI_FAULT`` names this point."""
    if os.environ.get("ZHUDAI_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)

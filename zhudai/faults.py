"""Named crash points for fault-injection tests: ``ZHUDAI_FAULT=<name>`` kills the process
with SIGKILL when execution reaches ``fault_point(<name>)``, the way a power cut or an OOM kill
would, so a test can show that nothing half-written survives. With ``ZHUDAI_FAULT_ONCE=<path>``
too, only the first process to reach the point dies (it creates ``path``; any process that
finds it there goes on), so a server with several workers loses one worker, once. Unset
(always, in production), a fault point is one environment lookup."""

from __future__ import annotations

import os
import signal


def fault_point(name: str) -> None:
    """Die here, without cleanup, if ``ZHUDAI_FAULT`` names this point."""
    if os.environ.get("ZHUDAI_FAULT") != name:
        return
    once = os.environ.get("ZHUDAI_FAULT_ONCE")
    if once:
        try:
            os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return  # another process has died here already
    os.kill(os.getpid(), signal.SIGKILL)

"""Structured logging with a masking filter: no ID number, phone or card reaches a log line."""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
import sys

from zhudai.privacy.masking import mask_text


class MaskingFilter(logging.Filter):
    """Rewrites each record's message (after %-formatting) with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and key not in payload:
                payload[key] = mask_text(str(value))
        return json.dumps(payload, ensure_ascii=False)


#: Libraries whose warnings only repeat an error the caller already reports (psycopg: "error
#: ignored terminating <Pipeline>" after the failed statement that zhudai reports as one line).
QUIET_LIBRARIES = ("psycopg",)


def configure_logging(level: str = "INFO", *, as_json: bool = False) -> None:
    """Install one masked stderr handler on the ``zhudai`` logger, and one for every other
    library's warnings on the root logger (else Python's last-resort handler would print them
    unmasked); idempotent."""
    for name, logger_level in (("zhudai", level.upper()), ("", "WARNING")):
        logger = logging.getLogger(name)
        logger.setLevel(logger_level)
        for handler in list(logger.handlers):
            if isinstance(handler, _MaskedHandler | _Unblocked):  # ours, earlier; others stay
                logger.removeHandler(handler)
        logger.addHandler(_masked_handler(as_json))
    logging.getLogger("zhudai").propagate = False
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.ERROR)


class _MaskedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler :func:`configure_logging` installs."""


def _masked_handler(as_json: bool) -> logging.Handler:
    handler = _MaskedHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    return handler


class _Unblocked(logging.handlers.QueueHandler):
    """Hands a record to the writer thread of :func:`log_off_thread`, its message formatted
    and masked here (the queue never holds personal data)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        prepared = super().prepare(record)
        prepared.msg = mask_text(prepared.msg)
        del prepared.message  # set by the queue's formatting: not a field of a JSON line
        return prepared


def log_off_thread() -> OffThread:
    """Move the masked handlers of :func:`configure_logging` behind a queue and a writer
    thread (one per logger), so a slow or blocked stderr (a pipe nobody drains, a stalled log
    collector) never stops the caller: a server's event loop writing an access-log line once
    blocked on a full pipe and every request with it. ``stop()`` flushes and ends them."""
    listeners = []
    for name in ("zhudai", ""):
        logger = logging.getLogger(name)
        moved = []
        for handler in list(logger.handlers):
            if isinstance(handler, _Unblocked):
                logger.removeHandler(handler)  # an earlier call's
            elif isinstance(handler, _MaskedHandler):
                logger.removeHandler(handler)
                moved.append(handler)
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        logger.addHandler(_Unblocked(records))
        listener = logging.handlers.QueueListener(records, *moved, respect_handler_level=True)
        listener.start()
        listeners.append(listener)
    return OffThread(listeners)


class OffThread:
    """The writer threads of :func:`log_off_thread`."""

    def __init__(self, listeners: list[logging.handlers.QueueListener]) -> None:
        self.listeners = listeners

    def stop(self) -> None:
        for listener in self.listeners:
            listener.stop()

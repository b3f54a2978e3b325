"""Settings refuse default secrets outside development; logs never carry personal data."""

from __future__ import annotations

import io
import json
import logging
import threading
from pathlib import Path

import pytest

from zhudai.exceptions import ConfigurationError
from zhudai.logs import configure_logging, log_off_thread
from zhudai.settings import Settings


def test_production_refuses_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="production"):
        Settings(env="production", home=tmp_path, encryption_key=None, token_key=None).keys()


def test_development_keys_created_once_private(tmp_path: Path) -> None:
    s = Settings(env="development", home=tmp_path, encryption_key=None, token_key=None)
    first = s.keys()
    assert s.keys() == first
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600


def test_bad_key_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        Settings(home=tmp_path, encryption_key="c2hvcnQ=", token_key="c2hvcnQ=").keys()


def test_default_db_is_sqlite_under_home(tmp_path: Path) -> None:
    assert Settings(home=tmp_path).database_url == f"sqlite:///{tmp_path.resolve() / 'zhudai.db'}"


@pytest.mark.parametrize("as_json", [False, True])
def test_log_lines_are_masked(capsys: pytest.CaptureFixture[str], as_json: bool) -> None:
    configure_logging("INFO", as_json=as_json)
    logging.getLogger("zhudai.test").info(
        "applicant %s phone %s", "11010519491231002X", "13812341234"
    )
    err = capsys.readouterr().err
    assert "11010519491231002X" not in err and "13812341234" not in err
    assert "138****1234" in err
    if as_json:
        assert json.loads(err.strip().splitlines()[-1])["level"] == "INFO"


def test_library_warnings_are_masked_and_psycopg_chatter_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    logging.getLogger("somelib").warning("retrying for %s", "13812341234")
    logging.getLogger("psycopg").warning("error ignored terminating <Pipeline>: aborted")
    logging.getLogger("somelib").info("below the root's WARNING level")
    err = capsys.readouterr().err
    assert "13812341234" not in err and "WARNING somelib: retrying for 138****1234" in err
    assert "terminating" not in err and "below the root" not in err


@pytest.mark.parametrize("as_json", [False, True])
def test_logging_off_thread_never_waits_for_a_blocked_stream(as_json: bool) -> None:
    """A stderr that does not drain (a full pipe) holds the writer thread, not the caller; the
    lines come out masked and in order once it drains."""
    configure_logging("INFO", as_json=as_json)
    drained = threading.Event()

    class Stalled(io.StringIO):
        def write(self, text: str) -> int:
            drained.wait(10)
            return super().write(text)

    stream = Stalled()
    writer = log_off_thread()
    for handler in writer.listeners[0].handlers:  # the masked stderr handler it moved
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
    try:
        done = threading.Event()

        def log_three() -> None:
            for k in range(3):
                logging.getLogger("zhudai.api").info("request %d from %s", k, "13812341234")
            done.set()

        threading.Thread(target=log_three, daemon=True).start()
        assert done.wait(5)  # returned while the stream was still stalled
        assert stream.getvalue() == ""
    finally:
        drained.set()
        writer.stop()
        configure_logging("INFO")
    text = stream.getvalue()
    assert "13812341234" not in text and text.count("138****1234") == 3
    assert text.index("request 0") < text.index("request 1") < text.index("request 2")

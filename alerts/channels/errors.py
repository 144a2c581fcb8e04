"""The two ways a channel goes wrong: its YAML entry is invalid, or one send failed."""

from __future__ import annotations

from collections.abc import Sequence

from located_yaml import KeyPath, format_path


class ChannelConfigError(ValueError):
    """One bad key of a channel's YAML entry, with what to do about it.

    `parse_channel` reports every bad key at once: the error it raises is the first problem and
    `problems` holds all of them (the first included), so a caller that turns them into spec
    issues reads `for p in exc.problems: (p.path or p.key, p.message, p.hint)`."""

    def __init__(self, key: str, message: str, hint: str = "", *, path: KeyPath = ()) -> None:
        super().__init__(f"{key}: {message}" + (f" ({hint})" if hint else "") if key else message)
        self.key = key  # within the channel's entry: "url", "headers.Authorization", "to[1]"
        self.message = message
        self.hint = hint
        self.path: KeyPath = path or ((key,) if key else ())
        self.problems: tuple[ChannelConfigError, ...] = (self,)

    @classmethod
    def at(cls, path: KeyPath, message: str, hint: str = "") -> ChannelConfigError:
        return cls(format_path(path), message, hint, path=path)

    @classmethod
    def all_of(cls, problems: Sequence[ChannelConfigError]) -> ChannelConfigError:
        first = problems[0]
        error = cls(first.key, first.message, first.hint, path=first.path)
        error.problems = tuple(problems)
        return error


class DeliveryError(RuntimeError):
    """One send failed. The message names the channel and what to check, and holds no secret:
    senders build it from their own words and redact anything a server or library said."""

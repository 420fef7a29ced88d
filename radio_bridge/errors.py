"""Errors raised by the radio edge.

Two siblings under one base: a worker delivering radio side effects retries on
``RadioUnavailable`` (the server may come back) but should not retry a
``SpeechError`` forever (a missing espeak-ng will not fix itself).
Messages are in Indonesian because they end up in front of call takers.
"""

from __future__ import annotations


class RadioError(Exception):
    """Base class for every failure of the radio bridge."""


class RadioUnavailable(RadioError):
    """The Mumble server cannot be reached, or refused what we asked."""


class SpeechError(RadioError):
    """Text could not be turned into audio (espeak-ng/sox failed or timed out)."""

"""OpenAI integration: ``instrument_openai()`` shows every client call as an ``llm`` step.

Needs the ``openai`` extra: ``pip install chatwidget[openai]``.
"""

from __future__ import annotations

from .integrations.openai import instrument_openai, is_instrumented, uninstrument_openai

__all__ = ["instrument_openai", "is_instrumented", "uninstrument_openai"]

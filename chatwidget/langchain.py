"""LangChain integration: ``LangchainTracer`` shows runs as steps of the chat.

Needs the ``langchain`` extra: ``pip install chatwidget[langchain]``.
"""

from __future__ import annotations

from .integrations.langchain import (
    DEFAULT_ANSWER_PREFIX_TOKENS,
    DEFAULT_TO_IGNORE,
    AsyncLangchainCallbackHandler,
    LangchainCallbackHandler,
    LangchainTracer,
)

__all__ = [
    "DEFAULT_ANSWER_PREFIX_TOKENS",
    "DEFAULT_TO_IGNORE",
    "AsyncLangchainCallbackHandler",
    "LangchainCallbackHandler",
    "LangchainTracer",
]

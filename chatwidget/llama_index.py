"""LlamaIndex integration: ``LlamaIndexCallbackHandler`` shows queries, retrievals and LLM calls as steps.

Needs the ``llama-index`` extra: ``pip install chatwidget[llama-index]``.
"""

from __future__ import annotations

from .integrations.llama_index import DEFAULT_SHOWN, LlamaIndexCallbackHandler

__all__ = ["DEFAULT_SHOWN", "LlamaIndexCallbackHandler"]

"""Integrations with LLM libraries, each behind an optional extra.

Import them by their public paths: ``chatwidget.openai``, ``chatwidget.langchain``,
``chatwidget.llama_index``. ``import chatwidget`` never imports this package.
"""

"""``import chatwidget`` never imports an LLM library or the MCP SDK: each is an optional extra."""

from __future__ import annotations

import json
import subprocess
import sys

LIBRARIES = ("openai", "langchain_core", "langchain", "llama_index", "mcp")


def test_importing_chatwidget_imports_no_llm_library():
    code = (
        "import json, sys, chatwidget, chatwidget.integrations\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {LIBRARIES!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []

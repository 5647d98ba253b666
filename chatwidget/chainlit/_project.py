"""A Chainlit project's files, read as the reference reads them, turned into ``ChatApp`` options.

From ``.chainlit/config.toml`` only what means something in a notebook is read:
``[UI] name`` (title and assistant name), ``[UI] cot``, ``[features.spontaneous_file_upload]``,
``[features.audio]`` and ``[project] user_env``. Without a config file the reference's
defaults apply (its generated config enables attachments of any type, 20 files of 500 MB at
most, and leaves audio off). Server
options (``allow_origins``, ``session_timeout``, ``custom_build``, themes...) are ignored:
Jupyter serves the page.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: The reference's defaults for what a config file may leave out.
DEFAULT_FILE_UPLOAD: dict[str, Any] = {
    "enabled": True,
    "accept": ["*/*"],
    "max_files": 20,
    "max_size_mb": 500,
}
_COT = ("full", "tool_call", "hidden")


def read_config(root: Path) -> dict[str, Any]:
    """The parsed ``.chainlit/config.toml`` under ``root``, or {} without one."""
    path = root / ".chainlit" / "config.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None


def apply_project(root: Path, options: dict[str, Any]) -> dict[str, Any]:
    """``ChatApp`` keyword arguments for the project at ``root``; ``options`` win."""
    config = read_config(root)
    ui = config.get("UI", {})
    features = config.get("features", {})
    derived: dict[str, Any] = {}
    name = ui.get("name")
    if isinstance(name, str) and name:
        derived["title"] = derived["assistant_name"] = name
    else:
        derived["title"] = "Assistant"
    if ui.get("cot") in _COT:
        derived["cot"] = ui["cot"]
    upload = {**DEFAULT_FILE_UPLOAD, **features.get("spontaneous_file_upload", {})}
    derived["file_upload"] = {k: upload[k] for k in DEFAULT_FILE_UPLOAD}
    derived["audio"] = {"enabled": False, **features.get("audio", {})}
    language = options.get("language")
    readme = read_readme(root, language or "")
    if readme:
        derived["readme"] = readme
    labels = read_translation(root, language or "en-US")
    if placeholder := labels.get("chat", {}).get("input", {}).get("placeholder"):
        derived["placeholder"] = placeholder
    return {**derived, **options}


def user_env_keys(root: Path) -> list[str]:
    keys = read_config(root).get("project", {}).get("user_env", [])
    return [k for k in keys if isinstance(k, str)]


def _fallbacks(language: str) -> list[str]:
    """``fr-FR`` → ``fr-FR``, ``fr``; the caller ends with the default."""
    out = [language] if language else []
    if "-" in language:
        out.append(language.split("-", 1)[0])
    return out


def read_readme(root: Path, language: str) -> str:
    """``chainlit_<lang>.md`` (``fr-FR``, then ``fr``), else ``chainlit.md``, else ""."""
    for candidate in [f"chainlit_{lang}.md" for lang in _fallbacks(language)] + ["chainlit.md"]:
        path = root / candidate
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def read_translation(root: Path, language: str) -> dict[str, Any]:
    """``.chainlit/translations/<lang>.json`` with the ``fr-FR`` → ``fr`` → ``en-US`` → ``en`` fallback."""
    folder = root / ".chainlit" / "translations"
    for lang in [*_fallbacks(language), "en-US", "en"]:
        path = folder / f"{lang}.json"
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} is not valid JSON: {exc}") from None
            return data if isinstance(data, dict) else {}
    return {}

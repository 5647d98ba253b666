"""What an MCP connection may reach: the developer's allow-lists, checked before anything runs.

Two rules, the same for a connection made from code and one asked for in the widget:

* a stdio server starts only if its executable is on ``allowed_executables``. A bare name
  (``npx``) is looked up on the kernel's ``PATH`` and compared, as an absolute path, with
  the entries looked up the same way; a relative path (``./x``, ``../bin/x``) is refused.
  The server then runs that absolute path with an argument list, never through a shell.
  A command line may start with ``NAME=value`` assignments (``GITHUB_TOKEN=... npx
  server``), as in a shell: they become the server's extra environment, and the first
  token after them is the executable checked. Variables that would make the allowed
  executable run or load something else (``PATH``, ``LD_PRELOAD``, ``NODE_OPTIONS``...)
  are refused. The reference compares base names (``/tmp/npx`` passes for ``npx``) and
  takes any text before ``=`` as a name; here the executable is compared as an absolute
  path and a name must be a shell variable's name.
* an HTTP transport (SSE, streamable HTTP) may only reach a URL under one of
  ``allowed_urls``: same scheme, host and port, and a path that starts with the entry's
  path on a segment boundary. Every request of the connection is checked, so a redirect
  or an SSE endpoint outside the list fails too.

Nothing a user types can add to these lists: they are read from the app's options only.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from urllib.parse import unquote, urlsplit

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

MAX_COMMAND_CHARS = 4_000
MAX_URL_CHARS = 2_000
_DEFAULT_PORTS = {"http": 80, "https": 443}
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Variables a command line may not set: each makes the allowed executable find other
#: programs, or load code (a library, a module, a start-up script) it would not otherwise.
REFUSED_VARIABLES = frozenset(
    {
        "PATH",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
        "NODE_OPTIONS",
        "NODE_PATH",
        "BASH_ENV",
        "ENV",
        "PERL5OPT",
        "PERL5LIB",
        "RUBYOPT",
        "RUBYLIB",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
    }
)
REFUSED_PREFIXES = ("LD_", "DYLD_", "BASH_FUNC_")


class McpRefusedError(PermissionError):
    """A connection the app's MCP options do not allow; the message says why, for the user."""


def split_command(line: str) -> list[str]:
    """A command line typed in the dialog, as an argument list (shell quoting, no shell)."""
    if len(line) > MAX_COMMAND_CHARS:
        raise McpRefusedError(f"The command is longer than {MAX_COMMAND_CHARS} characters.")
    if "\x00" in line or "\n" in line or "\r" in line:
        raise McpRefusedError("The command must be one line of text.")
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise McpRefusedError(f"The command cannot be read: {exc}.") from None
    if not argv:
        raise McpRefusedError("The command is empty.")
    return argv


def split_assignments(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """The leading ``NAME=value`` tokens of a command line, as an environment, and the rest:
    the executable and its arguments (``FOO=1 npx server X=2`` gives ``{"FOO": "1"}`` and
    ``["npx", "server", "X=2"]``). Nothing is expanded: a value is the text after ``=``."""
    env: dict[str, str] = {}
    for index, token in enumerate(argv):
        if "=" not in token:
            return env, argv[index:]
        name, value = token.split("=", 1)
        env[_allowed_variable(name)] = value
    raise McpRefusedError("The command names no executable after its environment variables.")


def _allowed_variable(name: str) -> str:
    if not _VARIABLE_NAME.fullmatch(name):
        raise McpRefusedError(
            f"'{name[:60]}=...' before the executable is not an environment variable: a name is "
            "letters, digits and _, and does not start with a digit."
        )
    if name.upper() in REFUSED_VARIABLES or name.upper().startswith(REFUSED_PREFIXES):
        raise McpRefusedError(f"The command may not set {name}: it would change what the server runs.")
    return name


def _locate(command: str) -> str | None:
    """The absolute path a command names: looked up on PATH for a bare name; None if unknown."""
    if os.path.isabs(command):
        path = os.path.normpath(command)
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    if os.sep in command or (os.altsep and os.altsep in command):
        return None  # relative paths depend on the working directory: never allowed
    found = shutil.which(command)
    return os.path.normpath(os.path.abspath(found)) if found else None


def allowed_executable(command: str, allowed: list[str]) -> str:
    """The absolute path to run for ``command``, or McpRefusedError if it is not allowed."""
    if not command or "\x00" in command:
        raise McpRefusedError("The command names no executable.")
    if not allowed:
        raise McpRefusedError("This app allows no executable for stdio MCP servers.")
    path = _locate(command)
    if path is not None and any(_locate(entry) == path for entry in allowed):
        return path
    if os.sep in command and not os.path.isabs(command):
        raise McpRefusedError(f"{command!r} is a relative path; name an allowed executable instead.")
    raise McpRefusedError(f"{command!r} is not on this app's list of allowed executables.")


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme)


def _under(path: str, prefix: str) -> bool:
    prefix = prefix or "/"
    if prefix.endswith("/"):
        return (path or "/").startswith(prefix) or path == prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def allowed_url(url: str, allowed: list[str]) -> str:
    """``url`` if it lies under an entry of ``allowed``, else McpRefusedError."""
    if not isinstance(url, str) or not url:
        raise McpRefusedError("The server needs a URL.")
    if len(url) > MAX_URL_CHARS:
        raise McpRefusedError(f"The URL is longer than {MAX_URL_CHARS} characters.")
    try:
        parts = urlsplit(url)
        port = _port(parts.scheme, parts.port)
    except ValueError:
        raise McpRefusedError("The URL cannot be read.") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise McpRefusedError("The URL must start with http:// or https:// and name a host.")
    if parts.username is not None or parts.password is not None:
        raise McpRefusedError("The URL must not carry a user name or password.")
    if "\\" in url or any(c.isspace() or ord(c) < 32 for c in url):
        raise McpRefusedError("The URL contains characters that are not allowed.")
    if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):
        raise McpRefusedError("The URL's path must not contain '.' or '..' segments.")
    if not allowed:
        raise McpRefusedError("This app allows no URL for MCP servers.")
    for entry in allowed:
        rule = urlsplit(entry)
        if (
            rule.scheme == parts.scheme
            and (rule.hostname or "").lower() == parts.hostname.lower()
            and _port(rule.scheme, rule.port) == port
            and _under(parts.path, rule.path)
        ):
            return url
    raise McpRefusedError(
        f"{parts.scheme}://{parts.netloc}{parts.path} is not among this app's allowed URLs."
    )


def first_cause(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio task groups wrap a transport's failure)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc

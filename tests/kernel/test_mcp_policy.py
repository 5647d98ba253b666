"""Which MCP servers a chat may connect: the allow-lists, with the reference's examples and
hostile input. Nothing here starts a server; the refusals happen before anything runs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import chatwidget as cw
from chatwidget._mcp_policy import allowed_executable, allowed_url, split_assignments, split_command
from chatwidget.mcp import McpRefusedError, connection_from_dialog


def _executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def path_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only npx, uvx and python stand-ins, as a developer's machine would have them."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("npx", "uvx", "python"):
        _executable(folder, name)
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_the_references_valid_and_invalid_commands(path_bin: Path) -> None:
    allowed = ["npx", "uvx"]
    for line in (
        "npx @modelcontextprotocol/server-filesystem /path/to/data",
        "uvx mcp-server-git --repository /path/to/repo",
    ):
        command, *args = split_command(line)
        assert allowed_executable(command, allowed) == str(path_bin / command)
        assert args[0].startswith(("@model", "mcp-server"))
    command, *_ = split_command("python custom_mcp_server.py")
    with pytest.raises(McpRefusedError, match="not on this app's list of allowed executables"):
        allowed_executable(command, allowed)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("npx; rm -rf /", "not on this app's list"),  # no shell: 'npx;' is the executable's name
        ("$(npx) x", "not on this app's list"),
        ("`npx`", "not on this app's list"),
        ("./npx server", "relative path"),
        ("../bin/npx server", "relative path"),
        ("sh -c 'npx x'", "not on this app's list"),
        ("", "empty"),
        ("   ", "empty"),
        ("npx 'unclosed", "cannot be read"),
        ("npx a\nrm -rf /", "one line"),
        ("npx\x00evil", "one line"),
    ],
)
def test_hostile_command_lines_are_refused(path_bin: Path, line: str, reason: str) -> None:
    def check() -> None:
        command, *_ = split_command(line)
        allowed_executable(command, ["npx", "uvx"])

    with pytest.raises(McpRefusedError, match=reason):
        check()


def test_an_executable_of_the_same_name_elsewhere_is_refused(path_bin: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    impostor = _executable(other, "npx")
    with pytest.raises(McpRefusedError, match="not on this app's list"):
        allowed_executable(str(impostor), ["npx"])
    # The allowed one by its absolute path is the same executable: allowed.
    assert allowed_executable(str(path_bin / "npx"), ["npx"]) == str(path_bin / "npx")
    # An entry given as an absolute path allows that file only.
    assert allowed_executable(str(impostor), [str(impostor)]) == str(impostor)
    with pytest.raises(McpRefusedError):
        allowed_executable("npx", [str(impostor)])


def test_no_allowed_executable_means_none_runs(path_bin: Path) -> None:
    with pytest.raises(McpRefusedError, match="allows no executable"):
        allowed_executable("npx", [])


def test_arguments_keep_their_quoting_and_never_meet_a_shell() -> None:
    assert split_command("npx server --root '/my data' \"a b\" $HOME") == [
        "npx",
        "server",
        "--root",
        "/my data",
        "a b",
        "$HOME",
    ]


def test_leading_assignments_become_the_servers_environment(path_bin: Path) -> None:
    line = "GITHUB_TOKEN=abc _x9= QUOTED='a b' DOLLAR=$(whoami) npx server X=2"
    env, argv = split_assignments(split_command(line))
    assert env == {"GITHUB_TOKEN": "abc", "_x9": "", "QUOTED": "a b", "DOLLAR": "$(whoami)"}
    assert argv == ["npx", "server", "X=2"]  # after the executable, '=' is an argument's
    assert split_assignments(["npx", "A=1"]) == ({}, ["npx", "A=1"])

    connection = connection_from_dialog("files", "stdio", "FOO=1 FOO=2 npx @scope/server /data")
    assert isinstance(connection, cw.McpStdioConnection)
    assert (connection.command, connection.args, connection.env) == (
        "npx",
        ["@scope/server", "/data"],
        {"FOO": "2"},
    )
    assert "FOO" not in connection.target()  # the views never show the values (often keys)
    feature = cw.McpFeature(enabled=True, stdio=True, allowed_executables=["npx"])
    assert feature.check(connection) == str(path_bin / "npx")  # the executable checked as before


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "path",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "NODE_OPTIONS",
        "DYLD_INSERT_LIBRARIES",
        "BASH_ENV",
        "ENV",
    ],
)
def test_assignments_that_would_change_what_runs_are_refused(path_bin: Path, name: str) -> None:
    with pytest.raises(McpRefusedError, match=f"may not set {name}: it would change what the server runs"):
        connection_from_dialog("files", "stdio", f"SAFE=1 {name}=/tmp/evil npx server")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1FOO=1 npx server", "'1FOO=...' before the executable is not an environment variable"),
        ("FOO-BAR=1 npx server", "'FOO-BAR=...' before the executable is not an environment variable"),
        ("=1 npx server", "'=...' before the executable is not an environment variable"),
        ("--flag=1 npx server", "'--flag=...' before the executable is not an environment variable"),
        ("/opt/a=b/npx server", "is not an environment variable"),
        ("FOO=1", "names no executable after its environment variables"),
        ("FOO=1 BAR=2", "names no executable after its environment variables"),
        ("FOO=1 sh -c 'npx x'", "'sh' is not on this app's list"),
        ("FOO=1 ./npx server", "relative path"),
    ],
)
def test_malformed_assignments_are_refused(path_bin: Path, line: str, reason: str) -> None:
    def check() -> None:
        connection = connection_from_dialog("files", "stdio", line)
        cw.McpFeature(enabled=True, stdio=True, allowed_executables=["npx"]).check(connection)

    with pytest.raises(McpRefusedError, match=reason):
        check()


ALLOWED = ["http://127.0.0.1:8123/mcp", "https://tools.example.org/"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123/mcp",
        "http://127.0.0.1:8123/mcp/",
        "http://127.0.0.1:8123/mcp/sub?x=1",
        "https://tools.example.org/",
        "https://TOOLS.example.org:443/any/path",
        "https://tools.example.org",
    ],
)
def test_urls_under_an_allowed_prefix(url: str) -> None:
    assert allowed_url(url, ALLOWED) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8123/mcpx", "not among"),
        ("http://127.0.0.1:8123/other", "not among"),
        ("http://127.0.0.1:8124/mcp", "not among"),
        ("https://127.0.0.1:8123/mcp", "not among"),
        ("http://127.0.0.2:8123/mcp", "not among"),
        ("http://localhost:8123/mcp", "not among"),
        ("http://tools.example.org/", "not among"),
        ("https://tools.example.org.evil.test/", "not among"),
        ("http://127.0.0.1:8123/mcp/../admin", "'..'"),
        ("http://127.0.0.1:8123/mcp/%2e%2e/admin", "'..'"),
        ("http://user:pw@127.0.0.1:8123/mcp", "user name or password"),
        ("http://127.0.0.1:8123@tools.example.org/", "user name or password"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("http:///mcp", "http:// or https://"),
        ("http://127.0.0.1:8123/mcp\\..\\admin", "not allowed"),
        ("http://127.0.0.1:8123/mcp x", "not allowed"),
        ("http://127.0.0.1:99999/mcp", "cannot be read"),
        ("", "needs a URL"),
        ("http://127.0.0.1:8123/mcp/" + "a" * 3000, "longer than"),
    ],
)
def test_urls_outside_the_allowed_prefixes_are_refused(url: str, reason: str) -> None:
    with pytest.raises(McpRefusedError, match=reason):
        allowed_url(url, ALLOWED)


def test_no_allowed_url_means_none_is_reached() -> None:
    with pytest.raises(McpRefusedError, match="allows no URL"):
        allowed_url("https://tools.example.org/", [])


def test_everything_is_off_by_default(path_bin: Path) -> None:
    feature = cw.McpFeature()
    assert feature.browser_config() == {"enabled": False, "transports": []}
    stdio = cw.McpStdioConnection(name="files", command="npx", args=["server"])
    with pytest.raises(McpRefusedError, match="does not allow MCP servers"):
        feature.check(stdio)
    feature.enabled = True
    with pytest.raises(McpRefusedError, match="does not allow stdio"):
        feature.check(stdio)
    feature.stdio = True
    with pytest.raises(McpRefusedError, match="allows no executable"):
        feature.check(stdio)
    feature.allowed_executables = ["npx"]
    assert feature.check(stdio) == str(path_bin / "npx")
    http = cw.McpStreamableHttpConnection(name="web", url="https://tools.example.org/mcp")
    with pytest.raises(McpRefusedError, match="does not allow streamable-http"):
        feature.check(http)
    feature.streamable_http = True
    with pytest.raises(McpRefusedError, match="allows no URL"):
        feature.check(http)
    feature.allowed_urls = ["https://tools.example.org/"]
    assert feature.check(http) is None
    with pytest.raises(McpRefusedError, match="does not allow sse"):
        feature.check(cw.McpSseConnection(name="s", url="https://tools.example.org/sse"))


def test_options_in_the_references_shape() -> None:
    feature = cw.McpFeature.from_value(
        {
            "enabled": True,
            "stdio": {"enabled": True, "allowed_executables": ["npx", "uvx"]},
            "sse": {"enabled": False},
            "streamable-http": {"enabled": True, "allowed_urls": ["https://tools.example.org/"]},
        }
    )
    assert feature.transports() == ["stdio", "streamable-http"]
    assert feature.allowed_executables == ["npx", "uvx"]
    assert feature.browser_config() == {"enabled": True, "transports": ["stdio", "streamable-http"]}
    feature.dialog = False
    assert feature.browser_config()["enabled"] is False
    with pytest.raises(ValueError, match="Unknown MCP options: allowed_executabels"):
        cw.McpFeature.from_value({"enabled": True, "allowed_executabels": ["npx"]})
    assert cw.ChatApp(headless=True, mcp={"enabled": True, "sse": True}).mcp.transports() == ["sse"]


def test_options_are_config_traitlets_that_state_their_defaults() -> None:
    traits = cw.McpFeature.class_traits(config=True)
    expected = {"enabled", "stdio", "allowed_executables", "sse", "streamable_http", "allowed_urls"}
    assert expected <= set(traits)
    for name, trait in traits.items():
        assert "Default:" in trait.help, name


@pytest.mark.parametrize(
    ("name", "transport", "target", "reason"),
    [
        ("", "stdio", "npx x", "needs a name"),
        ("x" * 65, "stdio", "npx x", "needs a name"),
        ("a\u0000b", "stdio", "npx x", "needs a name"),
        ("files", "websocket", "ws://127.0.0.1/", "Unknown MCP transport"),
        ("files", "stdio", "", "empty"),
    ],
)
def test_a_bad_dialog_entry_is_refused(name: str, transport: str, target: str, reason: str) -> None:
    with pytest.raises(McpRefusedError, match=reason):
        connection_from_dialog(name, transport, target)


def test_allowed_executables_are_looked_up_on_the_kernels_path_only(
    path_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PATH belongs to the kernel's process: nothing in a request can change it.
    assert os.environ["PATH"] == str(path_bin)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(McpRefusedError, match="not on this app's list"):
        allowed_executable("npx", ["npx"])

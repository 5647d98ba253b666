"""An app user reaches the chat apps and nothing else; a developer keeps full Jupyter.

Each route is asked by both: the developer's answer shows that the route is there and does
something, the app user's is 403. Before roles existed, both got the developer's answer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from login_helpers import Browser
from server_helpers import (
    KERNEL_ID,
    app_user,
    developer,
    kernel_message,
    open_socket,
    replies_until,
    request,
    socket_status,
)

#: (method, path, body): every kind of route a Jupyter server with these extensions has.
DEVELOPER_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "lab", None),
    ("GET", "lab/tree/secret.ipynb", None),
    ("GET", "lab/api/settings", None),
    ("GET", "lab/api/workspaces", None),
    ("GET", "api/contents", None),
    ("GET", "api/contents/notes.txt", None),
    ("PUT", "api/contents/planted.txt", {"type": "file", "format": "text", "content": "x"}),
    ("GET", "files/notes.txt", None),
    ("GET", "view/notes.txt", None),
    ("GET", "api/kernels", None),
    ("POST", "api/kernels", {"name": "python3"}),
    ("GET", "api/sessions", None),
    ("POST", "api/sessions", {"path": "s.ipynb", "type": "notebook", "kernel": {"name": "python3"}}),
    ("GET", "api/terminals", None),
    ("POST", "api/terminals", None),
    ("GET", "api/kernelspecs", None),
    ("GET", "api/kernelspecs/python3", None),
    ("GET", "api/config/notebook", None),
    ("GET", "nbconvert/html/secret.ipynb", None),
    ("GET", "api/nbconvert", None),
    ("GET", "api/me", None),
    ("GET", "api/status", None),
    ("GET", "voila", None),
    ("GET", "voila/tree", None),
    ("GET", "voila/render/secret.ipynb", None),
    ("GET", "voila/api/contents", None),
]
#: Paths that try to reach past the published app's pattern.
TRICKS = [
    "voila/render/%2e%2e/app.ipynb",
    "voila/render/./secret.ipynb",
    "voila/render//secret.ipynb",
    "voila/render/app.ipynb/../secret.ipynb",
    "voila/render/app.ipynb%2f..%2fsecret.ipynb",
    "chatwidget/../api/contents",
    "chatwidget/%2e%2e/api/contents",
    "static/..%2fapi/contents",
]


async def test_every_jupyter_route_is_403_for_an_app_user(browsers: Any, jp_root_dir: Path) -> None:
    dev = await developer(browsers)
    alice = await app_user(browsers)
    for method, path, body in DEVELOPER_ROUTES:
        as_developer = await request(dev, method, path, body)
        assert as_developer.status_code < 400, (method, path, as_developer.status_code)
        as_app_user = await request(alice, method, path, body)
        assert as_app_user.status_code == 403, (method, path, as_app_user.status_code, as_app_user.text[:200])
    for path in TRICKS:
        assert (await request(alice, "GET", path)).status_code in (403, 404), path
    # The shutdown of the whole server, asked by an app user (not asked of the developer).
    assert (await request(alice, "POST", "api/shutdown")).status_code == 403
    assert (jp_root_dir / "planted.txt").read_text() == "x"  # the developer's PUT, not refused


async def test_an_app_user_cannot_reach_another_kernel(browsers: Any) -> None:
    dev = await developer(browsers)
    alice = await app_user(browsers)
    started = await request(dev, "POST", "api/kernels", {"name": "python3"})
    assert started.status_code == 201
    kernel = started.json()["id"]
    for method, path in [
        ("GET", f"api/kernels/{kernel}"),
        ("POST", f"api/kernels/{kernel}/interrupt"),
        ("POST", f"api/kernels/{kernel}/restart"),
        ("DELETE", f"api/kernels/{kernel}"),
        ("POST", f"voila/api/shutdown/{kernel}"),
    ]:
        assert (await request(alice, method, path)).status_code == 403, path
    assert await socket_status(alice, f"api/kernels/{kernel}/channels") == 403
    assert await socket_status(alice, "terminals/websocket/1") == 403
    assert await socket_status(alice, "api/events/subscribe") == 403
    assert await socket_status(dev, f"api/kernels/{kernel}/channels") == 101
    assert (await request(dev, "GET", f"api/kernels/{kernel}")).status_code == 200


async def test_an_app_user_opens_the_published_app_and_talks_only_widgets_to_its_kernel(
    browsers: Any, tmp_path: Path, jp_serverapp: Any
) -> None:
    alice = await app_user(browsers)
    page = await alice.get("voila/render/app.ipynb")
    assert page.status_code == 200, page.text[:300]
    match = KERNEL_ID.search(page.text)
    assert match, page.text[:500]
    kernel = match.group(1)
    assert kernel in jp_serverapp.kernel_manager
    assert (await alice.get("voila/render/secret.ipynb")).status_code == 403
    assert (await request(alice, "GET", f"api/kernels/{kernel}")).status_code == 200  # the page reads it
    for method in ("DELETE", "PATCH"):
        assert (await request(alice, method, f"api/kernels/{kernel}", {})).status_code == 403
    for action in ("interrupt", "restart"):
        assert (await request(alice, "POST", f"api/kernels/{kernel}/{action}")).status_code == 403

    marker = tmp_path / "ran.txt"
    code = f"open({str(marker)!r}, 'w').write('code ran')"
    conn = await open_socket(alice, f"api/kernels/{kernel}/channels")
    try:
        for hostile in [
            kernel_message("execute_request", {"code": code, "silent": False}),
            kernel_message("execute_request", {"code": code}, channel="control"),
            kernel_message(
                "debug_request", {"command": "evaluate", "arguments": {"expression": code}}, "control"
            ),
            kernel_message("complete_request", {"code": "import o", "cursor_pos": 8}),
            kernel_message("inspect_request", {"code": "open", "cursor_pos": 4, "detail_level": 1}),
            kernel_message(
                "history_request", {"hist_access_type": "tail", "n": 10, "output": True, "raw": True}
            ),
            kernel_message("shutdown_request", {"restart": False}, channel="control"),
        ]:
            await conn.write_message(json.dumps(hostile))
        await conn.write_message("not json")
        await conn.write_message(json.dumps({"channel": "shell", "header": "nope"}))
        await conn.write_message(json.dumps(kernel_message("comm_info_request", {})))
        seen = await replies_until(conn, "comm_info_reply")
    finally:
        conn.close()
    assert not {"execute_reply", "complete_reply", "inspect_reply", "history_reply", "debug_reply"} & set(
        seen
    )
    assert not marker.exists()
    assert kernel in jp_serverapp.kernel_manager  # no shutdown went through

    # The same bytes from a developer do run: the test would see code execution if it got through.
    await run_as_developer(browsers, kernel, code)
    assert marker.read_text() == "code ran"


async def run_as_developer(browsers: Any, kernel: str, code: str) -> None:
    dev = await developer(browsers)
    conn = await open_socket(dev, f"api/kernels/{kernel}/channels")
    try:
        await conn.write_message(json.dumps(kernel_message("execute_request", {"code": code})))
        await replies_until(conn, "execute_reply")
    finally:
        conn.close()


async def test_an_app_user_opens_widget_comms_only(browsers: Any, tmp_path: Path) -> None:
    alice = await app_user(browsers)
    page = await alice.get("voila/render/app.ipynb")
    kernel = KERNEL_ID.search(page.text).group(1)  # type: ignore[union-attr]
    marker = tmp_path / "opened.txt"
    # a comm target of another kind in the app's kernel, as a library or a debugger may register
    register = (
        "get_ipython().kernel.comm_manager.register_target('probe', "
        f"lambda comm, msg: open({str(marker)!r}, 'a').write(msg['content']['data']['who']))"
    )
    await run_as_developer(browsers, kernel, register)

    def opening(who: str) -> str:
        content = {"comm_id": uuid.uuid4().hex, "target_name": "probe", "data": {"who": who}}
        return json.dumps(kernel_message("comm_open", content))

    conn = await open_socket(alice, f"api/kernels/{kernel}/channels")
    try:
        await conn.write_message(opening("alice"))
        no_target = kernel_message("comm_open", {"comm_id": uuid.uuid4().hex, "data": {}})
        await conn.write_message(json.dumps(no_target))
        await conn.write_message(json.dumps(kernel_message("comm_info_request", {})))
        await replies_until(conn, "comm_info_reply")  # the kernel has read all before it
    finally:
        conn.close()
    assert not marker.exists()

    dev = await developer(browsers)
    conn = await open_socket(dev, f"api/kernels/{kernel}/channels")  # the developer's does open
    try:
        await conn.write_message(opening("dev"))
        await conn.write_message(json.dumps(kernel_message("comm_info_request", {})))
        await replies_until(conn, "comm_info_reply")
    finally:
        conn.close()
    assert marker.read_text() == "dev"


async def test_the_v1_websocket_protocol_is_filtered_too(browsers: Any, tmp_path: Path) -> None:
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    alice = await app_user(browsers)
    page = await alice.get("voila/render/app.ipynb")
    kernel = KERNEL_ID.search(page.text).group(1)  # type: ignore[union-attr]
    marker = tmp_path / "ran-v1.txt"
    msg = kernel_message("execute_request", {"code": f"open({str(marker)!r}, 'w').write('x')"})
    parts = [json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata", "content")]
    conn = await open_socket(alice, f"api/kernels/{kernel}/channels", ["v1.kernel.websocket.jupyter.org"])
    try:
        await conn.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)
        info = kernel_message("kernel_info_request", {})
        parts = [json.dumps(info[k]).encode() for k in ("header", "parent_header", "metadata", "content")]
        await conn.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)
        for _ in range(100):
            raw = await asyncio.wait_for(conn.read_message(), 20)
            assert isinstance(raw, bytes)
            if b"kernel_info_reply" in raw:
                break
            assert b"execute_reply" not in raw
    finally:
        conn.close()
    assert not marker.exists()


async def test_the_app_users_chat_routes_work(browsers: Any) -> None:
    alice: Browser = await app_user(browsers)
    assert (await alice.get("chatwidget/api/threads")).status_code == 200
    identity = await alice.get("chatwidget/api/identity")
    assert identity.status_code == 200 and identity.json()["owner"] == "generic:alice-1"


@pytest.mark.parametrize("identity_config", [{"allowed_users": {"generic:alice-1"}, "app_notebooks": []}])
async def test_with_no_published_app_an_app_user_opens_none(browsers: Any) -> None:
    alice = await app_user(browsers)
    assert (await alice.get("voila/render/app.ipynb")).status_code == 403

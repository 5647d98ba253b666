"""Threads per app: an app lists its own threads, all apps' at a request; the default name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import traitlets

import chatwidget as cw
from chatwidget import load_chainlit_app
from chatwidget._app_name import default_app_name, short_path
from chatwidget.data.sql import SQLDataLayer


@pytest.fixture
async def layer(tmp_path):
    data = SQLDataLayer(f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}")
    yield data
    await data.close()


@pytest.fixture
def make_app(recording, layer, monkeypatch):
    monkeypatch.setenv("CHATWIDGET_OWNER", "alice")
    monkeypatch.setenv("JPY_SESSION_NAME", str(Path.home() / "work" / "two apps.ipynb"))
    apps = []

    def make(title, **kwargs):
        app = cw.ChatApp(title=title, data_layer=layer, **kwargs)

        @app.on_message
        async def reply(message):
            await cw.Message(f"{title}: {message.content}").send()

        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


async def names(app: cw.ChatApp, **kwargs) -> list[str]:
    return [t["name"] for t in (await app.list_threads(**kwargs))["data"]]


async def test_two_apps_of_one_notebook_list_their_own_threads(make_app, until, replied):
    writer, critic = make_app("Writer"), make_app("Critic")
    assert writer.name == "~/work/two apps.ipynb: Writer"
    assert critic.name == "~/work/two apps.ipynb: Critic"
    await writer.send_user_message("a poem")
    await critic.send_user_message("a review")
    await writer.save()
    await critic.save()
    assert await names(writer) == ["a poem"]
    assert await names(critic) == ["a review"]
    assert await names(writer, all_apps=True) == ["a review", "a poem"]

    # the browser's request: this app's by default, every app's with `all`
    writer.widget.comm.browser_sends({"id": "mine", "kind": "threads"})
    writer.widget.comm.browser_sends({"id": "all", "kind": "threads", "all": True})
    writer.widget.comm.browser_sends({"id": "bad", "kind": "threads", "all": "yes"})
    await until(replied(writer.widget.comm, "mine", "all", "bad"))
    replies = {r["id"]: r for r in writer.widget.comm.customs("reply")}
    assert [(t["name"], t["app"]) for t in replies["mine"]["result"]["data"]] == [("a poem", writer.name)]
    assert [t["app"] for t in replies["all"]["result"]["data"]] == [critic.name, writer.name]
    assert replies["bad"]["error"]["message"] == "'all' must be bool"


async def test_the_same_app_run_again_finds_its_threads(make_app):
    first = make_app("Writer")
    await first.send_user_message("before the restart")
    await first.save()
    first.close()
    again = make_app("Writer")  # a re-run of the cell, or a new kernel for the same notebook
    assert again.name == first.name
    assert await names(again) == ["before the restart"]
    assert await names(make_app("Writer", name="elsewhere")) == []


async def test_a_thread_resumed_from_all_apps_stays_in_its_app(make_app, layer):
    writer, critic = make_app("Writer"), make_app("Critic")
    await writer.send_user_message("draft")
    await writer.save()
    (thread,) = (await critic.list_threads(all_apps=True))["data"]
    await critic.resume(thread["id"])
    await critic.send_user_message("more")
    await critic.save()
    assert await names(writer) == ["draft"] and await names(critic) == []


async def test_a_thread_made_before_apps_is_listed_under_all_and_joins_the_app_that_resumes_it(
    make_app, layer
):
    user = await layer.create_user(cw.data.User("alice"))
    await layer.update_thread("legacy", name="from last year", user_id=user.id, create=True)
    app = make_app("Writer")
    assert await names(app) == []
    assert await names(app, all_apps=True) == ["from last year"]
    await app.resume("legacy")
    await app.save()
    assert await names(app) == ["from last year"]


async def test_a_resumed_step_keeps_its_icon(make_app):
    app = make_app("Writer")

    @app.on_message
    async def search(message):
        async with cw.Step(name="web", type="tool", icon="globe", auto_collapse=True) as step:
            step.output = "3 pages"

    await app.send_user_message("look it up")
    await app.save()
    again = make_app("Writer")
    await again.resume(app.thread_id)
    (step,) = [s for s in again.steps if s.type == "tool"]
    assert (step.icon, step.auto_collapse) == ("globe", True)
    assert step.to_dict()["icon"] == "globe"


def test_the_default_name_follows_the_notebook_and_the_title(monkeypatch, tmp_path):
    monkeypatch.setenv("JPY_SESSION_NAME", "/srv/notebooks/report.ipynb")
    assert default_app_name("Chat") == "/srv/notebooks/report.ipynb: Chat"
    # Voila: the kernel runs in the notebook's folder; the page's address names the file
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCRIPT_NAME", "/base/voila/render/sub/my%20dash.ipynb")
    monkeypatch.setenv("VOILA_REQUEST_URL", "http://127.0.0.1/base/voila/render/sub/my%20dash.ipynb")
    assert default_app_name("Chat") == f"{short_path(os.path.join(tmp_path, 'my dash.ipynb'))}: Chat"
    monkeypatch.delenv("SCRIPT_NAME")
    monkeypatch.delenv("VOILA_REQUEST_URL")
    assert default_app_name("Chat") == "Chat"  # pytest's __main__ is no app's source
    assert len(default_app_name("T" * 400)) == 255
    assert short_path(str(Path.home() / "a.ipynb")) == os.path.join("~", "a.ipynb")


def test_a_name_is_checked():
    with pytest.raises(traitlets.TraitError, match="1 to 255"):
        cw.ChatApp(title="x", headless=True, name="   ")
    with pytest.raises(traitlets.TraitError, match="1 to 255"):
        cw.ChatApp(title="x", headless=True, name="n" * 256)
    assert cw.ChatApp(title="x", headless=True, name=" mine ").name == "mine"


def test_a_chainlit_file_is_an_app_named_after_its_path(tmp_path, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "/srv/notebooks/host.ipynb")
    source = tmp_path / "app.py"
    source.write_text("import chainlit as cl\n\n@cl.on_message\nasync def main(message):\n    pass\n")
    app = load_chainlit_app(source, headless=True)
    assert app.name == short_path(str(source.resolve()))
    assert load_chainlit_app(source, headless=True, name="custom").name == "custom"

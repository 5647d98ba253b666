"""A Chainlit file, unchanged, run as a chat of this kernel: the loader and the drop-in module."""

from __future__ import annotations

import json
import sys

import pytest

import chatwidget as cw
import chatwidget.chainlit as cl

ECHO = """
import chainlit as cl
from chainlit.input_widget import Select


@cl.on_chat_start
async def start():
    await cl.ChatSettings([Select(id="model", values=["a", "b"], initial_index=0)]).send()
    await cl.Message("Hello!").send()


@cl.on_message
async def main(message: cl.Message):
    user = cl.user_session.get("user")
    who = user.identifier if user else "nobody"
    await cl.Message(f"{who} said {message.content} ({len(cl.chat_context.get())})").send()
"""


async def test_an_unchanged_chainlit_file_runs_and_import_chainlit_is_put_back(browser_app, chainlit_file):
    path = chainlit_file(ECHO)
    before = {k for k in sys.modules if k == "chainlit" or k.startswith("chainlit.")}
    app = browser_app(cw.load_chainlit_app(path, user=cw.User(identifier="ada")))
    assert {k for k in sys.modules if k == "chainlit" or k.startswith("chainlit.")} == before
    await app.start()
    await app.send_user_message("hi")
    assert [m.content for m in app.messages] == ["Hello!", "hi", "ada said hi (2)"]
    assert app.settings["values"] == {"model": "a"}
    assert app.title == "Assistant" and app.file_upload["enabled"]  # the reference's defaults


async def test_the_drop_in_module_registers_on_its_default_app():
    app = cl.default_app()

    @cl.on_message
    async def echo(message):
        await cl.Message(f"echo {message.content}").send()

    try:
        await app.send_user_message("x")
        assert cl.app is app and app.messages[-1].content == "echo x"
    finally:
        app.close()
    fresh = cl.default_app()
    fresh.close()
    assert fresh is not app  # a closed default app is replaced


def test_a_missing_module_is_named_at_the_files_import_line(chainlit_file):
    path = chainlit_file("import chainlit as cl\nfrom chainlit.server import app\n")
    with pytest.raises(cl.ChainlitFeatureError, match=r"chainlit\.server is not supported.*Jupyter server"):
        cw.load_chainlit_app(path, headless=True)
    with pytest.raises(cw.NoChatError):  # the app of the failed load was closed
        cw.context.session  # noqa: B018 - outside any chat
    assert "chainlit" not in sys.modules or "chatwidget" not in repr(sys.modules.get("chainlit"))


def test_a_missing_name_is_named_not_an_attribute_error_deep_inside(chainlit_file):
    path = chainlit_file(
        "import chainlit as cl\n\n@cl.on_slack_reaction_added\nasync def react(event): ...\n"
    )
    with pytest.raises(cl.ChainlitFeatureError, match=r"chainlit\.on_slack_reaction_added .*Slack"):
        cw.load_chainlit_app(path, headless=True)
    with pytest.raises(AttributeError):
        cl.__wrapped__  # noqa: B018 - Python's own probes still get AttributeError


def test_project_files_config_readme_and_translations(chainlit_file, tmp_path):
    path = chainlit_file("import chainlit as cl\n")
    (tmp_path / ".chainlit" / "translations").mkdir(parents=True)
    (tmp_path / ".chainlit" / "config.toml").write_text(
        '[project]\nuser_env = ["OPENAI_API_KEY"]\n[UI]\nname = "Helper"\ncot = "hidden"\n'
        "[features.spontaneous_file_upload]\nenabled = false\n"
    )
    (tmp_path / "chainlit.md").write_text("# Welcome")
    (tmp_path / "chainlit_fr.md").write_text("# Bienvenue")
    (tmp_path / ".chainlit" / "translations" / "fr.json").write_text(
        json.dumps({"chat": {"input": {"placeholder": "Votre message"}}})
    )
    french = cw.load_chainlit_app(path, headless=True, language="fr-FR")  # fr-FR → fr → default
    assert (french.title, french.assistant_name, french.cot) == ("Helper", "Helper", "hidden")
    assert not french.file_upload["enabled"] and french.user_env_keys == ["OPENAI_API_KEY"]
    assert french.readme == "# Bienvenue" and french.placeholder == "Votre message"
    other = cw.load_chainlit_app(path, headless=True, language="de-DE")
    assert other.readme == "# Welcome" and other.placeholder == ""
    french.close()  # an app left open would be "the one open app" of the tests that follow
    other.close()
    (tmp_path / ".chainlit" / "config.toml").write_text("[UI\nname=")
    with pytest.raises(ValueError, match="not valid TOML"):
        cw.load_chainlit_app(path, headless=True)


AUTH = """
import chainlit as cl


@cl.password_auth_callback
def check(username, password):
    return cl.User(identifier=username) if password == "secret" else None


@cl.header_auth_callback
async def from_headers(headers):
    return cl.User(identifier="proxy") if headers.get("x-user") else None


@cl.on_chat_start
async def hello():
    await cl.Message(f"Hello {cl.user_session.get('user').identifier}").send()
"""


async def test_sign_in_through_the_files_own_callbacks(browser_app, chainlit_file):
    path = chainlit_file(AUTH)
    app = browser_app(cw.load_chainlit_app(path, login=("admin", "secret")))
    await app.start()
    assert app.messages[0].content == "Hello admin"
    await app.new_chat()
    await app.start()
    assert app.messages[0].content == "Hello admin"  # the user outlives a chat
    proxied = browser_app(cw.load_chainlit_app(path, headers={"x-user": "1"}))
    await proxied.start()
    assert proxied.messages[0].content == "Hello proxy"
    with pytest.raises(PermissionError):
        cw.load_chainlit_app(path, headless=True, login=("admin", "wrong"))
    with pytest.raises(ValueError, match="password_auth_callback"):
        cw.load_chainlit_app(chainlit_file("import chainlit\n", "plain.py"), headless=True, login=("a", "b"))


DATA_LAYER = """
import chainlit as cl
import chainlit.data as cl_data

WRITTEN = []


class Memory(cl_data.BaseDataLayer):
    async def get_user(self, identifier): return None
    async def create_user(self, user):
        return cl.PersistedUser(id="u1", createdAt="now", identifier=user.identifier)
    async def upsert_feedback(self, feedback): return ""
    async def delete_feedback(self, feedback_id): return True
    async def create_element(self, element): WRITTEN.append(("element", element.name))
    async def get_element(self, thread_id, element_id): return None
    async def delete_element(self, element_id, thread_id=None): pass
    async def create_step(self, step_dict): WRITTEN.append(("step", step_dict["type"]))
    async def update_step(self, step_dict): WRITTEN.append(("step", step_dict["type"]))
    async def delete_step(self, step_id): pass
    async def get_thread_author(self, thread_id): return "ada"
    async def delete_thread(self, thread_id): pass
    async def list_threads(self, pagination, filters): return None
    async def get_thread(self, thread_id): return None
    async def update_thread(self, thread_id, name=None, user_id=None, metadata=None, tags=None):
        WRITTEN.append(("thread", name))


@cl.data_layer
def layer():
    return Memory()


@cl.on_message
async def main(message):
    await cl.Message("noted", elements=[cl.Text(name="note", content="n")]).send()
"""


async def test_a_data_layer_written_for_the_reference_keeps_the_thread(
    browser_app, chainlit_file, monkeypatch
):
    monkeypatch.setenv("CHATWIDGET_OWNER", "ada")
    path = chainlit_file(DATA_LAYER)
    app = browser_app(cw.load_chainlit_app(path))
    await app.send_user_message("remember this")
    await app.save()
    log = type(app.data_layer).get_user.__globals__["WRITTEN"]
    assert ("thread", "remember this") in log and ("element", "note") in log, log
    assert not app.storage_error
    assert {kind for kind, _ in log} == {"thread", "step", "element"}

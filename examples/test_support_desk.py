"""Testing your own chat app with the `chat` fixture of chatwidget's pytest plugin.

Run with `pytest examples/test_support_desk.py`: no browser, no kernel. The fixture comes
with the package (an entry point), so nothing needs to be imported or configured.
"""

import chatwidget as cw


def build_app() -> cw.ChatApp:
    """The app under test; in your project, import it from your own module."""
    app = cw.ChatApp(title="Support desk", headless=True)

    @app.on_message
    async def reply(message: cw.Message):
        if "ticket" in message.content.lower():
            res = await cw.AskUserMessage(content="What is your ticket number?", timeout=60).send()
            if res is None:
                await cw.Message("No ticket number: ask me again any time.").send()
                return
            await cw.Message(f"Ticket {res['output']} is being handled.").send()
            return
        choice = await cw.AskActionMessage(
            content="Which team?",
            actions=[cw.Action(name="sales", label="Sales"), cw.Action(name="tech", label="Tech")],
        ).send()
        await cw.Message(f"Passing you to {choice['label'] if choice else 'nobody'}.").send()

    return app


async def test_a_ticket_number_is_asked_and_used(chat):
    app = chat(build_app())
    await app.send_user_message("About my ticket", answers=["4711"])
    assert app.transcript().splitlines()[-1] == "Assistant: Ticket 4711 is being handled."


async def test_no_answer_is_handled(chat):
    app = chat(build_app())
    await app.send_user_message("my ticket", answers=[None])  # None: the prompt times out
    assert "ask me again" in app.messages[-1].content


async def test_an_action_is_chosen(chat):
    app = chat(build_app())
    await app.send_user_message("help", answers=["tech"])
    assert app.transcript() == ("User: help\nAssistant: Which team?\nAssistant: Passing you to Tech.")

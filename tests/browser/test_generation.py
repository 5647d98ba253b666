"""An LLM call's metadata is readable in its step: model, tokens, latency, the prompt by role."""

from __future__ import annotations

import pytest
from labdriver import Chat, MakeNotebook
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

APP = """
import chatwidget as cw
app = cw.ChatApp(title="Generation", persist=False)

@app.on_message
async def reply(message):
    async with cw.Step(name="gpt call", type="llm", default_open=True) as s:
        s.input = message.content
        s.output = "Paris."
        s.generation = cw.ChatGeneration(
            provider="openai", model="gpt-test", settings={"temperature": 0.2},
            messages=[cw.GenerationMessage(role="system", content="Be brief."),
                      cw.GenerationMessage(role="user", content=message.content)],
            message_completion=cw.GenerationMessage(role="assistant", content="Paris."),
            input_token_count=12, output_token_count=2, duration=0.42, tt_first_token=120.0,
        )
    await cw.Message("Paris.").send()

app.display()
"""


def test_generation_metadata_is_shown_by_role(notebook: MakeNotebook, page: Page) -> None:
    notebook([APP]).run_all()
    chat = Chat.find(page)
    chat.send("Capital of France?")
    step = chat.root.locator(".cw-step", has_text="gpt call")
    expect(step).to_be_visible()
    generation = step.locator(".cw-generation")
    expect(generation.locator("summary")).to_contain_text("openai · gpt-test")
    expect(generation.locator("summary")).to_contain_text("12 → 2")
    generation.locator("summary").click()
    expect(generation.locator(".cw-gen-message[data-role=system] .cw-gen-content")).to_have_text("Be brief.")
    expect(generation.locator(".cw-gen-message[data-role=user] .cw-gen-content")).to_have_text(
        "Capital of France?"
    )
    expect(generation.locator(".cw-gen-completion .cw-gen-content")).to_have_text("Paris.")
    expect(generation.locator(".cw-gen-settings")).to_contain_text("temperature")

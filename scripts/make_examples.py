"""Write the example notebooks and execute them, so their saved outputs are what nbval checks.

    .venv/bin/python scripts/make_examples.py            # all of them
    .venv/bin/python scripts/make_examples.py elements   # the ones whose name contains "elements"

Outputs must be deterministic: the notebooks print transcripts (no ids, no timestamps).
Widget state is not stored in the notebooks (it would embed the front-end bundle).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    "language_info": {"name": "python"},
}


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(text.strip())
    if ".display()" in text:
        # The widget's output and its static copy change as the chat goes on (the copy is
        # refreshed after each answer): nbval checks the printed transcripts instead.
        cell.metadata["tags"] = ["nbval-ignore-output"]
    return cell


NOTEBOOKS: dict[str, list[nbformat.NotebookNode]] = {}

NOTEBOOKS["quickstart.ipynb"] = [
    md("""
# Quickstart: a streaming chat in a notebook

A chat app is a `cw.ChatApp` with handlers. `on_chat_start` greets, `on_message` answers each
user message. Here the answer comes from `DemoModel`, an offline stand-in for an LLM, so this
runs with no API key.

Run the cells, then type in the chat below, for example *What can you do?*: a `plan` step
shows what the model "thought", then the answer streams in, starting with "You said: ...".
`app.sidebar()` opens the same live chat in JupyterLab's side panel.
"""),
    code("""
import chatwidget as cw
from chatwidget.demo import DemoModel

app = cw.ChatApp(title="Quickstart")
model = DemoModel()


@app.on_chat_start
async def welcome():
    await cw.Message("Hi! I am an offline demo model. Ask me anything.").send()


@app.on_message
async def reply(message: cw.Message):
    # A step shows the work behind an answer as a collapsible block.
    async with cw.Step(name="plan", type="llm") as step:
        step.input = message.content
        step.output = model.plan(message.content)

    # Tokens are streamed into one message; the widget batches them for the browser.
    answer = cw.Message(content="")
    async for token in model.stream(message.content):
        await answer.stream_token(token)
    await answer.send()


app.display()
"""),
    md("""
## Driving the chat from code

The same app can be driven without a browser: `send_user_message` acts as the user and
returns when the answer is complete. This is how the notebook is tested.
"""),
    code("""
await app.send_user_message("What can you do?")
print(app.transcript())
"""),
    md("`app.messages` holds the conversation as objects; `to_dict()` gives the serialized form."),
    code("[(m.author, m.type) for m in app.messages]"),
]

NOTEBOOKS["steps_and_cot.ipynb"] = [
    md("""
# Steps and chain of thought

A **step** shows the work behind an answer: a tool call, a retrieval, an LLM call. Steps
nest: a step opened inside another one becomes its child, across `await`s, without passing
anything around. The user sees them as collapsible blocks above the answer.
"""),
    code("""
import asyncio

import chatwidget as cw

app = cw.ChatApp(title="Steps", persist=False)


@cw.step(type="tool")
async def search(query: str) -> list[str]:
    # The arguments become the step's input, the result its output.
    await asyncio.sleep(0.01)
    return [f"{query} result {i}" for i in range(1, 4)]


@cw.step(type="tool")
def rank(results: list[str]) -> str:
    # Synchronous functions work too.
    return results[0]


@app.on_message
async def reply(message: cw.Message):
    async with cw.Step(name="research", type="run") as research:
        research.input = message.content
        best = rank(await search(message.content))
        research.output = best
    async with cw.Step(name="llm", type="llm") as llm:
        llm.input = f"Answer using: {best}"
        llm.output = f"The best match is {best}."
        llm.generation = cw.ChatGeneration(
            provider="demo", model="demo-1",
            messages=[cw.GenerationMessage(role="user", content=message.content)],
            message_completion=cw.GenerationMessage(role="assistant", content=llm.output),
            token_count=12,
        )
    await cw.Message(content=f"Here is what I found: **{best}**").send()


app.display()
"""),
    md("""
Type a query in the chat above, for example *jupyter widgets*: the answer ("Here is what I
found: **jupyter widgets result 1**") comes under a `research` step holding the `search` and
`rank` tool steps, and an `llm` step with its generation. Or drive it from code and read the
transcript: steps are indented under their parent.
"""),
    code("""
await app.send_user_message("jupyter widgets")
print(app.transcript())
"""),
    md("""
## When a step fails

An exception inside a step marks the step as an error (with the exception's text) and keeps
propagating; a handler that raises shows an error message, and the chat goes on. A second
app shows it here, headless, so that the chat above keeps its handler.
"""),
    code("""
broken = cw.ChatApp(title="Broken", headless=True)


@broken.on_message
async def failing(message: cw.Message):
    async with cw.Step(name="parse", type="tool"):
        raise ValueError("could not parse the question")


await broken.send_user_message("???")
print(broken.transcript())
"""),
    md("""
## How much of the chain of thought users see

`cot="full"` shows every step, `"tool_call"` only tool steps, `"hidden"` none: then the
browser receives only stubs of the steps, never their contents. The kernel keeps everything.
"""),
    code("""
quiet = cw.ChatApp(title="Quiet", cot="hidden", persist=False)
quiet.on_message(reply)
await quiet.send_user_message("notebooks")
step = quiet.steps[1]
print("kernel keeps:", step.name, "->", step.output)
print("browser gets:", quiet.chat.wire(step)["output"] == "")
"""),
]

NOTEBOOKS["ask_and_actions.ipynb"] = [
    md("""
# Asking the user, and action buttons

Inside a handler, `await cw.AskUserMessage(...).send()` waits for the user's answer, then
the handler goes on. `AskActionMessage` offers buttons; `AskFileMessage` asks for files.
Actions attached to any message call `@app.action_callback(name)` when clicked.

Type anything in the chat below: it asks for your name (answer in the composer), then offers
Tea or Coffee; after your choice ("Your name is: ... One tea coming.") a Refill button pours
another.
"""),
    code("""
import chatwidget as cw

app = cw.ChatApp(title="Ask", persist=False)


@app.on_message
async def main(message: cw.Message):
    res = await cw.AskUserMessage(content="What is your name?", timeout=30).send()
    if res is None:
        await cw.Message("No answer: never mind.").send()
        return
    name = res["output"]
    choice = await cw.AskActionMessage(
        content=f"Nice to meet you, {name}. Tea or coffee?",
        actions=[
            cw.Action(name="tea", payload={"drink": "tea"}, label="Tea"),
            cw.Action(name="coffee", payload={"drink": "coffee"}, label="Coffee"),
        ],
    ).send()
    drink = choice["payload"]["drink"] if choice else "water"
    await cw.Message(
        content=f"Your name is: {name}. One {drink} coming.",
        actions=[cw.Action(name="refill", payload={"drink": drink}, label="Refill")],
    ).send()


@app.action_callback("refill")
async def refill(action: cw.Action):
    await cw.Message(content=f"Another {action.payload['drink']}!").send()
    await action.remove()  # the button goes away


app.display()
"""),
    md("""
Headless, `answers=[...]` feeds the prompts in order: text for `AskUserMessage`, an action
name for `AskActionMessage`, `None` for a timeout.
"""),
    code("""
await app.send_user_message("hello", answers=["Jeeves", "tea"])
print(app.transcript())
"""),
    code("""
await app.send_user_message("hello again", answers=[None])
print(app.messages[-1].content)
"""),
    md("""
## Files

`AskFileMessage` checks every file against `accept` (MIME types, wildcards such as `image/*`,
or a map of types to extensions), `max_size_mb` and `max_files` in the kernel. A file that
breaks a rule is refused (in the browser the user sees why and can try again).
"""),
    code("""
from pathlib import Path
import tempfile

folder = Path(tempfile.mkdtemp())
(folder / "notes.txt").write_text("buy milk")
(folder / "main.cpp").write_text("int main() {}")

files_app = cw.ChatApp(title="Files", persist=False)
asks = []


@files_app.on_message
async def upload(message: cw.Message):
    ask = cw.AskFileMessage(content="Send a text file", accept=["text/plain", "application/pdf"])
    asks.append(ask)
    files = await ask.send()
    if files:
        text = Path(files[0].path).read_text()
        await cw.Message(content=f"{files[0].name} says: {text}").send()


await files_app.send_user_message("here", answers=[[folder / "main.cpp"], [folder / "notes.txt"]])
print(asks[0].rejections)
print(files_app.messages[-1].content)
"""),
]

NOTEBOOKS["elements.ipynb"] = [
    md("""
# Elements: images, plots, tables, PDFs, task lists and custom components

Elements attach to a message (`elements=[...]`) or a step. `display="inline"` shows them in
the message, `"side"` as a link that opens a side area, `"page"` as a link to a full view.
Their bytes travel once, as binary buffers, however often the message is updated.

Type anything in the chat below: a task list appears and completes, then a plot, a table, a
link that opens the PDF in a side area and a SQL snippet; last, a small form asks "How was
it?": answer it and press Send, and the chat thanks you with your answer.
"""),
    code("""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

import chatwidget as cw

app = cw.ChatApp(title="Elements", persist=False)

fig, ax = plt.subplots(figsize=(4, 2.5))
ax.plot([1, 3, 2, 4], marker="o")
ax.set_title("Weekly signups")

frame = pd.DataFrame({"city": ["Paris", "Lyon", "Nice"], "visits": [120, 45, 30]})

# A minimal valid one-page PDF, so the example needs no file.
pdf = (b"%PDF-1.1\\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
       b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\\ntrailer<</Root 1 0 R>>")

form = cw.CustomElement(
    name="feedback-form",
    props={"question": "How was it?"},
    source=\"\"\"
export function render({ props, el, submit }) {
  const label = document.createElement("label");
  label.textContent = props.question + " ";
  const input = document.createElement("input");
  const button = document.createElement("button");
  button.textContent = "Send";
  button.onclick = () => submit({ answer: input.value });
  label.append(input, button);
  el.append(label);
}
\"\"\",
)


@app.on_message
async def show(message: cw.Message):
    tasks = cw.TaskList(tasks=[cw.Task(title="Plot", status="running"), cw.Task(title="Table")])
    await cw.Message(content="Working on it...", elements=[tasks]).send()
    await cw.Message(
        content="Here is the plot, the table and the report.",
        elements=[
            cw.Pyplot(name="signups", figure=fig),
            cw.Dataframe(name="visits", data_frame=frame),
            cw.Pdf(name="report.pdf", content=pdf, display="side"),
            cw.Text(name="query.sql", content="SELECT city, visits FROM stats", language="sql"),
        ],
    ).send()
    tasks.tasks[0].status = "done"
    tasks.tasks[1].status = "done"
    tasks.status = "Done"
    await tasks.send()  # updates the task list; the other elements' bytes are not resent
    answer = await cw.AskElementMessage(content="One question:", element=form, timeout=60).send()
    if answer and answer["submitted"]:
        await cw.Message(content=f"Thanks: {answer['answer']}").send()


app.display()
"""),
    code("""
await app.send_user_message("show me", answers=[{"submitted": True, "data": {"answer": "great"}}])
print(app.transcript())
print([(e.type, e.name, e.display) for m in app.messages for e in m.elements])
"""),
]

NOTEBOOKS["llm_chat.ipynb"] = [
    md("""
# A chat with an LLM

This chat talks to any OpenAI-compatible endpoint: set `OPENAI_BASE_URL` (for a local server
such as vLLM, llama.cpp or Ollama) and/or `OPENAI_API_KEY` before starting the kernel, and
`pip install chatwidget[openai]`. With neither set it falls back to the offline demo model,
so the notebook runs anywhere. `instrument_openai()` records each call as an `llm` step with
its prompt, settings, token counts and latency.

Type in the chat below, for example *Hello!*: offline, the demo model answers "You said:
**Hello!**" and a short tour; with an endpoint, the model answers.
"""),
    code("""
import os

import chatwidget as cw
from chatwidget.demo import DemoModel

configured = bool(os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))
if configured:
    from openai import AsyncOpenAI

    from chatwidget.openai import instrument_openai

    instrument_openai()
    client = AsyncOpenAI()
    model_name = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
demo = DemoModel(delay=0)

app = cw.ChatApp(title="LLM chat", persist=False)


@app.on_chat_start
async def start():
    cw.user_session.set("history", [{"role": "system", "content": "You are a helpful assistant."}])


@app.on_message
async def reply(message: cw.Message):
    history = cw.user_session.get("history")
    history.append({"role": "user", "content": message.content})
    answer = cw.Message(content="")
    if configured:
        stream = await client.chat.completions.create(model=model_name, messages=history, stream=True)
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                await answer.stream_token(chunk.choices[0].delta.content)
    else:
        async for token in demo.stream(message.content):
            await answer.stream_token(token)
    await answer.send()
    history.append({"role": "assistant", "content": answer.content})


app.display()
"""),
    code("""
await app.send_user_message("Hello!")
print("model:", "OpenAI-compatible endpoint" if configured else "offline demo")
print(len(app.session["history"]), "messages in the history")
"""),
]

NOTEBOOKS["persistence.ipynb"] = [
    md("""
# Threads that survive a restart

A chat keeps its conversations (threads) in a database as it goes: by default a SQLite file
in the Jupyter data directory, or any database given by `CHATWIDGET_DATABASE_URL` (for
example `postgresql+asyncpg://user@host/db` when many users share a server). A thread is
created at the first user message and named after it. Here a temporary file keeps the
example self-contained.
"""),
    code("""
import tempfile

import chatwidget as cw
from chatwidget.data.sql import SQLDataLayer

layer = SQLDataLayer(f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/threads.db")


def make_app():
    app = cw.ChatApp(title="Notes", data_layer=layer)

    @app.on_message
    async def reply(message: cw.Message):
        notes = cw.user_session.get("notes", [])
        notes.append(message.content)
        cw.user_session.set("notes", notes)
        await cw.Message(content=f"Noted ({len(notes)} so far).").send()

    @app.on_chat_resume
    async def resume(thread):
        # Rebuild per-chat state from the stored messages.
        cw.user_session.set("notes", [s["output"] for s in thread["steps"] if s["type"] == "user_message"])

    return app


app = make_app()
app.display()
"""),
    code("""
await app.send_user_message("Buy milk")
await app.send_user_message("Call Sam")
await app.save()  # writes are batched in the background; save() waits for them
thread_id = app.thread_id
"""),
    md("""
Type a note in the chat above, for example *Water the plants*: the app counts it with the two
added from code ("Noted (3 so far).").

Later, in a new kernel (here: a new app), the thread list finds the thread and `resume`
restores it.
"""),
    code("""
later = make_app()
page = await later.list_threads()
print([t["name"] for t in page["data"]])
await later.resume(page["data"][0]["id"])
await later.send_user_message("Water the plants")
print(later.transcript())
"""),
]

NOTEBOOKS["voila_dashboard.ipynb"] = [
    # Voila shows markdown cells and outputs to every visitor, and hides code: the notes for
    # the notebook's developer are comments, and the headless check prints nothing.
    code("""
# A chat dashboard for Voila. Serve this notebook as an app: `voila examples/voila_dashboard.ipynb`.
# Each visitor gets a kernel of their own, so conversations are separate. For the thread API,
# sharing and login too, run Voila inside the Jupyter server (standalone Voila loads no server
# extensions): `jupyter server`, then open /voila/render/voila_dashboard.ipynb.
import chatwidget as cw
from chatwidget.demo import DemoModel

model = DemoModel(delay=0.005)


def support_desk(**options) -> cw.ChatApp:
    app = cw.ChatApp(title="Support desk", persist=False, **options)

    @app.on_chat_start
    async def welcome():
        await cw.Message(
            "Welcome to the support desk. Ask me anything, or about your ticket.",
            actions=[cw.Action(name="hours", label="Opening hours")],
        ).send()

    @app.action_callback("hours")
    async def hours(action: cw.Action):
        await cw.Message("We are open 9:00-17:00, Monday to Friday.").send()

    @app.on_message
    async def reply(message: cw.Message):
        if "ticket" in message.content.lower():
            res = await cw.AskUserMessage(content="What is your ticket number?", timeout=60).send()
            if res:
                await cw.Message(f"Ticket {res['output']} is being handled.").send()
            return
        answer = cw.Message("")
        async for token in model.stream(message.content):
            await answer.stream_token(token)
        await answer.send()

    return app


support_desk().display()
"""),
    code("""
# The same app, driven headless (a separate instance, so visitors start with an empty chat):
# how the notebook is tested. It prints nothing, so visitors see the app only.
check = support_desk(headless=True)
await check.send_user_message("About my ticket", answers=["4711"])
assert check.transcript().endswith("Ticket 4711 is being handled."), check.transcript()
check.close()
"""),
]

NOTEBOOKS["mcp_tools.ipynb"] = [
    md("""
# Tools from MCP servers

An app can give its model the tools of [MCP](https://modelcontextprotocol.io) servers. Nothing
can be connected until the app allows it: `cw.McpFeature` turns on each transport (stdio,
SSE, streamable HTTP) and lists what may be reached. A stdio server runs only if its
executable is on `allowed_executables` (its arguments go to it as a list, never through a
shell); an HTTP server only at a URL under `allowed_urls`. The checks are the same for
servers connected from code and for servers a user connects in the widget (the wrench button
in the chat's header): nothing a user types can widen them.

This notebook needs `pip install "chatwidget[mcp]"`. Here is a small MCP server, written with
the `mcp` SDK's own FastMCP; the chat will start it over stdio.
"""),
    code("""
import sys
import tempfile
from pathlib import Path

SERVER = '''
from mcp.server.fastmcp import FastMCP

server = FastMCP("notes")
notes: list[str] = []


@server.tool(description="Keep a note.")
def add_note(text: str) -> str:
    notes.append(text)
    return f"{len(notes)} notes kept"


@server.tool(description="Every note kept so far, one per line.")
def list_notes() -> str:
    return "\\\\n".join(notes) or "no notes yet"


@server.tool(description="Multiply two integers.")
def multiply(a: int, b: int) -> int:
    return a * b


server.run("stdio")
'''
server_path = Path(tempfile.mkdtemp()) / "notes_server.py"
server_path.write_text(SERVER)
print("server:", server_path.name)
"""),
    md("""
The app allows this Python to start stdio servers, and nothing else. `on_mcp_connect` gets
the SDK's own `ClientSession`; `app.mcp_servers` lists the connected servers' tools (as OpenAI
tool specs too) and `call_tool` runs one as a `tool` step. The offline demo model pretends to
call functions: it picks the tool whose name the message uses. Once the notebook has run,
type in the chat, for example *multiply 6 by 7* ("multiply says: 42") or *add_note buy
bread*.
"""),
    code("""
import chatwidget as cw
from chatwidget.demo import DemoModel
from chatwidget.mcp import result_text

app = cw.ChatApp(
    title="Notes with MCP",
    persist=False,
    mcp=cw.McpFeature(enabled=True, stdio=True, allowed_executables=[sys.executable]),
)
model = DemoModel(delay=0)


@app.on_mcp_connect
async def connected(connection, session):
    tools = await session.list_tools()
    await cw.Message(f"Connected {connection.name}: {', '.join(t.name for t in tools.tools)}.").send()


@app.on_mcp_disconnect
async def disconnected(name, session):
    await cw.Message(f"Disconnected {name}.").send()


@app.on_message
async def reply(message: cw.Message):
    tools = app.mcp_servers.openai_tools()
    if not tools:
        await cw.Message("No MCP server is connected: connect one with the wrench button.").send()
        return
    call = model.pick_tool(message.content, tools)
    if call is None:
        await cw.Message("Name a tool: " + ", ".join(t["function"]["name"] for t in tools)).send()
        return
    name, arguments = call
    result = await app.mcp_servers.call_tool(name, arguments)
    await cw.Message(f"{name} says: {result_text(result)}").send()


app.display()
"""),
    code("""
notes = cw.McpStdioConnection(name="notes", command=sys.executable, args=[str(server_path)])
await app.connect_mcp(notes)
print(app.mcp_servers.tools()["notes"][0])
"""),
    code("""
await app.send_user_message("add_note buy milk")
await app.send_user_message("add_note call Sam")
await app.send_user_message("list_notes please")
await app.send_user_message("multiply 6 by 7")
await app.send_user_message("hello")
print(app.transcript())
"""),
    md("""
A command whose executable is not on the list is refused before anything runs; so is a URL
outside `allowed_urls`, or a transport the app did not turn on. In the widget, the refusal is
shown in the dialog.
"""),
    code("""
for refused in [
    cw.McpStdioConnection(name="shell", command="bash", args=["-c", "id"]),
    cw.McpStreamableHttpConnection(name="web", url="https://tools.example.org/mcp"),
]:
    try:
        await app.connect_mcp(refused)
    except cw.McpRefusedError as exc:
        print(exc)
"""),
    md("""
Servers are disconnected when the chat ends (`new_chat()`, `close()`), and a stdio server's
process ends with its connection (and with the kernel, if the chat was never closed). Here
the server is disconnected, then connected again so that the chat above keeps its tools.
"""),
    code("""
await app.disconnect_mcp("notes")
print(app.connected_mcp, app.messages[-1].content)
await app.connect_mcp(notes)
print([server["name"] for server in app.connected_mcp])
"""),
]


NOTEBOOKS["llm_integrations.ipynb"] = [
    md(r"""
# LLM integrations: OpenAI, LangChain, LlamaIndex

Each integration turns the calls of an LLM library into steps of the chat: collapsible
blocks under the answer, with the model, the messages, the completion, token counts and
timings recorded as a generation (`step.generation`).

| library | how | extra |
|---|---|---|
| `openai` | `instrument_openai()` once | `pip install chatwidget[openai]` |
| LangChain | `LangchainTracer()` in a runnable's `callbacks` | `pip install chatwidget[langchain]` |
| LlamaIndex | `LlamaIndexCallbackHandler()` in a `CallbackManager` | `pip install chatwidget[llama-index]` |

Everything here runs offline: the OpenAI client talks to a tiny OpenAI-compatible server
started below on loopback, and LangChain and LlamaIndex use their own fake models.
"""),
    md(r"""
## A tiny OpenAI-compatible server

It answers `/v1/chat/completions` with "Echo: " and the last user message, all at once
or streamed as server-sent events, word by word. A real deployment would leave out this
cell and use the default `base_url`.
"""),
    code(r"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EchoModel(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        text = "Echo: " + body["messages"][-1]["content"]
        count = len(text.split())
        usage = {"prompt_tokens": 3, "completion_tokens": count, "total_tokens": 3 + count}
        base = {"id": "1", "created": 0, "model": body["model"]}
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            reply = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        words = text.split(" ")
        deltas = [{"role": "assistant", "content": words[0]}, *({"content": " " + w} for w in words[1:])]
        chunks = [{"index": 0, "delta": d, "finish_reason": None} for d in deltas]
        chunks.append({"index": 0, "delta": {}, "finish_reason": "stop"})
        for choice in chunks:
            event = {**base, "object": "chat.completion.chunk", "choices": [choice]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        last = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
        self.wfile.write(f"data: {json.dumps(last)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


server = ThreadingHTTPServer(("127.0.0.1", 0), EchoModel)
threading.Thread(target=server.serve_forever, daemon=True).start()
base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
"""),
    md(r"""
## OpenAI

`instrument_openai()` wraps the client's `create` methods once for all clients, sync and
async, streamed or not, with tool calls. A call made inside a handler becomes an `llm`
step under the current step; calls made elsewhere are left alone.
"""),
    code(r"""
import chatwidget as cw
from openai import AsyncOpenAI

from chatwidget.openai import instrument_openai

instrument_openai()
client = AsyncOpenAI(base_url=base_url, api_key="offline")

openai_app = cw.ChatApp(title="OpenAI")


@openai_app.on_message
async def reply(message: cw.Message):
    stream = await client.chat.completions.create(
        model="echo-1",
        messages=[{"role": "system", "content": "Repeat."}, {"role": "user", "content": message.content}],
        stream=True,
        stream_options={"include_usage": True},
        temperature=0,
    )
    answer = cw.Message("")
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            await answer.stream_token(chunk.choices[0].delta.content)
    await answer.send()


openai_app.display()
"""),
    md(r"""
Type in the chat above, for example *Hello, model*: the loopback server answers "Echo:
Hello, model", under an `echo-1` `llm` step. Driving the chat from code (as the user would by
typing) shows the same:
"""),
    code(r"""
await openai_app.send_user_message("Hello, model")
print(openai_app.transcript())
"""),
    md(r"""
The step's generation holds what an LLM call is judged by (timings vary from run to run, so
only their presence is shown):
"""),
    code(r"""
llm_step = next(s for s in openai_app.steps if s.type == "llm")
g = llm_step.generation
print("provider:", g.provider, "| model:", g.model, "| settings:", g.settings)
print("messages:", [(m.role, m.content) for m in g.messages])
print("completion:", g.message_completion.content)
print("tokens in/out/total:", g.input_token_count, g.output_token_count, g.token_count)
print("timed:", g.duration is not None, g.tt_first_token is not None, g.token_throughput_in_s is not None)
"""),
    md(r"""
## LangChain

`LangchainTracer` is a LangChain callback handler. Runs become steps (a chain at the top
is a `run`, a chat model an `llm`, a retriever or a tool a `tool`), nested as LangChain
nests them; the LCEL plumbing (`RunnableSequence`, `RunnableLambda`...) is skipped and its
children attach to the nearest shown run. With `stream_final_answer=True`, what the model
writes after `Final Answer:` streams into a chat message.

`GenericFakeChatModel` is LangChain's own fake chat model: it replies with the messages it
is given, streamed word by word.
"""),
    code(r'''
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool

from chatwidget.langchain import LangchainTracer


@tool
def capital_of(country: str) -> str:
    """The capital of a country."""
    return {"France": "Paris"}.get(country, "unknown")


model = GenericFakeChatModel(
    messages=iter([AIMessage("Thought: the tool said Paris.\nFinal Answer: The capital of France is Paris.")])
)
prompt = ChatPromptTemplate.from_messages(
    [("system", "Answer with Final Answer:"), ("human", "{question} {fact}")]
)


def agent(question: str):
    fact = capital_of.invoke({"country": "France"})
    return (prompt | model).invoke({"question": question, "fact": fact})


chain = RunnableLambda(agent).with_config(run_name="agent")
langchain_app = cw.ChatApp(title="LangChain")


@langchain_app.on_message
async def answer(message: cw.Message):
    tracer = LangchainTracer(stream_final_answer=True)
    await chain.ainvoke(message.content, config={"callbacks": [tracer]})


await langchain_app.send_user_message("What is the capital of France?")
print(langchain_app.transcript())
'''),
    md(r"""
## LlamaIndex

`LlamaIndexCallbackHandler` shows a query, its retrieval (with the source nodes found, in
the step's output and in `step.metadata["source_nodes"]`) and the LLM call. `MockLLM` and
`MockEmbedding` are LlamaIndex's offline stand-ins (the mock LLM answers "text text...").
"""),
    code(r"""
from llama_index.core import Document, VectorStoreIndex, get_response_synthesizer
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.query_engine import RetrieverQueryEngine

from chatwidget.llama_index import LlamaIndexCallbackHandler

manager = CallbackManager([LlamaIndexCallbackHandler()])
index = VectorStoreIndex.from_documents(
    [Document(id_="atlas-paris", text="Paris is the capital of France.", metadata={"source": "atlas.txt"})],
    embed_model=MockEmbedding(embed_dim=8),
    # stable node ids, so the printed transcript is the same at every run
    transformations=[SentenceSplitter(id_func=lambda i, doc: f"{doc.id_}-{i}")],
    callback_manager=manager,
)
engine = RetrieverQueryEngine(
    index.as_retriever(similarity_top_k=1),
    response_synthesizer=get_response_synthesizer(
        llm=MockLLM(max_tokens=3, callback_manager=manager), callback_manager=manager
    ),
    callback_manager=manager,
)
llama_app = cw.ChatApp(title="LlamaIndex")


@llama_app.on_message
def ask(message: cw.Message):  # a sync handler: it runs in a worker thread
    response = engine.query(message.content)
    cw.Message(str(response)).send_sync()


await llama_app.send_user_message("What is the capital of France?")
print(llama_app.transcript())
"""),
    md(r"""
The retrieval step keeps its sources in its metadata too:
"""),
    code(r"""
retrieval = next(s for s in llama_app.steps if s.name == "retrieve")
[(n["text"], n["metadata"]) for n in retrieval.metadata["source_nodes"]]
"""),
    md("""
The loopback server runs until the kernel stops (its thread is a daemon), so the OpenAI chat
above keeps answering once the notebook has run.
"""),
]

NOTEBOOKS["voice_echo.ipynb"] = [
    md("""
# Voice: a chat that listens and answers out loud

An app takes voice input when it has an `on_audio_chunk` handler: the composer then shows a
microphone. The browser records 16-bit mono PCM at `audio.sample_rate` (24 kHz here) and
streams it to the kernel in chunks of 100 ms; `on_audio_start` may refuse (return anything
but `True`), `on_audio_end` runs when the user presses the microphone again or stops
speaking for `silence_timeout` ms. `cw.send_audio_chunk` plays PCM16 back in the browser,
chunk after chunk without gaps; a new message, the stop button or a new recording stops it.

This echo keeps what it hears, says how long it was and plays it back. Press the microphone,
say something, then wait a second. (The browser asks for the microphone once; it offers it
only on a secure page: https, or a Jupyter server on localhost.)
"""),
    code("""
import uuid

import chatwidget as cw

app = cw.ChatApp(title="Voice echo", audio=cw.AudioFeature(silence_timeout=1000))


@app.on_audio_start
async def listen():
    cw.user_session.set("heard", bytearray())
    return True  # anything else refuses, and the browser says so


@app.on_audio_chunk
async def hear(chunk: cw.InputAudioChunk):
    cw.user_session.get("heard").extend(chunk.data)


@app.on_audio_end
async def echo():
    pcm = bytes(cw.user_session.get("heard"))
    seconds = len(pcm) / 2 / app.audio.sample_rate
    await cw.Message(f"I heard {seconds:.2f} seconds of audio. Here it is back.").send()
    track = uuid.uuid4().hex  # one track per answer: an interrupt silences this one only
    piece = 2 * app.audio.sample_rate // 5  # 200 ms per chunk
    for start in range(0, len(pcm), piece):
        chunk = cw.OutputAudioChunk(mimeType="pcm16", data=pcm[start : start + piece], track=track)
        await cw.send_audio_chunk(chunk)


app.display()
"""),
    md("""
## Driving it from code

`send_user_audio` acts as the microphone: the same handlers run, chunk by chunk, and it
returns when `on_audio_end` has finished. Here, one and a half seconds of a 440 Hz tone.
`app.audio_sent` says how many seconds of audio went to the browser, per track.
"""),
    code("""
import math
import struct

rate = app.audio.sample_rate
samples = [round(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate * 3 // 2)]
tone = struct.pack(f"<{len(samples)}h", *samples)
print(await app.send_user_audio(tone))
print(app.transcript())
print([round(seconds, 2) for seconds in app.audio_sent.values()])
"""),
]


def main(selected: list[str]) -> None:
    for name, cells in NOTEBOOKS.items():
        if selected and not any(s in name for s in selected):
            continue
        notebook = nbformat.v4.new_notebook(metadata=KERNEL)
        notebook.cells = cells
        NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            store_widget_state=False,
            resources={"metadata": {"path": str(EXAMPLES)}},
        ).execute()
        nbformat.write(notebook, EXAMPLES / name)
        print("wrote", name)


if __name__ == "__main__":
    main(sys.argv[1:])

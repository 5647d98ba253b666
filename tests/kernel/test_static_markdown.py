"""A long message's copy is rendered a part at a time, and reads as the whole text would."""

from __future__ import annotations

import re
from html import escape, unescape

from chatwidget._markdown_cuts import cuts
from chatwidget._static_markdown import (
    PART_BYTES,
    code_parts,
    markdown_html,
    markdown_parts,
    render_markdown,
)


def mixed_document(blocks: int) -> str:
    """Every kind of block commonmark (with tables) knows, over and over, with the blank
    lines that a careless cut would break: inside fences, in loose lists and list items,
    between the lines of indented code."""
    kinds = [
        "## Heading {i}\n\nA paragraph {i} with *emphasis*, `code` and [a link][far].",
        "```python\ndef f{i}():\n\n    return {i}\n\n\n```",
        "~~~~\nfence {i}\n\n~~~ not a closer\n\n~~~~",
        "1. first {i}\n\n2. second, loose\n\n   a paragraph inside item 2\n\n3. third",
        "- bullet {i}\n\n- another\n\n  continued",
        "    indented code {i}\n\n    more of it",
        "> a quote {i}\n> on two lines",
        "| a | b |\n|---|---|\n| {i} | x |",
        "---",
        "Setext {i}\n======",
        "* * *",
        "+ plus item {i}\n\n+ plus again",
    ]
    return (
        "\n\n".join(kinds[i % len(kinds)].format(i=i) for i in range(blocks))
        + "\n\n[far]: https://example.org/far\n"
    )


def test_parts_read_as_the_whole_text_does():
    text = mixed_document(10_000)
    assert len(text) > 5 * PART_BYTES
    parts = [part for part in markdown_parts(text) if part is not None]
    assert len(parts) > 5
    assert "".join(parts) == render_markdown(text)


def test_windows_line_ends_are_cut_as_the_parser_reads_them():
    text = mixed_document(4_000).replace("\n", "\r\n")
    parts = [part for part in markdown_parts(text) if part is not None]
    assert len(parts) > 1
    assert "".join(parts) == render_markdown(text)


def test_thousands_of_definitions_resolve_everywhere_collected_a_batch_at_a_time():
    definitions = "\n\n".join(f"[ref {i}]: https://example.org/{i}" for i in range(3_000))
    uses = "\n\n".join(f"See [ref {i}] and [ref {2_999 - i}]." for i in range(3_000))
    text = uses + "\n\n" + definitions
    steps = list(markdown_parts(text))
    assert steps.count(None) >= len(definitions) // PART_BYTES  # the loop may run between batches
    html = "".join(step for step in steps if step is not None)
    assert html == render_markdown(text)
    assert html.count('<a href="https://example.org/') == 6_000


def test_a_reference_resolves_in_every_part_and_the_first_definition_wins():
    body = "\n\n".join(f"Paragraph {i} cites [the source]." + " word" * 30 for i in range(3000))
    text = (
        "[the source]: https://example.org/first\n\n"
        + body
        + "\n\n[the source]: https://example.org/second\n"
    )
    html = markdown_html(text)
    assert html.count('href="https://example.org/first"') == 3000
    assert "example.org/second" not in html
    # A definition in a code block is code, not a definition.
    fenced = "```\n[x]: https://example.org/code\n```\n\n" + body.replace("[the source]", "[x]")
    html = markdown_html(fenced)
    assert "[x]: https://example.org/code" in html and 'href="https://example.org/code"' not in html


def parts_of(text: str) -> list[str]:
    return [part for part in markdown_parts(text) if part is not None]


def code_of(parts: list[str]) -> str:
    """The code the parts' ``<pre><code>`` blocks show, joined."""
    blocks = (re.findall(r"<pre><code[^>]*>(.*?)</code></pre>", part, re.S) for part in parts)
    return "".join(unescape(code) for found in blocks for code in found)


def test_a_long_fence_is_code_cut_between_lines_never_read_as_markdown():
    code = "\n\n".join(f"line {i} *not emphasis* <b>" for i in range(30_000)) + "\n"
    text = "Before.\n\n```python\n" + code + "```\n\nAfter, *rendered*."
    offsets = cuts(text, PART_BYTES)
    inside = range(text.index("```"), text.rindex("```"))
    assert not any(at in inside for at in offsets[:-1])  # the markdown cuts never fall in it
    parts = parts_of(text)
    fence_parts = [p for p in parts if p.startswith('<pre><code class="language-python">')]
    assert len(fence_parts) > len(code) // PART_BYTES
    assert all(p.endswith("\n</code></pre>") for p in fence_parts)  # whole lines in each
    assert code_of(parts) == code
    assert parts[0] == "<p>Before.</p>\n" and parts[-1] == "<p>After, <em>rendered</em>.</p>\n"


def test_an_unclosed_fence_runs_to_the_end_as_code():
    prose = "\n\n".join("para " * 20 for _ in range(2000))
    code = "\n\n".join(["x"] * 40_000)
    parts = parts_of("Intro.\n\n" + prose + "\n\n```\n" + code)
    assert code_of(parts) == code
    assert "".join(parts).count("<p>para") == 2000


def test_an_indented_fence_may_belong_to_a_list_item_and_is_left_whole():
    code = "\n".join(f"  line {i}" for i in range(20_000))
    text = "- an item with code:\n\n  ```\n" + code + "\n  ```\n- next item\n"
    assert len(text) > PART_BYTES
    assert markdown_html(text) == render_markdown(text)


def numbers(html: str) -> list[int]:
    """The number each item of the numbered lists of ``html`` shows."""
    shown = []
    for m in re.finditer(r'<ol(?: start="(\d+)")?>(.*?)</ol>', html, re.S):
        shown += [int(m.group(1) or 1) + i for i in range(m.group(2).count("<li>"))]
    return shown


def items(html: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", html, re.S)


def test_a_long_bulleted_list_is_cut_between_its_items():
    text = "Files:\n\n" + "\n".join(f"- `file_{i}.txt` holds *{i}*" for i in range(8_000)) + "\n\nDone."
    parts = parts_of(text)
    assert len(parts) > len(text) // (2 * PART_BYTES)
    assert all(len(p) < 3 * PART_BYTES for p in parts)
    whole = render_markdown(text)
    assert items("".join(parts)) == items(whole)
    assert all(p.startswith("<ul>") for p in parts[1:-1])


def test_a_long_numbered_list_keeps_its_numbers_across_parts():
    for marker in (lambda i: f"{i}.", lambda i: "1.", lambda i: f"{i + 7})"):
        text = "\n".join(f"{marker(i)} step {i}" for i in range(1, 12_001))
        parts = parts_of(text)
        assert len(parts) > 2
        whole = render_markdown(text)
        assert numbers("".join(parts)) == numbers(whole)
        assert items("".join(parts)) == items(whole)


def test_items_that_continue_a_paragraph_are_never_cut_apart():
    # A numbered line other than 1. cannot interrupt a paragraph: these lines are its text.
    text = "Intro line\n" + "\n".join(f"{i}. not an item {i}" for i in range(2, 8_000))
    assert len(text) > 2 * PART_BYTES
    assert markdown_html(text) == render_markdown(text)
    # Nor is a thematic break read as an item.
    rules = "\n".join("- - -" if i % 2 else "- item" for i in range(12_000))
    assert markdown_html(rules) == render_markdown(rules)


def test_a_definition_in_a_quote_or_a_list_item_resolves_in_every_part():
    body = "\n\n".join(f"Paragraph {i} cites [quoted] and [listed]." + " word" * 30 for i in range(3000))
    text = body + "\n\n> [quoted]: https://example.org/q\n\n- [listed]: https://example.org/l\n"
    html = markdown_html(text)
    assert html.count('href="https://example.org/q"') == 3000
    assert html.count('href="https://example.org/l"') == 3000


def test_long_code_is_cut_between_lines_and_escaped():
    code = "".join(f"x_{i} = '<b>' * {i}\n" for i in range(20_000))
    parts = list(code_parts(code))
    assert len(parts) == len(code) // PART_BYTES + 1
    joined = "".join(p.removeprefix("<pre><code>").removesuffix("</code></pre>") for p in parts)
    assert joined == escape(code)
    assert all(p.endswith("\n</code></pre>") for p in parts)

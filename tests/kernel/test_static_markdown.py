"""A long message's copy is rendered a part at a time, and reads as the whole text would."""

from __future__ import annotations

from html import escape

from chatwidget._static_markdown import (
    PART_BYTES,
    code_parts,
    cuts,
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


def test_a_long_fence_with_blank_lines_is_never_cut_inside():
    code = "\n\n".join(f"line {i}" for i in range(30_000))
    text = "Before.\n\n```\n" + code + "\n```\n\nAfter, *rendered*."
    offsets = cuts(text)
    inside = range(text.index("```"), text.rindex("```"))
    assert not any(at in inside for at in offsets[:-1])
    html = markdown_html(text)
    assert html.count("<pre><code>") == 1 and "<em>rendered</em>" in html


def test_an_unclosed_fence_runs_to_the_end_uncut():
    prose = "\n\n".join("para " * 20 for _ in range(2000))
    text = "Intro.\n\n" + prose + "\n\n```\n" + "\n\n".join(["x"] * 40_000)
    assert markdown_html(text) == render_markdown(text)


def test_long_code_is_cut_between_lines_and_escaped():
    code = "".join(f"x_{i} = '<b>' * {i}\n" for i in range(20_000))
    parts = list(code_parts(code))
    assert len(parts) == len(code) // PART_BYTES + 1
    joined = "".join(p.removeprefix("<pre><code>").removesuffix("</code></pre>") for p in parts)
    assert joined == escape(code)
    assert all(p.endswith("\n</code></pre>") for p in parts)

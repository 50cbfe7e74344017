"""The answer's small, safe formatting, one renderer for every reader (staff, citizens, e-mail, PDF).

Answers are written as plain text with a little Markdown: paragraphs (a blank line), lists
("- " or "1. "), links ("[text](https://…)" or "<https://…>"), **bold** and *italic*. Raw HTML is
never passed through: markdown-it escapes it, and nh3 (the Ammonia sanitiser) keeps only the tags
and link schemes below, so a pasted script or a javascript: link cannot reach a reader.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "a", "strong", "em", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["image", "heading", "lheading", "code", "fence", "html_block", "html_inline", "hr"]
)


def render_answer(text: str) -> SafeString:
    """Answer text as sanitised HTML."""
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    href, start = "", 0
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif child.type == "link_open":
            href, start = str(child.attrGet("href") or ""), len(parts)
        elif child.type == "link_close":
            label, address = "".join(parts[start:]), href.removeprefix("mailto:")
            if address and address != label:
                parts.append(f" ({address})")
            href = ""
    return "".join(parts)


def answer_plain_text(text: str) -> str:
    """The answer as readable plain text (the text part of an e-mail): no asterisks or brackets; a
    link becomes «text (address)», list items start with «•» or their number."""
    lines: list[str] = []
    lists: list[list[int]] = []  # for each open list: [next number] or [] for bullets
    prefix = ""
    for token in _markdown.parse(text or ""):
        if token.type == "bullet_list_open":
            lists.append([])
        elif token.type == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
            if not lists:
                lines.append("")
        elif token.type == "list_item_open":
            indent = "   " * (len(lists) - 1)
            counter = lists[-1]
            if counter:
                prefix = f"{indent}{counter[0]}. "
                counter[0] += 1
            else:
                prefix = f"{indent}• "
        elif token.type == "inline":
            body = _inline_text(token.children or [])
            pad = " " * len(prefix)
            rows = body.split("\n")
            lines.append(prefix + rows[0])
            lines.extend(pad + row for row in rows[1:])
            prefix = ""
        elif token.type == "paragraph_close" and not lists:
            lines.append("")
        elif token.type == "blockquote_open":
            prefix = "> "
    return "\n".join(lines).strip() + "\n" if any(line.strip() for line in lines) else ""

from otklik.core.markup import render_answer
from otklik.core.text import fill_placeholders


def test_it_renders_paragraphs_lists_and_links():
    html = render_answer("Первый абзац.\n\nВторой **важный** абзац.\n\n1. раз\n2. два\n\n[портал](https://gosuslugi.ru)")
    assert html.count("<p>") == 3
    assert "<ol>" in html and "<li>раз</li>" in html and "<strong>важный</strong>" in html
    assert '<a href="https://gosuslugi.ru" rel="noopener noreferrer nofollow">портал</a>' in html


def test_it_drops_scripts_raw_html_and_dangerous_links():
    html = render_answer('<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1)) '
                         '<a href="javascript:alert(2)">y</a>')
    assert "<script" not in html and "<img" not in html and "<a" not in html
    assert "&lt;script&gt;" in html  # shown as text, never run


def test_it_leaves_unknown_and_broken_placeholders_as_written():
    values = {"number": "2026-000001", "due": "01.06.2026"}
    assert fill_placeholders("№ {number} до {due}, {nope}", values) == "№ 2026-000001 до 01.06.2026, {nope}"
    assert fill_placeholders("скобка { без пары", values) == "скобка { без пары"
    assert fill_placeholders("{number!r:>20}", values) == "2026-000001"

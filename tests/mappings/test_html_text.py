"""``html_to_text``: the plain text derived for a C6 render whose upstream text is null."""

from __future__ import annotations

import pytest

from mappings.translate.html_text import html_to_text
from mappings.translate.template_objects import legacy_rendered


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("", ""),
        ("plain", "plain"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("line<br>next<br/>last", "line\nnext\nlast"),
        ("<p>Hello   <b>World</b>\n  again</p>", "Hello World again"),
        ("<a href='https://x.test/a?b=1&amp;c=2'>Shop</a>", "Shop (https://x.test/a?b=1&c=2)"),
        ("<a href='https://x.test'>https://x.test</a>", "https://x.test"),
        ("<a href='https://x.test'><img src='l.png'></a>", "https://x.test"),
        ("<a href='mailto:a@b.test'>Write</a> <a href='#top'>Top</a>", "Write Top"),
        ("&lt;tag&gt; &amp; &eacute;&#233;&#xe9; &copy;", "<tag> & ééé ©"),
        ("a&nbsp;b", "a b"),
        ("<head><title>T</title><style>p{}</style></head><body>x</body>", "x"),
        ("<script>var a = '<p>no</p>';</script>visible<style>.x{}</style>", "visible"),
        ("<!-- hidden -->shown", "shown"),
        ("<ul><li>One</li>\n<li>Two</li></ul>after", "- One\n- Two\n\nafter"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<img alt='Logo'> text", "Logo text"),
        ("<pre>x  y</pre>", "x  y"),
        ("<p>unclosed", "unclosed"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_render_derives_text_only_when_upstream_has_none() -> None:
    resource = {"id": "T", "attributes": {"name": "N", "html": "<p>Hi</p>", "text": None}}
    assert legacy_rendered("T", resource)["data"] == {"html": "<p>Hi</p>", "text": "Hi"}
    given = {"id": "T", "attributes": {"name": "N", "html": "<p>Hi</p>", "text": "Hello"}}
    assert legacy_rendered("T", given)["data"]["text"] == "Hello"
    empty = {"id": "T", "attributes": {"name": "N", "html": None, "text": None}}
    assert legacy_rendered("T", empty)["data"] == {"html": None, "text": None}

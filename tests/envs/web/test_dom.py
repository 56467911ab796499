"""The DOM, the accessibility tree and form semantics (the in-process side of what
Chromium does; tests/envs/web/test_browser.py checks the two agree)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardgym.envs.web.dom import (
    Page,
    PageTemplate,
    canonical_url,
    form_encode,
    parse_template,
    sanitize_value,
)

FORM = """<!DOCTYPE html><html><head><title>T &amp; C</title><style>p{}</style>
<script>var x = "<a href='/evil'>no</a>";</script></head><body>
<h1>Register <small>now</small></h1>
<p>Hello   <b>there</b>,
 friend.</p>
<form action="/submit" method="post">
  <label for="n">Name</label><input id="n" name="name" value="Ann">
  <input type="password" id="pw" name="pw" aria-label="Secret" value="abc">
  <label><input type="checkbox" name="news" checked> News</label>
  <fieldset><legend>Plan</legend>
    <input type="radio" id="r1" name="plan" value="basic" checked><label for="r1">Basic</label>
    <input type="radio" id="r2" name="plan" value="pro"><label for="r2">Pro</label>
  </fieldset>
  <label for="c">Country</label>
  <select id="c" name="country"><option value="">Pick</option><option>Peru</option>
  <optgroup label="x"><option value="es" selected>Spain</option></optgroup></select>
  <input type="hidden" name="token" value="t 1">
  <input type="text" name="off" disabled value="zz">
  <button type="submit" name="go" value="yes">Send</button>
  <button type="button">Nothing</button>
</form>
<a href="/help?x=1#top">Help</a> <a>no href</a>
<div hidden><a href="/hidden">Hidden</a></div>
<img src="/x.png" alt="A logo">
<ul><li><a href="/a">A</a><ul><li>inner text</li></ul></li></ul>
</body></html>"""


def _page() -> Page:
    return Page(PageTemplate(FORM), "/register?step=1")


def test_tree_lists_roles_names_and_states_with_ids():
    page = _page()
    assert page.title == "T & C"
    assert page.lines() == [
        'heading "Register now"',
        'text "Hello there, friend."',
        '[1] textbox "Name" value="Ann"',
        '[2] textbox "Secret" value="***"',
        '[3] checkbox "News" checked=true',
        'text "Plan"',
        '[4] radio "Basic" checked=true',
        '[5] radio "Pro" checked=false',
        '[6] combobox "Country" value="Spain" options=["Pick", "Peru", "Spain"]',
        '[7] textbox "off" value="zz" disabled',
        '[8] button "Send"',
        '[9] button "Nothing"',
        '[10] link "Help"',
        'text "no href"',
        'img "A logo"',
        '  [11] link "A"',
        '    text "inner text"',
    ]
    assert page.template.id_lines[0] == 2


def test_controls_change_state_like_a_browser():
    page = _page()
    radio_pro = page.entry(5).element
    page.click_toggle(radio_pro)
    assert page.is_checked(radio_pro) and not page.is_checked(page.entry(4).element)
    page.click_toggle(page.entry(3).element)
    assert not page.is_checked(page.entry(3).element)
    page.set_value(page.entry(1).element, "Bo\nLee\r\nX")
    assert page.value(page.entry(1).element) == "Bo Lee X"
    page.select(page.entry(6).element, 1)
    assert page.lines()[8].startswith('[6] combobox "Country" value="Peru"')


def test_form_submission_builds_the_entry_list():
    page = _page()
    method, url, body = page.submission(page.entry(8).element)
    assert (method, url) == ("POST", "/submit")
    assert parse_qsl(body.decode(), keep_blank_values=True) == [
        ("name", "Ann"),
        ("pw", "abc"),
        ("news", "on"),
        ("plan", "basic"),
        ("country", "es"),
        ("token", "t 1"),
        ("go", "yes"),
    ]
    assert page.navigates(page.entry(8).element)
    assert not page.navigates(page.entry(9).element)  # type=button
    assert page.link_target(page.entry(10).element) == "/help?x=1"


def test_get_forms_replace_the_query():
    html = (
        '<form action="/search?old=1" method="get"><input name="q" value="a b&c">'
        "<input type=submit></form>"
    )
    page = Page(parse_template(html), "/")
    assert page.lines() == ['[1] textbox "q" value="a b&c"', '[2] button "Submit"']
    assert page.submission(page.entry(2).element) == ("GET", "/search?q=a+b%26c", None)


def test_select_without_selected_takes_the_first_enabled_option():
    html = "<select><option disabled>x</option><option>y</option></select>"
    page = Page(parse_template(html), "/")
    assert page.selected_index(page.entry(1).element) == 1


def test_malformed_html_does_not_raise():
    page = Page(parse_template("<div><p>a<b>b</div></i>c<a href=/x>d"), "/")
    assert page.lines() == ['text "ab"', 'text "c"', '[1] link "d"']


def test_form_encode_matches_the_url_standard():
    # unreserved set of application/x-www-form-urlencoded: alphanumerics and *-._
    assert form_encode([("a b", "~!*'()-._")]) == "a+b=%7E%21*%27%28%29-._"
    assert form_encode([("q", "é😀")]) == "q=%C3%A9%F0%9F%98%80"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=4))
def test_form_encode_round_trips_through_parse_qsl(pairs):
    pairs = [(k, v) for k, v in pairs if k and "\x00" not in k + v]
    pairs = [(k.encode("utf-8", "replace").decode(), v) for k, v in pairs]
    try:
        [k.encode() + v.encode() for k, v in pairs]
    except UnicodeEncodeError:
        return
    encoded = form_encode(pairs)
    assert parse_qsl(encoded, keep_blank_values=True) == pairs
    assert canonical_url("/p?" + encoded) == ("/p?" + encoded if pairs else "/p")


def test_canonical_url_drops_origin_and_fragment_and_respells_the_query():
    assert canonical_url("http://127.0.0.1:5555/a/b?x=%7e&y=1+2#f") == "/a/b?x=%7E&y=1+2"
    assert canonical_url("/search?") == "/search"


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [("text", "a\nb", "a b"), ("password", "a\r\nb", "a b"), ("textarea", "a\r\nb", "a\nb")],
)
def test_sanitize_value(kind, text, value):
    assert sanitize_value(kind, text) == value


def test_templates_are_cached_and_pickle_by_their_html():
    import pickle

    t = parse_template(FORM)
    assert parse_template(FORM) is t
    assert pickle.loads(pickle.dumps(t)) is t

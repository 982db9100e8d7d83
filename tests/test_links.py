"""The internal-link checker the book's tests use, on a small site of its own."""

from __future__ import annotations

from tests.links import broken_links


def test_links_to_missing_pages_and_anchors_are_found(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "index.html").write_text(
        "<a href='book/a.html#here'>ok</a> <a href='book/a.html#gone'>anchor</a>"
        "<a href='book/none.html'>page</a> <a href='#top'>self</a> <p id='top'></p>"
        "<a href='https://example.org/x'>outside</a> <a href='book/'>folder</a>"
    )
    (tmp_path / "book" / "a.html").write_text(
        "<section id='here'></section><a href='../index.html#top'>up</a>"
        "<a href='../../elsewhere.html'>out of the site</a>"
    )
    (tmp_path / "book" / "index.html").write_text("<a name='legacy'></a>")
    assert broken_links(tmp_path) == [
        "book/a.html: ../../elsewhere.html (no file ../elsewhere.html)",
        "index.html: book/a.html#gone (no id 'gone' in book/a.html)",
        "index.html: book/none.html (no file book/none.html)",
    ]


def test_a_decks_links_go_to_decks_and_to_copies_of_repository_files(tmp_path):
    from coursekit.slides import ROOT, local_links

    lesson = ROOT / "notebooks" / "01_incident.ipynb"
    body = (
        '<a href="05_sampling.ipynb">the <em>Sampling</em> lesson</a> '
        '<a href="99_planned.ipynb">a lesson to come</a> '
        '<a href="../examples/flask_manual.py">manual</a> '
        '<a href="https://opentelemetry.io/">outside</a>'
    )
    assert local_links(body, lesson, tmp_path) == (
        '<a href="05_sampling.slides.html">the <em>Sampling</em> lesson</a> '
        "a lesson to come "
        '<a href="examples/flask_manual.py">manual</a> '
        '<a href="https://opentelemetry.io/">outside</a>'
    )
    copy = tmp_path / "examples" / "flask_manual.py"
    assert copy.read_bytes() == (ROOT / "examples" / "flask_manual.py").read_bytes()


def test_a_fragment_matches_an_id_as_written_or_decoded_as_browsers_do(tmp_path):
    (tmp_path / "deck.html").write_text(
        "<h2 id='Is-25%25-worth-it?'></h2><h2 id='a b'></h2>"
        "<a href='#Is-25%25-worth-it?'>as written</a> <a href='#a%20b'>decoded</a>"
        "<a href='#Is-25%-worth-it?'>neither</a>"
    )
    assert broken_links(tmp_path) == [
        "deck.html: #Is-25%-worth-it? (no id 'Is-25%-worth-it?' in deck.html)"
    ]

"""One output that is a widget in Jupyter and plain HTML where there is no kernel."""

from __future__ import annotations


def with_widget(bundle: dict, make_widget) -> dict:
    """``bundle`` (text/plain, text/html) plus the widget view of ``make_widget()``.

    JupyterLab draws the widget; the book and the slides, which have no kernel, are told
    to prefer the HTML. Without ipywidgets the HTML alone is returned.
    """
    try:
        widget_bundle = make_widget()._repr_mimebundle_()
    except ImportError:
        return bundle
    data = widget_bundle[0] if isinstance(widget_bundle, tuple) else widget_bundle
    return {**bundle, **{k: v for k, v in data.items() if k != "text/plain"}}

"""Plotly figures that show everywhere without a network.

Plotly's own notebook renderers either embed plotly.js in the notebook (megabytes per
notebook) or load it and MathJax from a CDN. This renderer sends two representations:

- ``application/vnd.plotly.v1+json``, drawn by JupyterLab's plotly extension;
- ``text/html``, a div drawn with the page's own ``Plotly``: the book and the slides serve
  ``plotly.min.js`` (shipped in the plotly package) themselves.

Div ids come from the figure's content, so the same figure gives the same HTML.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import plotly
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer  # public: re-exported there

RENDERER_NAME = "coursekit"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class OfflineRenderer(MimetypeRenderer):
    def to_mimebundle(self, fig_dict):
        fig_json = pio.to_json(fig_dict, validate=False)
        div_id = "fig-" + hashlib.sha1(fig_json.encode()).hexdigest()[:12]
        html = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            div_id=div_id,
            validate=False,
            config={"displaylogo": False, "responsive": True},
        )
        return {"application/vnd.plotly.v1+json": json.loads(fig_json), "text/html": html}


def use_offline_renderer() -> None:
    """Make every figure (``fig.show()`` or a figure as a cell's value) use this renderer."""
    if RENDERER_NAME not in pio.renderers:
        pio.renderers[RENDERER_NAME] = OfflineRenderer()
    pio.renderers.default = RENDERER_NAME

"""Imported first by the kit, to keep a second of CPU out of every lesson's kernel.

Plotly imports nbformat, nbformat imports jsonschema, and jsonschema, if it finds the
optional ``rfc3987_syntax``, compiles that package's IRI grammar (with lark) on import:
over a second of CPU, for an "iri" format check that nothing in the course asks for.
Marked absent, it is skipped: jsonschema imports it under ``suppress(ImportError)``.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

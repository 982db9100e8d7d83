"""The services' log files, side by side or filtered by one trace id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .tables import Table


def log_table(logs: Mapping[str, Sequence[str]], *, contains: str | None = None) -> Table:
    """Every service's log lines merged in time order, optionally only those containing a text.

    Each line starts with its ``HH:MM:SS.mmm`` time, so sorting the text sorts by time.
    """
    rows = []
    for service, lines in logs.items():
        for line in lines:
            if contains is None or contains in line:
                time, _, rest = line.partition(" ")
                rows.append([time, service, rest])
    rows.sort(key=lambda row: row[0])
    return Table(
        ["time", "service", "line"], rows, highlight=lambda row: row[2].startswith("ERROR")
    )


def lines_for_trace(logs: Mapping[str, Sequence[str]], trace_id: str) -> Table:
    """Only the lines written while handling one trace: ``grep trace_id=<id>`` on every file."""
    return log_table(logs, contains=f"trace_id={trace_id}")

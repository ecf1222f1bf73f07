"""Read a text/event-stream response (POST /v1/ask with `Accept: text/event-stream`)."""

from __future__ import annotations

import json

STREAM = {"Accept": "text/event-stream"}


def events(response) -> list[tuple[str, object]]:
    """(event name, parsed data) for each event, and ("comment", text) for each comment line."""
    found, name, data = [], None, []
    for line in response.iter_lines():
        if line.startswith(":"):
            found.append(("comment", line[1:].strip()))
        elif line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())
        elif not line and (name or data):
            found.append((name or "message", json.loads("\n".join(data))))
            name, data = None, []
    return found

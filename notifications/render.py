"""Subject, text and HTML from Jinja2 templates, with one environment built by the caller.

`autoescape=True` is set explicitly: `select_autoescape` decides by file extension and
would not escape `.html.j2`. Text templates opt out with `{% autoescape false %}` in the
template itself, so whoever reads one sees it is plain text. `StrictUndefined` turns a
misspelt field into an error instead of an empty line in someone's inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("daily", "weekly")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def make_environment(templates: Path = TEMPLATES) -> Environment:
    """The one template environment of a process; build it at the entry point, pass it in."""
    return Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(env: Environment, kind: str, view: object) -> Rendered:
    """Render the three parts of a `kind` message from its view-model (`v` in templates)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    subject = env.get_template(f"{kind}.subject.j2").render(v=view)
    # A header is one line: a stray newline from data must never start a new header.
    subject = " ".join(subject.split())
    text = env.get_template(f"{kind}.txt.j2").render(v=view)
    html = env.get_template(f"{kind}.html.j2").render(v=view)
    return Rendered(subject, text, html)

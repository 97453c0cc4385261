"""The report every benchmark prints at the end: titled sections of lines."""

from __future__ import annotations


class Report:
    """Sections of text printed together at the end, under `title`."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[tuple[str, list[str]]] = []

    def section(self, title: str) -> list[str]:
        """A new section; append lines to the returned list."""
        lines: list[str] = []
        self.sections.append((title, lines))
        return lines

    def render(self) -> str:
        """The whole report."""
        out = ["", "=" * 100, self.title, "=" * 100]
        for title, lines in self.sections:
            out += ["", f"## {title}", *lines]
        return "\n".join(out) + "\n"

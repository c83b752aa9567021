"""Line numbers for the positions in definition messages (`requirements[3].credits` → line 42 of the TOML text).

tomllib returns plain dicts without positions, so a small scanner reads the source once: it notes the line of each
table header (the Nth `[[requirements]]` is `requirements[N]`) and of each key inside it, skipping comments, strings
(multi-line ones too) and the insides of arrays and inline tables that span lines. It reads valid TOML; on text that
is not, it still returns what it found, and a position it cannot place simply gets no line number.
"""
from __future__ import annotations

import re

__all__ = ["SourcePositions", "with_lines"]

_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = rf'(?:{_BARE}|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART = re.compile(_KEY_PART)
# A position in a message: program, program.min_gpa, courses[5], requirements[3].share_with.b ...
_POSITION = re.compile(r"\b(program|policies|(?:concentrations|tracks|milestones|courses|equivalences|requirements)"
                       r"\[\d+\])((?:\.[A-Za-z0-9_$-]+(?:\[\d+\])?)*)")
# The same, as mentioned inside a message's text: "program" alone is a word there, so it needs a key.
_MENTION = re.compile(r"\b(?:(?:program|policies)(?:\.[A-Za-z0-9_-]+)+"
                      r"|(?:concentrations|tracks|milestones|courses|equivalences|requirements)\[\d+\]"
                      r"(?:\.[A-Za-z0-9_-]+(?:\[\d+\])?)*)")


def _parts(dotted: str) -> tuple[str, ...]:
    out = []
    for match in _PART.finditer(dotted):
        part = match.group(0)
        if part[:1] in "\"'":
            part = part[1:-1]
        out.append(part)
    return tuple(out)


class SourcePositions:
    """Where each table and key of a TOML program definition starts (1-based line numbers)."""

    def __init__(self, text: str):
        self.tables: dict[str, int] = {}
        self.keys: dict[tuple[str, tuple[str, ...]], int] = {}
        self._scan(text)

    def _scan(self, text: str) -> None:
        counts: dict = {}  # [[name]] tables seen, and [[name.sub]] tables per table
        table, prefix = "", ()  # the current table, and the keys its header adds ([requirements.share_with])
        depth = 0  # open [ and { of a value that spans lines
        in_string: str | None = None  # the closing delimiter of an open multi-line string
        for number, line in enumerate(text.splitlines(), start=1):
            rest = line
            if in_string is not None:
                end = rest.find(in_string)
                if end < 0:
                    continue
                rest, in_string = rest[end + 3:], None
            elif depth == 0:
                header = _HEADER.match(line)
                key = None if header else _KEY.match(line)
                if header:
                    names = _parts(header.group(2))
                    if header.group(1) == "[[" and len(names) == 1:
                        counts[names[0]] = counts.get(names[0], 0) + 1
                        table, prefix = f"{names[0]}[{counts[names[0]]}]", ()
                        self.tables.setdefault(table, number)
                        continue
                    if names[0] in counts:  # [requirements.share_with] belongs to the last [[requirements]]
                        table, prefix = f"{names[0]}[{counts[names[0]]}]", names[1:]
                        if header.group(1) == "[[" and len(names) == 2:  # [[requirements.caps]]: caps[1], ...
                            sub = (table, names[1])
                            counts[sub] = counts.get(sub, 0) + 1
                            prefix = (f"{names[1]}[{counts[sub]}]",)
                        self.keys.setdefault((table, prefix), number)
                    else:
                        table, prefix = names[0], names[1:]
                        self.tables.setdefault(table, number)
                        if len(names) > 1:
                            self.keys.setdefault((table, names[1:]), number)
                    continue
                if key:
                    names = prefix + _parts(key.group(1))
                    for end in range(1, len(names) + 1):
                        self.keys.setdefault((table, names[:end]), number)
                    rest = line[key.end():]
                else:
                    continue
            depth, in_string = _scan_value(rest, depth)

    def line_of(self, position: str) -> int | None:
        """The line of `requirements[3].share_with.b`: its key's line, else its table's header, else None."""
        match = _POSITION.fullmatch(position)
        if match is None:
            return self.tables.get(position) or self.keys.get(("", (position,)))
        table, keys = match.group(1), tuple(k for k in match.group(2).split(".") if k)
        for end in range(len(keys), 0, -1):
            line = self.keys.get((table, keys[:end]))
            if line is not None:
                return line
        return self.tables.get(table)


def _scan_value(rest: str, depth: int) -> tuple[int, str | None]:
    """Follow brackets and strings along the rest of a line; returns the depth and any open multi-line string."""
    i = 0
    while i < len(rest):
        char = rest[i]
        if char == "#":
            break
        if rest.startswith(('"""', "'''"), i):
            delim = rest[i:i + 3]
            end = rest.find(delim, i + 3)
            if end < 0:
                return depth, delim
            i = end + 3
            continue
        if char in "\"'":
            i += 1
            while i < len(rest) and rest[i] != char:
                i += 2 if char == '"' and rest[i] == "\\" else 1
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, None


def with_lines(text: str, messages: list[str] | tuple[str, ...]) -> list[str]:
    """Each message led by the line of its position ("line 42: requirements[3].credits: ..."), and each other
    position it names followed by its line ("program.total_credits (line 7)")."""
    positions = SourcePositions(text)
    out = []
    for message in messages:
        head, sep, tail = message.partition(": ")
        line = positions.line_of(head) if sep else None
        if not sep:
            tail = message

        def mention(match: re.Match) -> str:
            where = positions.line_of(match.group(0))
            return f"{match.group(0)} (line {where})" if where else match.group(0)

        tail = _MENTION.sub(mention, tail)
        body = f"{head}: {tail}" if sep else tail
        out.append(f"line {line}: {body}" if line else body)
    return out

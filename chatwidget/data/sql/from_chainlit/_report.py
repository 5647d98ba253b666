"""What an import did: rows added, rows already there, rows skipped and why, bytes stored."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from ._rows import Notes
from ._source import TABLES

#: Skipped rows listed one by one in the text report (all of them are in ``as_dict``).
LISTED = 50


@dataclass(frozen=True)
class Skipped:
    table: str
    id: str
    reason: str
    #: The element's bytes could not be fetched (the row may be imported by a later run).
    bytes_missing: bool = False


@dataclass
class ImportReport:
    source: str
    destination: str
    dry_run: bool
    added: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    notes: Notes = field(default_factory=Notes)
    bytes_stored: int = 0
    files_stored: int = 0

    def skip(self, table: str, row_id: Any, reason: str, *, bytes_missing: bool = False) -> None:
        self.skipped.append(Skipped(table, "" if row_id is None else str(row_id)[:80], reason, bytes_missing))

    @property
    def complete(self) -> bool:
        """Nothing was skipped: every row is in the destination."""
        return not self.skipped

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "dry_run": self.dry_run,
            "added": {t: self.added[t] for t in TABLES},
            "already_present": {t: self.present[t] for t in TABLES},
            "skipped": [s.__dict__ for s in self.skipped],
            "element_bytes": {"files": self.files_stored, "bytes": self.bytes_stored},
            "notes": dict(self.notes),
        }

    def text(self) -> str:
        verb = "would add" if self.dry_run else "added"
        skipped = Counter(s.table for s in self.skipped)
        lines = [
            f"From {self.source}",
            f"into {self.destination}" + ("  (dry run: nothing was written)" if self.dry_run else ""),
            "",
            f"{'':<10}{verb:>10}{'already there':>15}{'skipped':>9}",
        ]
        for name in TABLES:
            lines.append(f"{name:<10}{self.added[name]:>10}{self.present[name]:>15}{skipped[name]:>9}")
        missing = sum(1 for s in self.skipped if s.bytes_missing)
        size = (
            f"{self.bytes_stored / 1e6:.1f} MB" if self.bytes_stored >= 1e5 else f"{self.bytes_stored} bytes"
        )
        stored = "to store" if self.dry_run else "stored"
        lines += [
            "",
            f"element files {stored}: {self.files_stored} ({size}); could not be fetched: {missing}",
        ]
        if self.skipped:
            lines += ["", f"Skipped ({len(self.skipped)}):"]
            for s in self.skipped[:LISTED]:
                lines.append(f"  {s.table:<10} {s.id or '(no id)':<38} {s.reason}")
            if len(self.skipped) > LISTED:
                lines.append(f"  ... and {len(self.skipped) - LISTED} more (--report FILE lists them all)")
            reasons = Counter(_kind(s.reason) for s in self.skipped)
            lines += ["", "By reason:"] + [f"  {n:>6}  {r}" for r, n in reasons.most_common()]
        if self.notes:
            lines += ["", "Kept in another form:"] + [
                f"  {n:>6}  {what}" for what, n in self.notes.most_common()
            ]
        return "\n".join(lines)


def _kind(reason: str) -> str:
    """A reason without the row's particulars (quoted values, paths), to count alike ones."""
    return reason.split(" '", 1)[0].split(' "', 1)[0].split(": ", 1)[0]


class Progress:
    """A progress bar on a terminal (``stream``), redrawn at most ten times a second; on
    anything else, a line every tenth of the way."""

    def __init__(self, total: int, label: str = "threads", stream: TextIO | None = None) -> None:
        self.total, self.label, self.done = max(total, 0), label, 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._tenth = -1

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.tty:
            if now - self._drawn_at >= 0.1 or self.done >= self.total:
                self._drawn_at = now
                self.stream.write("\r" + self.line(now))
                self.stream.flush()
        elif self.total:
            tenth = min(10, self.done * 10 // self.total)
            if tenth > self._tenth:
                self._tenth = tenth
                self.stream.write(self.line(now) + "\n")
                self.stream.flush()

    def line(self, now: float) -> str:
        fraction = self.done / self.total if self.total else 1.0
        width = 30
        filled = int(width * min(fraction, 1.0))
        rate = self.done / max(now - self.started, 1e-9)
        return (
            f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"{fraction:4.0%} {rate:,.0f}/s"
        )

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r" + self.line(time.monotonic()) + "\n")
            self.stream.flush()

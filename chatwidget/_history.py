"""The conversation as the kernel holds it: every step in the slot it was first sent in."""

from __future__ import annotations

from collections.abc import Iterator

from ._base import StepBase


class History:
    """Steps by slot. A slot is handed out once and never reused, so views can key on it."""

    def __init__(self) -> None:
        self._slots: list[StepBase | None] = []
        self._slot_of: dict[str, int] = {}

    @property
    def head(self) -> int:
        """How many slots have been handed out."""
        return len(self._slots)

    def __len__(self) -> int:
        return len(self._slot_of)

    def put(self, step: StepBase, at: int | None = None) -> int:
        """The slot of ``step``, newly appended if it was not in the history (or placed in
        the free slot ``at``, one handed out by :meth:`reserve`)."""
        slot = self._slot_of.get(step.id)
        if slot is None:
            if at is not None and 0 <= at < len(self._slots) and self._slots[at] is None:
                slot = at
                self._slots[at] = step
            else:
                slot = len(self._slots)
                self._slots.append(step)
            self._slot_of[step.id] = slot
        else:
            self._slots[slot] = step
        return slot

    def reserve(self, count: int) -> int:
        """Hand out ``count`` empty slots (for steps older than the ones to come, filled
        later with ``put(step, at=...)``); returns the first."""
        first = len(self._slots)
        self._slots.extend([None] * count)
        return first

    def remove(self, step_id: str) -> int | None:
        slot = self._slot_of.pop(step_id, None)
        if slot is not None:
            self._slots[slot] = None
        return slot

    def get(self, step_id: str) -> StepBase | None:
        slot = self._slot_of.get(step_id)
        return None if slot is None else self._slots[slot]

    def slot_of(self, step_id: str) -> int | None:
        return self._slot_of.get(step_id)

    def __contains__(self, step_id: object) -> bool:
        return step_id in self._slot_of

    def items(self) -> Iterator[tuple[int, StepBase]]:
        for slot, step in enumerate(self._slots):
            if step is not None:
                yield slot, step

    def steps(self) -> list[StepBase]:
        return [step for step in self._slots if step is not None]

    def depth(self, step: StepBase) -> int:
        """How many step ancestors ``step`` has (messages do not nest)."""
        depth, parent_id, seen = 0, step.parent_id, {step.id}
        while parent_id and parent_id not in seen and (parent := self.get(parent_id)) is not None:
            if parent.type.endswith("_message"):
                break
            seen.add(parent_id)
            depth += 1
            parent_id = parent.parent_id
        return depth

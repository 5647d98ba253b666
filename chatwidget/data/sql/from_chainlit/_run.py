"""The import itself: users first, then threads a batch at a time with their rows, then the
rows that belong to no thread (reported, not imported)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...storage import new_object_key
from ..layer import SQLDataLayer
from . import _rows as rows
from ._blobs import BlobError, BlobSource
from ._destination import Destination, Group
from ._report import ImportReport
from ._rows import Skip
from ._source import CHILD_TABLES, TABLES, ChainlitSource

#: Element files fetched at once.
FETCHES = 8


@dataclass
class Owner:
    user_id: str
    identifier: str


@dataclass
class Batch:
    """One batch of threads on its way: converted rows and the groups to write."""

    groups: dict[str, Group] = field(default_factory=dict)
    #: element id -> (object key in the source, the key its bytes get here)
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: element id -> the size of its bytes, once fetched (and stored, unless a dry run)
    sizes: dict[str, int] = field(default_factory=dict)


class ChainlitImport:
    def __init__(
        self,
        source: ChainlitSource,
        layer: SQLDataLayer,
        *,
        blobs: BlobSource | None,
        dry_run: bool,
        identifier_for: dict[str, str],
        identifier_prefix: str,
        batch_size: int,
        report: ImportReport,
        progress: Callable[[int], None],
    ) -> None:
        self.source, self.blobs = source, blobs
        self.destination = Destination(layer, dry_run=dry_run)
        self.dry_run = dry_run
        self.identifier_for, self.prefix = identifier_for, identifier_prefix
        self.batch_size = batch_size
        self.report, self.progress = report, progress
        self.owners: dict[str, Owner] = {}  # a Chainlit user id -> the user here
        self.by_identifier: dict[str, Owner] = {}

    async def run(self) -> None:
        await self.destination.prepare()
        for name in TABLES:
            missing = await self.source.without_id(name)
            for _ in range(missing):
                self.report.skip(name, None, "no id")
        await self._users()
        async for threads in self.source.batches("threads", self.batch_size):
            await self._threads(threads)
            self.progress(len(threads))
        for name in CHILD_TABLES:
            async for orphans in self.source.batches(name, 500, orphans=True):
                for row in orphans:
                    self.report.skip(
                        name, row.get("id"), "its thread does not exist in the Chainlit database"
                    )

    # -- users --------------------------------------------------------------------------

    async def _users(self) -> None:
        async for batch in self.source.batches("users", 500):
            converted: list[tuple[str, dict[str, Any]]] = []
            for row in batch:
                try:
                    converted.append(
                        (str(row["id"]), rows.user(row, self.identifier_for, self.prefix, self.report.notes))
                    )
                except Skip as exc:
                    self.report.skip("users", row.get("id"), str(exc))
            stored = await self.destination.lookup(
                "users", "identifier", [u["identifier"] for _, u in converted], "id"
            )
            taken = await self.destination.lookup("users", "id", [u["id"] for _, u in converted])
            new: list[dict[str, Any]] = []
            for source_id, user in converted:
                if user["identifier"] in stored:
                    self.report.present["users"] += 1
                    owner = Owner(str(stored[user["identifier"]][0]), user["identifier"])
                elif user["identifier"] in self.by_identifier:  # twice in the source
                    self.report.skip("users", source_id, "the same identifier as another user")
                    continue
                else:
                    if user["id"] in taken:
                        user["id"] = str(uuid.uuid4())
                    user["created_at"] = user["created_at"] or rows.timestamp_now()
                    new.append(user)
                    owner = Owner(user["id"], user["identifier"])
                self.owners[source_id] = owner
                self.by_identifier[owner.identifier] = owner
            await self._add_users(new)

    async def _add_users(self, new: list[dict[str, Any]]) -> set[str]:
        """Insert users; returns the ids added (a refused user owns nothing: forgotten)."""
        if not new:
            return set()
        group = Group("")
        for user in new:
            group.add("users", user)
        written = await self.destination.write([group])
        added = set(written.added.get("users", []))
        self.report.added["users"] += len(added)
        for _, row, reason in written.refused:
            self.report.skip("users", row["id"], reason)
            self.by_identifier.pop(row["identifier"], None)
            for source_id in [s for s, o in self.owners.items() if o.user_id == row["id"]]:
                del self.owners[source_id]
        return added

    async def _owner_named(self, identifier: str | None) -> Owner | None:
        """The user a thread names only by ``userIdentifier``: found, or made."""
        if not identifier:
            return None
        mapped = self.identifier_for.get(identifier, self.prefix + identifier)
        if mapped in self.by_identifier:
            return self.by_identifier[mapped]
        stored = await self.destination.lookup("users", "identifier", [mapped], "id")
        if mapped in stored:
            owner = Owner(str(stored[mapped][0]), mapped)
        else:
            owner = Owner(str(uuid.uuid4()), mapped)
            user: dict[str, Any] = {
                "id": owner.user_id,
                "identifier": mapped,
                "display_name": None,
                "metadata": {},
                "created_at": rows.timestamp_now(),
            }
            if owner.user_id not in await self._add_users([user]):
                return None
        self.by_identifier[mapped] = owner
        return owner

    # -- threads ------------------------------------------------------------------------

    async def _threads(self, threads: list[dict[str, Any]]) -> None:
        notes = self.report.notes
        raw_ids = [t["id"] for t in threads]
        children = {name: await self.source.children(name, raw_ids) for name in CHILD_TABLES}
        by_thread: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for name, found in children.items():
            for row in found:
                by_thread.setdefault(str(row["threadId"]), {}).setdefault(name, []).append(row)
        stored = await self.destination.lookup("threads", "id", [str(i) for i in raw_ids], "user_identifier")
        batch = Batch()
        for raw in threads:
            source_id = str(raw["id"])
            mine = by_thread.get(source_id, {})
            try:
                thread = rows.thread(raw, notes)
                owner = self.owners.get(str(raw.get("userId"))) if raw.get("userId") is not None else None
                if owner is None:
                    owner = await self._owner_named(rows.text_value(raw.get("userIdentifier"), notes))
                if source_id in stored and stored[source_id][0] != (owner.identifier if owner else None):
                    raise Skip("a thread with this id belongs to another user in the destination")
            except Skip as exc:
                self._skip_thread(source_id, mine, str(exc))
                continue
            if owner is None:
                notes["threads imported without an owner (no user): visible to nobody"] += 1
            group = Group(thread["id"])
            batch.groups[thread["id"]] = group
            steps = self._steps(mine.get("steps", []), thread)
            if source_id in stored:
                self.report.present["threads"] += 1
            else:
                step_times = [t for s in steps for t in (s["created_at"], s["end_time"]) if t]
                if thread["created_at"] is None:
                    notes["threads without createdAt given their first step's time"] += 1
                created = thread["created_at"] or min(step_times, default=rows.timestamp_now())
                thread.update(
                    created_at=created,
                    updated_at=max([created, *step_times]),  # the thread list's order: latest activity
                    user_id=owner.user_id if owner else None,
                    user_identifier=owner.identifier if owner else None,
                )
                group.add("threads", thread)
            for step in steps:
                group.add("steps", step)
            for element in self._elements(mine.get("elements", []), thread["id"], batch):
                group.add("elements", element)
            for feedback in self._feedbacks(mine.get("feedbacks", []), thread["id"]):
                group.add("feedbacks", feedback)
        await self._drop_stored(batch)
        await self._fetch_files(batch)
        written = await self.destination.write([g for g in batch.groups.values() if len(g)])
        for name, ids in written.added.items():
            self.report.added[name] += len(ids)
        kept = set(written.added.get("elements", []))
        for element_id, size in batch.sizes.items():
            if element_id in kept:
                self.report.files_stored += 1
                self.report.bytes_stored += size
        if not self.dry_run:
            await self.destination.forget_bytes(
                k for e, (_, k) in batch.files.items() if e in batch.sizes and e not in kept
            )
        for name, row, reason in written.refused:
            self.report.skip(name, row["id"], reason)

    def _skip_thread(self, thread_id: str, mine: dict[str, list[dict[str, Any]]], reason: str) -> None:
        self.report.skip("threads", thread_id, reason)
        for name, found in mine.items():
            for row in found:
                self.report.skip(name, row.get("id"), "its thread was skipped")

    def _steps(self, found: list[dict[str, Any]], thread: dict[str, Any]) -> list[dict[str, Any]]:
        steps = []
        for row in found:
            try:
                steps.append(rows.step(row, thread["id"], thread["created_at"], self.report.notes))
            except Skip as exc:
                self.report.skip("steps", row.get("id"), str(exc))
        steps.sort(key=lambda s: (s["created_at"], s["start_time"] or ""))  # the order they are read back in
        return steps

    def _elements(self, found: list[dict[str, Any]], thread_id: str, batch: Batch) -> list[dict[str, Any]]:
        elements = []
        for row in found:
            try:
                element = rows.element(row, thread_id, self.report.notes)
            except Skip as exc:
                self.report.skip("elements", row.get("id"), str(exc))
                continue
            key = rows.text_value(row.get("objectKey"), self.report.notes)
            if key:
                element.update(url=None, object_key=new_object_key())
                batch.files[element["id"]] = (key, element["object_key"])
            else:
                element.update(url=rows.web_url(row.get("url"), self.report.notes), object_key=None)
            elements.append(element)
        return elements

    def _feedbacks(self, found: list[dict[str, Any]], thread_id: str) -> list[dict[str, Any]]:
        feedbacks, steps_with_one = [], set()
        for row in found:
            try:
                feedback = rows.feedback(row, thread_id, self.report.notes)
                if feedback["for_id"] in steps_with_one:
                    raise Skip("another feedback for the same step comes first")
            except Skip as exc:
                self.report.skip("feedbacks", row.get("id"), str(exc))
                continue
            steps_with_one.add(feedback["for_id"])
            feedbacks.append(feedback)
        return feedbacks

    async def _drop_stored(self, batch: Batch) -> None:
        """Leave out the rows the destination has: counted as there, or skipped if they clash."""
        groups = batch.groups.values()
        for name, owner_column in (
            ("steps", "thread_id"),
            ("elements", "thread_id"),
            ("feedbacks", "for_id"),
        ):
            candidates = [r for g in groups for r in g.rows.get(name, [])]
            stored = await self.destination.lookup(name, "id", [r["id"] for r in candidates], owner_column)
            by_step: dict[Any, tuple[Any, ...]] = {}
            if name == "feedbacks":
                by_step = await self.destination.lookup(
                    name, "for_id", [r["for_id"] for r in candidates], "id"
                )
            for group in groups:
                kept = []
                for row in group.rows.get(name, []):
                    if row["id"] in stored:
                        if stored[row["id"]][0] == row[owner_column]:
                            self.report.present[name] += 1
                        else:
                            self.report.skip(
                                name, row["id"], f"a {name[:-1]} with this id is stored elsewhere"
                            )
                        batch.files.pop(row["id"], None)
                    elif name == "feedbacks" and row["for_id"] in by_step:
                        self.report.skip(
                            name, row["id"], "the step already has a feedback in the destination"
                        )
                    else:
                        kept.append(row)
                group.rows[name] = kept

    async def _fetch_files(self, batch: Batch) -> None:
        """Each new element's bytes, into this data layer's storage; an element whose bytes
        cannot be fetched is left out (reported; a later run with the right source adds it)."""
        if not batch.files:
            return
        limit = asyncio.Semaphore(FETCHES)
        failed: dict[str, str] = {}

        async def fetch(element_id: str, source_key: str, key: str) -> None:
            async with limit:
                try:
                    if self.blobs is None:
                        raise BlobError("no element storage given (--elements-dir or --s3-bucket)")
                    if self.dry_run:
                        if not await self.blobs.exists(source_key):
                            raise BlobError(f"no object {source_key!r} in {self.blobs.describe()}")
                        batch.sizes[element_id] = 0
                        return
                    content = await self.blobs.get(source_key)
                    await self.destination.store_bytes(key, content)
                except (BlobError, OSError) as exc:
                    failed[element_id] = str(exc)
                    return
                batch.sizes[element_id] = len(content)

        await asyncio.gather(*[fetch(e, s, k) for e, (s, k) in batch.files.items()])
        for group in batch.groups.values():
            kept = []
            for element in group.rows.get("elements", []):
                if element["id"] in failed:
                    reason = f"bytes not fetched: {failed[element['id']]}"
                    self.report.skip("elements", element["id"], reason, bytes_missing=True)
                    batch.files.pop(element["id"])
                else:
                    kept.append(element)
            group.rows["elements"] = kept

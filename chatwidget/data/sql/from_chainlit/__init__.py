"""Import a Chainlit database (its documented SQL schema) into chatwidget's database.

    python -m chatwidget.data import-chainlit postgresql://user@host/chainlit --s3-bucket my-bucket

Users, threads, steps, elements (their bytes fetched from Chainlit's storage: a local
directory or an S3 bucket, stored through the destination's element storage) and feedback
are copied with their ids and times. Running it again adds only what is missing. Rows that
cannot be imported are skipped, one at a time, and reported with the reason; a dry run
reports what would happen and writes nothing. See ``docs/from-chainlit.md``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import URL

from ..layer import SQLDataLayer
from ._blobs import BlobError, BlobSource, DirectoryBlobs, S3Blobs
from ._report import ImportReport, Progress, Skipped
from ._run import ChainlitImport
from ._source import ChainlitSource, NotChainlitError

__all__ = [
    "BlobError",
    "BlobSource",
    "DirectoryBlobs",
    "ImportReport",
    "NotChainlitError",
    "Progress",
    "S3Blobs",
    "Skipped",
    "import_chainlit",
]


async def import_chainlit(
    source_url: str | URL,
    destination: SQLDataLayer,
    *,
    blobs: BlobSource | None = None,
    dry_run: bool = False,
    identifier_for: dict[str, str] | None = None,
    identifier_prefix: str = "",
    batch_size: int = 100,
    progress: Callable[[int], Progress | None] | None = None,
) -> ImportReport:
    """Copy the Chainlit database at ``source_url`` into ``destination``; the report says what.

    ``identifier_for`` maps Chainlit user identifiers to chatwidget's (e.g. ``{"ann":
    "github:583231"}``); the others get ``identifier_prefix`` in front (``"password:"`` for
    the users of a password login). ``progress`` is called with the number of threads and
    returns what to tell as they are done (a :class:`Progress`), or ``None``.
    """
    source = ChainlitSource(source_url)
    report = ImportReport(
        source=source.display,
        destination=destination.url.render_as_string(hide_password=True),
        dry_run=dry_run,
    )
    try:
        await source.open()
        bar = progress(await source.count("threads")) if progress is not None else None
        run = ChainlitImport(
            source,
            destination,
            blobs=blobs,
            dry_run=dry_run,
            identifier_for=identifier_for or {},
            identifier_prefix=identifier_prefix,
            batch_size=batch_size,
            report=report,
            progress=bar.advance if bar is not None else (lambda n: None),
        )
        try:
            await run.run()
        finally:
            if bar is not None:
                bar.close()
    finally:
        await source.close()
    return report

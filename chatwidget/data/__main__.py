"""``python -m chatwidget.data``: tools for chatwidget's database.

    python -m chatwidget.data import-chainlit SOURCE_URL [--to URL] [--elements-dir DIR |
        --s3-bucket NAME] [--dry-run] ...

``import-chainlit`` copies a Chainlit database (``SOURCE_URL``, a SQLAlchemy URL of a
database in Chainlit's documented schema) into chatwidget's (``--to``, else
``$CHATWIDGET_DATABASE_URL``, else the SQLite file in the Jupyter data directory). Exit
status: 0 when every row is in the destination, 3 when rows were skipped (listed in the
report), 1 when the import could not run, 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from .base import STORE_URL_ENV
from .storage import LocalElementStorage

EXIT_SKIPPED = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chatwidget.data", description="chatwidget's database tools"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "import-chainlit",
        help="copy a Chainlit database into chatwidget's",
        description=(
            "Copy users, threads, steps, elements (with their bytes) and feedback from a database in "
            "Chainlit's documented schema. A second run adds only what is missing."
        ),
    )
    run.add_argument("source", metavar="SOURCE_URL", help="the Chainlit database (SQLAlchemy URL)")
    run.add_argument(
        "--to",
        metavar="URL",
        help="chatwidget's database (default: $CHATWIDGET_DATABASE_URL, else the SQLite file in the "
        "Jupyter data directory); element bytes go to its element storage "
        "($CHATWIDGET_ELEMENTS_URL, $BUCKET_NAME, or beside it)",
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--elements-dir",
        metavar="DIR",
        type=Path,
        help="a directory holding Chainlit's element files under their object keys (a copy of the bucket)",
    )
    where.add_argument("--s3-bucket", metavar="NAME", help="the S3 bucket of Chainlit's storage client")
    run.add_argument("--s3-endpoint", metavar="URL", help="an S3-compatible server (default: AWS)")
    run.add_argument(
        "--s3-region", metavar="REGION", help="the bucket's region (default: $AWS_REGION or us-east-1)"
    )
    run.add_argument("--s3-prefix", metavar="PREFIX", default="", help="a prefix before every object key")
    run.add_argument(
        "--users-map",
        metavar="FILE",
        type=Path,
        help='JSON object: Chainlit user identifier -> chatwidget\'s, e.g. {"ann": "github:583231"}',
    )
    run.add_argument(
        "--identifier-prefix",
        metavar="PREFIX",
        default="",
        help="put before the identifiers not in --users-map (e.g. 'password:' for password logins)",
    )
    run.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
    run.add_argument("--report", metavar="FILE", type=Path, help="also write the whole report as JSON")
    run.add_argument("--batch", type=int, default=100, metavar="N", help="threads per batch (default: 100)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


def _identifier_map(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        value: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"--users-map {path}: {exc}") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SystemExit(f"--users-map {path}: want a JSON object of strings to strings")
    return value


async def _import(args: argparse.Namespace) -> int:
    from .sql import SQLDataLayer
    from .sql.from_chainlit import DirectoryBlobs, NotChainlitError, Progress, S3Blobs, import_chainlit

    if args.to is None and os.environ.get(STORE_URL_ENV):
        raise SystemExit(
            f"${STORE_URL_ENV} is set: name the thread store's database with --to URL (the import writes "
            "to a database, not through the store service)"
        )
    identifier_for = _identifier_map(args.users_map)
    try:
        if args.elements_dir is not None:
            blobs: Any = DirectoryBlobs(args.elements_dir)
        elif args.s3_bucket:
            blobs = S3Blobs(
                args.s3_bucket, endpoint=args.s3_endpoint, region=args.s3_region, prefix=args.s3_prefix
            )
        else:
            blobs = None
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    layer = SQLDataLayer(args.to or None)
    storage = layer.storage
    where = (
        f"directory {storage.root}" if isinstance(storage, LocalElementStorage) else type(storage).__name__
    )
    progress = None if args.no_progress else (lambda total: Progress(total))
    try:
        report = await import_chainlit(
            args.source,
            layer,
            blobs=blobs,
            dry_run=args.dry_run,
            identifier_for=identifier_for,
            identifier_prefix=args.identifier_prefix,
            batch_size=max(1, args.batch),
            progress=progress,
        )
    except (NotChainlitError, FileNotFoundError) as exc:
        print(f"import-chainlit: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a database that cannot be reached, refused credentials...
        print(f"import-chainlit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        await layer.close()
    print(report.text())
    print(f"\nelement bytes from: {blobs.describe() if blobs is not None else '(none given)'}; into: {where}")
    if args.report is not None:
        args.report.write_text(json.dumps(report.as_dict(), indent=1), encoding="utf-8")
    return 0 if report.complete else EXIT_SKIPPED


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "import-chainlit":
        return asyncio.run(_import(args))
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())

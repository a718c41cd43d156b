"""Importing a CSV or XLSX file: read (``reading.py``), convert (``converting.py``) and write
(``writer.py``) chunk by chunk in one transaction, reading the next chunk while the last one is
written. Event logs have their own importer (``eventlog.py``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import polars as pl

from solidground.importers.converting import Converter, describe_format, make_converter
from solidground.importers.mapping import Mapping
from solidground.importers.reading import Chunk, FileFormat, open_file
from solidground.importers.records import Kind
from solidground.importers.validation import RowError
from solidground.importers.writer import DEFAULT_CHUNK_SIZE, BatchWriter, WriteResult

T = TypeVar("T")
# Files this large (about 150,000 rows) are bulk loads: secondary indexes are rebuilt at the end.
BULK_BYTES = 16 * 1024 * 1024


_DONE = object()


@dataclass
class _Failure:
    error: BaseException


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Produce ``items`` in a worker thread, at most ``depth`` ahead of the consumer.

    An exception in the worker is raised in the consumer; when the consumer stops early (an
    error, an interruption), the worker stops at its next item.
    """
    channel: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failure(exc))

    worker = threading.Thread(target=work, name="import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = channel.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join(timeout=10)


@dataclass
class FileImportResult:
    result: WriteResult
    rows: int
    fmt: FileFormat
    warnings: list[str] = field(default_factory=list)
    date_formats: dict[str, str] = field(default_factory=dict)


def import_file(
    path: Path,
    mapping: Mapping,
    *,
    strict: bool = False,
    dry_run: bool = False,
    chunk_size: int | None = None,
    create_missing_customers: bool = True,
    on_errors: Callable[[Sequence[RowError]], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    row_limit: int | None = None,
    defer_indexes: bool | None = None,
) -> FileImportResult:
    """Read, convert, validate and write a file; one transaction (see writer.BatchWriter).

    ``defer_indexes``: rebuild the target table's secondary indexes once at the end instead of
    row by row; by default on for files of BULK_BYTES or more.
    """
    if mapping.kind == "eventlog":
        # Event logs have their own importer (eventlog.import_eventlog), chosen by the action.
        raise ValueError(f"{mapping.name}: an event log mapping; use eventlog.import_eventlog")
    kind = cast(Kind, mapping.kind)
    fmt, reader = open_file(path, mapping)
    size = min(chunk_size or DEFAULT_CHUNK_SIZE, row_limit or DEFAULT_CHUNK_SIZE * 1000)
    if defer_indexes is None:
        defer_indexes = row_limit is None and path.stat().st_size >= BULK_BYTES
    state: dict[str, Any] = {"converter": None, "rows": 0}

    def converted() -> Iterator[tuple[Chunk, pl.DataFrame, list[RowError], int]]:
        for chunk in reader.chunks(size):
            if state["converter"] is None:
                state["converter"] = make_converter(reader, mapping)
            frame = chunk.frame
            if row_limit is not None:
                frame = frame.head(max(row_limit - state["rows"], 0))
            state["rows"] += frame.height
            good, errors, rejected = state["converter"].convert(frame)
            yield chunk, good, errors, rejected
            if row_limit is not None and state["rows"] >= row_limit:
                return

    with BatchWriter(
        source=mapping.source,
        strict=strict,
        dry_run=dry_run,
        create_missing_customers=create_missing_customers,
        on_errors=on_errors,
        defer_indexes=defer_indexes,
    ) as writer:
        # Reading and converting the next chunk (Polars, off the GIL) overlaps with writing
        # this one (the database): the database connection stays in this thread.
        for chunk, good, errors, rejected in prefetch(converted()):
            converter = cast(Converter, state["converter"])
            writer.add_errors(kind, errors, rejected_rows=rejected)
            writer.write_frame(
                kind,
                good,
                file=path.name,
                supplied=converter.supplied,
                column_names=converter.column_names,
            )
            if progress is not None:
                progress(chunk.done, chunk.total)
    rows = int(state["rows"])
    converter = state["converter"]
    warnings: list[str] = []
    formats: dict[str, str] = {}
    if isinstance(converter, Converter):
        warnings = [f"no column for {entry}" for entry in converter.missing_optional]
        formats = {name: describe_format(f[0]) for name, f in converter.formats.items()}
    return FileImportResult(writer.result, rows, fmt, warnings, formats)

"""The committed import samples are what their generator writes.

The importer tests read the sample exports in ``samples/``; ``samples/generate_samples.py``
writes them. A sample edited by hand, or a generator changed without writing the samples
again, would leave the tests checking files that nobody can reproduce. Fix a failure here by
running ``.venv/bin/python tests/importers/samples/generate_samples.py`` and committing the
output.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.importers.samples import generate_samples

SAMPLES = Path(generate_samples.__file__).resolve().parent
GENERATOR = Path(generate_samples.__file__).name
# An XLSX file carries its creation time; its cells are compared instead of its bytes.
XLSX = ".xlsx"


def _names(folder: Path) -> list[str]:
    return sorted(
        path.name for path in folder.iterdir() if path.is_file() and path.name != GENERATOR
    )


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate_samples, "HERE", folder)
        generate_samples.main()
    return folder


def _cells(path: Path) -> dict[str, list[list[tuple[object, str]]]]:
    workbook = openpyxl.load_workbook(path)
    return {
        sheet.title: [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
        for sheet in workbook.worksheets
    }


def test_the_generator_writes_every_committed_sample_and_no_other(regenerated: Path) -> None:
    committed = _names(SAMPLES)

    assert committed == _names(regenerated)
    assert len(committed) == 61  # 60 CSV exports and one XLSX time sheet


def test_every_committed_csv_sample_is_byte_for_byte_what_the_generator_writes(
    regenerated: Path,
) -> None:
    names = [name for name in _names(regenerated) if not name.endswith(XLSX)]

    differing = [
        name for name in names if (SAMPLES / name).read_bytes() != (regenerated / name).read_bytes()
    ]

    assert names
    assert differing == []


def test_the_xlsx_sample_holds_the_cells_the_generator_writes(regenerated: Path) -> None:
    names = [name for name in _names(regenerated) if name.endswith(XLSX)]

    assert names
    for name in names:
        assert _cells(SAMPLES / name) == _cells(regenerated / name), name

"""Reading a records file as it is (vawgstats.records_file): the fast path equals the careful one."""

import pandas as pd
import pytest


def test_a_windows_1252_byte_after_the_first_64_kib_is_still_read_as_windows_1252(tmp_path):
    """UTF-8 files are parsed from their bytes; a file that is not UTF-8 further on falls back to decoding."""
    from vawgstats import records_file, schema, synthetic

    path = tmp_path / "late.csv"
    schema.write_records(synthetic.generate(seed=1, start="2025-01", end="2025-03", scale=0.01), path)
    lines = path.read_bytes().split(b"\n")
    assert sum(len(line) + 1 for line in lines[:-5]) > 65536
    fields = lines[-5].split(b",")
    fields[7] = b"caf\xe9"   # victim_id, Windows-1252
    lines[-5] = b",".join(fields)
    path.write_bytes(b"\n".join(lines))
    assert records_file._plain_utf8_start(path.read_bytes())
    loaded = schema.load(path, as_of="2026-01-01")
    assert "café" in set(loaded["victim_id"].dropna())
    text = records_file._decode(path.read_bytes(), path)
    careful = schema.parse_records(records_file.read_csv_text(text, path), path, "csv", as_of="2026-01-01")
    pd.testing.assert_frame_equal(loaded, careful)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_plain_file_read_by_pyarrow_itself_equals_its_bytes_parsed(tmp_path, quoted):
    """A plain UTF-8 CSV is read by pyarrow from the file (no copy of its bytes); the frame is the
    one parsed from the bytes, with or without quoted values (a line break inside one)."""
    from vawgstats import records_file, schema, synthetic

    path = tmp_path / "records.csv"
    records = synthetic.generate(seed=2, start="2025-01", end="2025-12", scale=0.05)
    if quoted:
        records["crime_type"] = "Stalking,\nand harassment"
    schema.write_records(records, path)
    assert path.stat().st_size > 1 << 20   # more than the first MiB the checks read
    assert (b'"' in path.read_bytes()) is quoted
    assert records_file._file_contains(path, b'"') is quoted
    from_file, fmt = schema.read_records(path)
    from_bytes = records_file.read_csv_text(path.read_bytes(), path, schema.DICTIONARY_COLUMNS)
    assert fmt == "csv"
    pd.testing.assert_frame_equal(from_file, from_bytes)

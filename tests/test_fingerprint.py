"""What the caches key on: the package's files (not only its version number) and data files' content."""

from __future__ import annotations

import shutil

from vawgstats import fingerprint


def test_fingerprint_changes_with_any_package_file(tmp_path, monkeypatch):
    copy = tmp_path / "vawgstats"
    shutil.copytree(fingerprint.PACKAGE_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE_ROOT", copy)
    fingerprint.code_fingerprint.cache_clear()
    try:
        before = fingerprint.code_fingerprint()
        assert fingerprint.code_fingerprint() == before                  # stable
        only_synthetic = fingerprint.code_fingerprint(*fingerprint.SYNTHETIC_SOURCES)
        (copy / "metrics.py").write_text((copy / "metrics.py").read_text() + "\n# changed\n")
        fingerprint.code_fingerprint.cache_clear()
        assert fingerprint.code_fingerprint() != before                   # any file counts
        # the synthetic data's key reads only the files the generator is made from
        assert fingerprint.code_fingerprint(*fingerprint.SYNTHETIC_SOURCES) == only_synthetic
        (copy / "synthetic.py").write_text((copy / "synthetic.py").read_text() + "\n# changed\n")
        fingerprint.code_fingerprint.cache_clear()
        assert fingerprint.code_fingerprint(*fingerprint.SYNTHETIC_SOURCES) != only_synthetic
    finally:
        fingerprint.code_fingerprint.cache_clear()


def test_data_file_hash_is_kept_in_the_build_folder_until_size_or_mtime_changes(tmp_path, monkeypatch):
    import hashlib
    import json
    import os

    from vawgstats import fingerprint as prep

    data, build = tmp_path / "records.csv", tmp_path / "build"
    data.write_bytes(b"a,b\n1,2\n")
    old = data.stat().st_mtime_ns - 60_000_000_000  # a minute ago: old enough to be kept
    os.utime(data, ns=(old, old))
    expected = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert prep.sha256_file(data, build_root=build) == expected
    kept = json.loads((build / prep.HASHES_FILE).read_text())
    assert kept[str(data.resolve())]["sha256"] == expected

    # a new process reuses the kept hash without reading the file (the in-process memo forgotten)
    prep._sha256_of.cache_clear()
    read = []
    monkeypatch.setattr(prep, "_sha256_of", lambda *args: read.append(args) or "from-the-file")
    assert prep.sha256_file(data, build_root=build) == expected and not read

    # same size, another mtime: hashed again (and the new hash kept)
    os.utime(data, ns=(old + 1_000, old + 1_000))
    assert prep.sha256_file(data, build_root=build) == "from-the-file" and len(read) == 1
    # another size (mtime set back to the kept one): hashed again
    with open(data, "ab") as handle:
        handle.write(b"3,4\n")
    os.utime(data, ns=(old + 1_000, old + 1_000))
    assert prep.sha256_file(data, build_root=build) == "from-the-file" and len(read) == 2

    # a just-written file is hashed but not kept (a write in the same timestamp tick could keep size and mtime)
    fresh = tmp_path / "fresh.csv"
    fresh.write_bytes(b"x\n")
    assert prep.sha256_file(fresh, build_root=build) == "from-the-file"
    assert str(fresh.resolve()) not in json.loads((build / prep.HASHES_FILE).read_text())
    # a damaged store is ignored, not an error
    (build / prep.HASHES_FILE).write_text("{not json")
    assert prep.sha256_file(data, build_root=build) == "from-the-file"

"""The caches key on the package's files, not only its version number."""

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


"""Disclosure audit of rendered output: leaked identifiers and unsuppressed small counts.

:func:`audit_directory` scans every ``*.html``/``*.htm``, ``*.pdf``, ``*.ipynb``,
``*.md``, ``*.txt``, ``*.csv`` and ``*.json`` file under a folder for

(a) any ``victim_id``, ``suspect_id`` or ``crime_id`` value of the input records
    (matched as a whole token, case-insensitively), and
(b) in public-edition HTML tables, a whole number from 1 to ``threshold - 1``
    in a cell whose column header, or whose row label (the first cell of the
    row, for tables with one measure per row), names a count ("count",
    "crimes", "victims", "offences", "numerator", "denominator", "charged",
    "suspects", "records"; any case), or that carries a ``data-count``
    attribute (on the cell or its column's header cell).  Every whole number in such a cell is checked, so
    "7 of 120" is found; percentages, decimals, dates and ``<10`` are not
    counts.  Zero is allowed; ``<10`` is the suppressed form.  The delivery returns'
    disclosive counts (police-perpetrated cases, allegations and individuals, misconduct
    investigations, dismissals: :mod:`vawgstats.returns`' disclosure class) are counts too: a
    column headed by, or a row naming (in any cell), such a measure's label is checked, except
    its "change", "target" and "met?" columns.  A table is
    public when it sits inside an element with ``data-edition="public"``
    (nearest such attribute wins) or the document carries
    ``<meta name="vawgstats-edition" content="public">``.

(c) in public-edition HTML, suppressed cells that a table's own additive relations give
    back by subtraction (kind ``"differencing"``; the relations are the ones suppression
    declares, read from the row labels: see :mod:`vawgstats.audit_attack`), alt text and
    captions stating a count below the threshold, a negative value or a rate above 100%
    (kind ``"wording"``), and
(d) a restricted page in a folder holding the public edition (kind ``"edition"``).

A file that cannot be scanned (a PDF with no text extractor) is itself a
finding of kind ``"unscanned"``, so that nothing passes silently.  Findings
never show an identifier in full: only its first two characters and length.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .audit_attack import differencing_findings, edition_findings, wording_findings
from .definitions import SUPPRESSION_THRESHOLD
from .errors import ParamsError

#: File types scanned, by suffix.
SCANNED_SUFFIXES: tuple[str, ...] = (".html", ".htm", ".pdf", ".ipynb", ".md", ".txt", ".csv", ".json")
#: Identifier columns of the data contract searched for.
IDENTIFIER_COLUMNS: tuple[str, ...] = ("victim_id", "suspect_id", "crime_id")
#: Words in a column header that mark a column of counts.
COUNT_HEADER_WORDS: tuple[str, ...] = (
    "count", "crimes", "victims", "offences", "numerator", "denominator", "charged", "suspects",
    "records")
#: In a row or column of a disclosive returns measure, columns whose header has one of these words
#: hold a difference, a target or a verdict, not the measure's count.
NOT_COUNT_HEADER_WORDS: tuple[str, ...] = ("change", "target", "met?")
#: At most this many findings of one kind are listed per file; the rest are summarised.
MAX_FINDINGS_PER_KIND = 50
#: Seconds allowed for pdftotext on one file.
PDF_TIMEOUT = 120

# Embedded binary (data: URIs, base64 image outputs) is not text and is skipped.
_DATA_URI = re.compile(r"data:[\w.+/-]+(?:;[\w=.+-]+)*;base64,[A-Za-z0-9+/=\s\\]+")
# A whole number standing alone in a cell's text ("7", "7 of 120", "1,234 crimes", "4 (12%)"),
# but not part of a percentage, a decimal, a date, a range or a suppressed "<10".
_WHOLE_NUMBER = re.compile(
    r"(?<![\w.,<>=\u2264\u2265/:-])(\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?(?![\w%/:-]|[.,]\d)")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})


@dataclass(frozen=True)
class Finding:
    """One problem in one file: ``kind`` is "identifier", "small_count" or "unscanned"."""

    file: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


def mask(identifier: str) -> str:
    """An identifier as it may be shown in a log: first 2 characters and its length."""
    return f"{identifier[:2]}\u2026 ({len(identifier)} characters)"


# --------------------------------------------------------------------------- identifiers


class IdentifierIndex:
    """Identifiers to search for, matched case-insensitively as whole tokens.

    A token is a run of letters and digits, possibly joined by the punctuation
    characters that occur inside the identifiers themselves (e.g. ``-`` in
    ``V-0001``).  Every run of up to as many parts as the longest identifier has
    is looked up in one hash table, so the cost grows with the text, not with
    the number of identifiers.
    """

    def __init__(self, labelled: Mapping[str, str]):
        #: lower-cased identifier -> its column(s), e.g. "victim_id".
        self.labels: dict[str, str] = dict(labelled)
        joiners = sorted(ch for ch in set("".join(self.labels)) if not ch.isalnum())
        self.joiners = "".join(joiners)
        word = r"[^\W_]+"
        if joiners:
            klass = "[" + "".join(re.escape(ch) for ch in joiners) + "]"
            self._run = re.compile(f"{word}(?:{klass}{word})*")
            self._split = re.compile(f"({klass})")
            import pandas as pd

            counts = pd.Series(list(self.labels), dtype="object").str.count(klass)
            self.max_parts = int(counts.max()) + 1 if len(counts) else 1
        else:
            self._run = re.compile(word)
            self._split = None
            self.max_parts = 1

    @classmethod
    def build(cls, columns: Mapping[str, Iterable[object]]) -> "IdentifierIndex":
        """From ``{column name: identifiers}``; empty and missing values are ignored."""
        import pandas as pd

        labelled: dict[str, str] = {}
        for column, values in columns.items():
            series = pd.Series(list(values) if not hasattr(values, "__len__") else values, dtype="object")
            text = series.dropna().astype(str).str.strip().str.lower()
            text = text.str.replace(r"^[\W_]+|[\W_]+$", "", regex=True)
            keys = pd.unique(text[text != ""].to_numpy())
            if not labelled:
                labelled = dict.fromkeys(keys.tolist(), column)
                continue
            for key in set(keys.tolist()) & labelled.keys():
                if column not in labelled[key].split("/"):
                    labelled[key] = f"{labelled[key]}/{column}"
            labelled.update((key, column) for key in keys.tolist() if key not in labelled)
        return cls(labelled)

    def __len__(self) -> int:
        return len(self.labels)

    def tokens(self, text: str) -> set[str]:
        """Every candidate token of ``text`` (lower case)."""
        runs = self._run.findall(text.lower())
        if self.max_parts == 1 or self._split is None:
            return set(runs)
        candidates: set[str] = set()
        for run in set(runs):
            parts = self._split.split(run)  # word, joiner, word, joiner, word ...
            if len(parts) == 1:
                candidates.add(run)
                continue
            words = len(parts) // 2 + 1
            for first in range(words):
                for count in range(1, min(self.max_parts, words - first) + 1):
                    candidates.add("".join(parts[2 * first: 2 * (first + count) - 1]))
        return candidates

    def search(self, text: str) -> list[str]:
        """The identifiers (lower case) found in ``text`` as whole tokens, sorted."""
        if not self.labels or not text:
            return []
        return sorted(self.tokens(text) & self.labels.keys())


def _locate(text: str, lower_text: str, ident: str) -> tuple[int, str]:
    """(line, identifier as written) of the first whole-token occurrence, or (0, ident)."""
    for match in re.finditer(re.escape(ident), lower_text):
        before = lower_text[match.start() - 1] if match.start() else " "
        after = lower_text[match.end()] if match.end() < len(lower_text) else " "
        if not before.isalnum() and not after.isalnum():
            written = text[match.start():match.end()]
            return lower_text.count("\n", 0, match.start()) + 1, (
                written if len(written) == len(ident) else ident)
    return 0, ident


def load_identifiers(data_path: str | os.PathLike) -> IdentifierIndex:
    """The victim, suspect and crime identifiers of a records file (read with :func:`vawgstats.load`)."""
    from .schema import load

    frame = load(data_path)
    return IdentifierIndex.build({
        column: frame[column].dropna().astype(str).unique() for column in IDENTIFIER_COLUMNS})


def _as_index(identifiers: object) -> IdentifierIndex | None:
    if identifiers is None:
        return None
    if isinstance(identifiers, IdentifierIndex):
        return identifiers
    if isinstance(identifiers, Mapping):
        return IdentifierIndex.build(identifiers)
    if isinstance(identifiers, str):
        identifiers = [identifiers]
    return IdentifierIndex.build({"identifier": identifiers})


# --------------------------------------------------------------------------- HTML tables


@dataclass
class _Table:
    edition: str | None
    line: int
    rows: list  # list of (in_thead, [(is_th, text, colspan)])
    row: list | None = None
    cell: list | None = None  # [is_th, [text parts], colspan]
    in_thead: bool = False


class _HTMLScanner(HTMLParser):
    """Collects the document's text, its edition meta tag and every table with its edition."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.meta_edition: str | None = None
        self.stack: list[tuple[str, str | None]] = []  # (tag, data-edition)
        self.open_tables: list[_Table] = []
        self.tables: list[_Table] = []
        self._skip = 0  # inside <script>/<style>: still text for identifiers, not table cells
        self.alts: list[str] = []       # alt text of images
        self.captions: list[str] = []   # figure and table captions
        self._caption: list[str] | None = None

    # -- element stack
    def _edition(self) -> str | None:
        for _, edition in reversed(self.stack):
            if edition is not None:
                return edition
        return None

    def handle_starttag(self, tag, attrs):
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and attributes.get("name", "").lower() == "vawgstats-edition":
            self.meta_edition = attributes.get("content", "").strip().lower()
        if tag == "img" and attributes.get("alt"):
            self.alts.append(attributes["alt"])
        if tag in ("figcaption", "caption"):
            self._caption = []
        for value in attributes.values():  # attribute values are published text too
            if value and not value.startswith("data:"):
                self.text.append(" " + value + " ")
        if tag in _VOID:
            if tag == "br":
                self._data("\n")
            return
        edition = attributes.get("data-edition")
        self.stack.append((tag, edition.strip().lower() if edition is not None else None))
        if tag in ("script", "style"):
            self._skip += 1
        table = self.open_tables[-1] if self.open_tables else None
        if tag == "table":
            new = _Table(self._edition(), self.getpos()[0], [])
            self.open_tables.append(new)
            self.tables.append(new)
        elif table is not None:
            if tag == "thead":
                table.in_thead = True
            elif tag in ("tbody", "tfoot"):
                self._close_row(table)
                table.in_thead = False
            elif tag == "tr":
                self._close_row(table)
                table.row = []
            elif tag in ("td", "th"):
                self._close_cell(table)
                if table.row is None:
                    table.row = []
                try:
                    span = max(1, min(int(attributes.get("colspan", "1") or 1), 1000))
                except ValueError:
                    span = 1
                table.cell = [tag == "th", [], span, "data-count" in attributes]
        self.text.append(" ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not any(t == tag for t, _ in self.stack):
            return  # stray end tag
        while self.stack:
            popped, _ = self.stack.pop()
            self._ended(popped)
            if popped == tag:
                break
        self.text.append(" ")

    def _ended(self, tag):
        if tag in ("figcaption", "caption") and self._caption is not None:
            self.captions.append(" ".join("".join(self._caption).split()))
            self._caption = None
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if not self.open_tables:
            return
        table = self.open_tables[-1]
        if tag == "table":
            self._close_row(table)
            self.open_tables.pop()
        elif tag in ("td", "th"):
            self._close_cell(table)
        elif tag == "tr":
            self._close_row(table)
        elif tag == "thead":
            self._close_row(table)
            table.in_thead = False

    @staticmethod
    def _close_cell(table: _Table):
        if table.cell is not None and table.row is not None:
            is_th, parts, span, marked = table.cell
            table.row.append((is_th, " ".join("".join(parts).split()), span, marked))
        table.cell = None

    def _close_row(self, table: _Table):
        self._close_cell(table)
        if table.row:
            table.rows.append((table.in_thead, table.row))
        table.row = None

    def _data(self, data):
        self.text.append(data)
        if self._caption is not None:
            self._caption.append(data)
        if self.open_tables and not self._skip:
            table = self.open_tables[-1]
            if table.cell is not None:
                table.cell[1].append(data)

    def handle_data(self, data):
        self._data(data)

    def close(self):
        super().close()
        while self.open_tables:
            table = self.open_tables.pop()
            self._close_row(table)


def _expand(row: list) -> list[tuple[bool, str, bool]]:
    cells = []
    for is_th, text, span, marked in row:
        cells.extend([(is_th, text, marked)] * span)
    return cells


def _is_count_label(text: str) -> bool:
    text = text.lower()
    return any(word in text for word in COUNT_HEADER_WORDS)


def disclosive_labels() -> frozenset[str]:
    """The labels (lower case) of the delivery returns' disclosive counts, and of the sums made of
    them, as the reports show them: the disclosure class is declared once, in :mod:`vawgstats.returns`."""
    from .returns import DERIVED, MEASURES

    labels = {m.label for m in MEASURES.values() if m.disclosive and m.kind != "percent"}
    labels |= {label for label, parts, denominator in DERIVED.values()
               if not denominator and any(MEASURES[p].disclosive for p in parts)}
    return frozenset(" ".join(label.lower().split()) for label in labels)


def _is_disclosive_label(text: str) -> bool:
    return " ".join(text.lower().split()) in disclosive_labels()


def _table_findings(table: _Table, threshold: int) -> list[str]:
    rows = [(in_thead, _expand(cells)) for in_thead, cells in table.rows]
    header_rows = [cells for in_thead, cells in rows if in_thead]
    body = [cells for in_thead, cells in rows if not in_thead]
    if not header_rows:  # no <thead>: leading rows made only of <th> cells are the header
        while body and all(cell[0] for cell in body[0]):
            header_rows.append(body.pop(0))
    width = max((len(cells) for cells in header_rows), default=0)
    headers = [" ".join(cells[j][1] for cells in header_rows if j < len(cells) and cells[j][1]).strip()
               for j in range(width)]
    count_columns = {j for j, h in enumerate(headers) if _is_count_label(h) or _is_disclosive_label(h)} | {
        j for cells in header_rows for j, cell in enumerate(cells) if cell[2]}
    not_counts = {j for j, h in enumerate(headers) if any(word in h.lower() for word in NOT_COUNT_HEADER_WORDS)}
    problems = []
    for number, cells in enumerate(body, start=1):
        label = cells[0][1] if cells else ""
        count_row = _is_count_label(label)
        # a row naming a disclosive returns measure in any cell (e.g. the Measure column of the
        # delivery returns table): its later cells are counts, except changes, targets and verdicts
        named = next((j for j, cell in enumerate(cells) if _is_disclosive_label(cell[1])), None)
        if named is not None:
            label = cells[named][1]
        for j, (is_th, text, marked) in enumerate(cells):
            disclosive_cell = named is not None and j > named and j not in not_counts
            if is_th or not (marked or j in count_columns or (count_row and j > 0) or disclosive_cell):
                continue  # row labels, and cells that are neither in a count column nor a count row
            small = [m.group(0) for m in _WHOLE_NUMBER.finditer(text)
                     if 1 <= int(m.group(1).replace(",", "")) < threshold]
            if small:
                column = headers[j] if j < len(headers) else f"#{j + 1}"
                problems.append(f"table at line {table.line}, body row {number} ({label[:40]!r}), "
                                f"column {column!r}: {text[:60]!r} shows {', '.join(small)}, below "
                                f"{threshold} and not suppressed (public edition: show '<{threshold}')")
    if body:
        problems.extend(differencing_findings(headers, [[cell[1] for cell in cells] for cells in body],
                                              f"table at line {table.line}"))
    return problems


def _html_findings(text: str, threshold: int, document_public: bool | None = None) -> tuple[str, list[str]]:
    scanner = _HTMLScanner()
    scanner.feed(_DATA_URI.sub(" ", text))
    scanner.close()
    public_doc = scanner.meta_edition == "public" if document_public is None else (
        document_public or scanner.meta_edition == "public")
    problems = []
    for table in scanner.tables:
        edition = table.edition
        if edition == "public" or (edition is None and public_doc):
            problems.extend(_table_findings(table, threshold))
    if public_doc:
        problems.extend(wording_findings(scanner.alts, "alt text", threshold))
        problems.extend(wording_findings(scanner.captions, "caption", threshold))
    return "".join(scanner.text), problems


# --------------------------------------------------------------------------- file types


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _pdf_text(path: Path) -> tuple[str | None, str]:
    """(text, '') or (None, why it could not be extracted)."""
    tool = shutil.which("pdftotext")
    if tool:
        try:
            done = subprocess.run([tool, "-q", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                                  timeout=PDF_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"pdftotext failed ({exc.__class__.__name__})"
        if done.returncode == 0:
            return done.stdout.decode("utf-8", errors="replace"), ""
        return None, f"pdftotext could not read it (exit status {done.returncode}); is it a valid PDF?"
    try:
        import pypdf
    except ImportError:
        return None, ("no PDF text extractor: install poppler-utils (pdftotext) or the pypdf package, "
                      "or check this PDF by hand")
    try:
        reader = pypdf.PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages), ""
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        return None, f"pypdf could not read it ({exc.__class__.__name__})"


def _json_strings(value: object, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            out.append(str(key))
            _json_strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _json_strings(item, out)
    elif value is not None:
        out.append(str(value))


def _joined(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


def _notebook_parts(notebook: dict) -> tuple[list[str], list[str]]:
    """(plain texts, HTML fragments) of a notebook's sources, outputs and metadata."""
    texts: list[str] = []
    htmls: list[str] = []
    meta: list[str] = []
    _json_strings(notebook.get("metadata", {}), meta)
    texts.extend(meta)
    for cell in notebook.get("cells", []) or []:
        if not isinstance(cell, dict):
            continue
        texts.append(_joined(cell.get("source")))
        attachments: list[str] = []
        for output in cell.get("outputs", []) or []:
            if not isinstance(output, dict):
                continue
            texts.append(_joined(output.get("text")))
            texts.append(_joined(output.get("ename")) + " " + _joined(output.get("evalue")))
            texts.extend(_joined(line) for line in output.get("traceback", []) or [])
            for mime, data in (output.get("data") or {}).items():
                if mime.startswith(("image/", "video/", "audio/", "application/pdf")) and mime != "image/svg+xml":
                    continue  # base64 binary
                if mime == "text/html":
                    htmls.append(_joined(data))
                elif isinstance(data, (dict, list)) and mime.endswith("json"):
                    _json_strings(data, attachments)
                else:
                    texts.append(_joined(data))
        texts.extend(attachments)
    return texts, htmls


def _file_findings(path: Path, label: str, index: IdentifierIndex | None, threshold: int) -> list[Finding]:
    suffix = path.suffix.lower()
    texts: list[str] = []
    raw = ""
    problems: list[str] = []
    if suffix == ".pdf":
        text, why = _pdf_text(path)
        if text is None:
            return [Finding(label, "unscanned", f"PDF text could not be extracted: {why}")]
        texts.append(text)
    else:
        raw = _read_text(path)
        if suffix in (".html", ".htm"):
            text, problems = _html_findings(raw, threshold)
            texts.append(text)
        elif suffix == ".ipynb":
            try:
                notebook = json.loads(raw)
            except (json.JSONDecodeError, RecursionError):
                notebook = None
            if not isinstance(notebook, dict):
                texts.append(raw)  # not a notebook we can parse: scan it as text
            else:
                plain, fragments = _notebook_parts(notebook)
                texts.extend(plain)
                for fragment in fragments:
                    text, found = _html_findings(fragment, threshold)
                    texts.append(text)
                    problems.extend(f"notebook HTML output: {p}" for p in found)
        elif suffix == ".json":
            try:
                strings: list[str] = []
                _json_strings(json.loads(raw), strings)
                texts.append("\n".join(strings))
            except (json.JSONDecodeError, RecursionError):
                texts.append(raw)
        else:
            texts.append(raw)
    findings: list[Finding] = []
    if index is not None and len(index):
        text = "\n".join(_DATA_URI.sub(" ", t) for t in texts if t)
        hits = index.search(text)
        lower_raw = raw.lower() if hits else ""
        located = []
        for ident in hits:
            line, written = _locate(raw, lower_raw, ident) if raw else (0, ident)
            located.append((line or float("inf"), ident, written))
        located.sort()
        for line, ident, written in located[:MAX_FINDINGS_PER_KIND]:
            where = f" at line {line}" if line != float("inf") else ""
            findings.append(Finding(label, "identifier",
                                    f"{index.labels[ident]} value {mask(written)} appears{where}"))
        if len(hits) > MAX_FINDINGS_PER_KIND:
            findings.append(Finding(label, "identifier",
                                    f"and {len(hits) - MAX_FINDINGS_PER_KIND} more identifiers"))
    for problem in problems[:MAX_FINDINGS_PER_KIND]:
        kind = ("differencing" if "by subtraction" in problem
                else "wording" if problem.startswith(("alt text", "caption")) else "small_count")
        findings.append(Finding(label, kind, problem))
    if len(problems) > MAX_FINDINGS_PER_KIND:
        findings.append(Finding(label, "small_count",
                                f"and {len(problems) - MAX_FINDINGS_PER_KIND} more unsuppressed small counts"))
    return findings


# --------------------------------------------------------------------------- public API


def audit_directory(directory: str | os.PathLike, data_path: str | os.PathLike | None = None, *,
                    identifiers: object = None, threshold: int = SUPPRESSION_THRESHOLD) -> list[Finding]:
    """Scan rendered output under ``directory``; return the findings (empty when clean).

    ``data_path``: the records file the reports were built from (its identifiers
    are read with :func:`vawgstats.load`).  ``identifiers``: identifiers to look
    for instead of or as well as those: an iterable of strings, a mapping
    ``{column: identifiers}``, or an :class:`IdentifierIndex`.  ``threshold``:
    public-edition counts from 1 to ``threshold - 1`` must be suppressed.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ParamsError(f"{folder}: no such folder to audit.")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ParamsError(f"Bad suppression threshold {threshold!r}: expected a whole number of 1 or more.")
    index = _as_index(identifiers)
    if data_path is not None:
        from_data = load_identifiers(data_path)
        if index is not None:
            labels = dict(index.labels)
            for key, column in from_data.labels.items():
                labels[key] = column if key not in labels else labels[key]
            index = IdentifierIndex(labels)
        else:
            index = from_data
    findings: list[Finding] = []
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SCANNED_SUFFIXES and p.is_file())
    for path in files:
        label = str(path)
        try:
            findings.extend(_file_findings(path, label, index, threshold))
        except OSError as exc:
            findings.append(Finding(label, "unscanned", f"could not be read ({exc.strerror or exc})"))
    findings.extend(_edition_findings(files))
    return findings


_META_EDITION = re.compile(r'<meta\s+name="vawgstats-edition"\s+content="([^"]*)"', re.I)


def _edition_findings(files: list[Path]) -> list[Finding]:
    """A restricted page in a folder holding the public edition (by its state file or its pages)."""
    from .render.jobs import STATE_FILE

    by_folder: dict[Path, dict[str, str | None]] = {}
    for path in files:
        if path.suffix.lower() in (".html", ".htm"):
            try:
                found = _META_EDITION.search(_read_text(path)[:20000])
            except OSError:
                continue
            by_folder.setdefault(path.parent, {})[path.name] = found.group(1).lower() if found else None
    findings = []
    for folder, pages in sorted(by_folder.items()):
        try:
            recorded = json.loads((folder / STATE_FILE).read_text(encoding="utf-8")).get("edition")
        except (OSError, ValueError, AttributeError):
            recorded = None
        for problem in edition_findings(pages, recorded, str(folder)):
            findings.append(Finding(str(folder), "edition", problem))
    return findings

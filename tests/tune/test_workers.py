"""Studies that outlive their workers: Ctrl-C stops after the current trial and the same
command resumes; on a real PostgreSQL server two workers share one study, one is killed
mid-trial, and the study still ends with exactly its trials (none lost, none twice)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _load(url: str):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from tinyflash.tune.study import open_storage

    return optuna.load_study(study_name="tinyflash-tune", storage=open_storage(url))


def _wait_for(what, predicate, proc: subprocess.Popen, log: Path, timeout: float = 120):
    """Poll predicate() until true; fail with the worker's log if it exits or time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        if proc.poll() is not None:
            pytest.fail(f"worker exited ({proc.returncode}) before {what}:\n{log.read_text()}")
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()}")


def _training(url: str, under: Path):
    """A RUNNING trial of the worker writing under `under`, past pruning (training started)."""
    from optuna.trial import TrialState

    try:
        study = _load(url)
    except KeyError:  # the worker has opened the database, not yet created the study
        return None
    for t in study.get_trials(states=(TrialState.RUNNING,)):
        if t.user_attrs.get("run_dir", "").startswith(str(under.resolve())):
            return t
    return None


def _states(study) -> dict[str, int]:
    names = [t.state.name for t in study.get_trials()]
    return {n: names.count(n) for n in sorted(set(names))}


def test_ctrl_c_stops_after_the_current_trial_and_resumes(tune_args, start_tune, tmp_path):
    from tinyflash.tune.study import counted

    out = tmp_path / "out"
    url = f"sqlite:///{out / 'study.db'}"
    args = tune_args(out, "--trials", "2", "--seed", "11")
    log = tmp_path / "first.log"
    proc = start_tune(args, log)
    running = _wait_for("a trial to train", lambda: out.joinpath("study.db").is_file()
                        and _training(url, out), proc, log)  # fmt: skip
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 0, log.read_text()
    assert "stopping after the current trial" in log.read_text()
    study = _load(url)
    numbers = [t.number for t in counted(study)]
    assert numbers == [running.number]  # it finished; no new one began
    assert set(_states(study)) <= {"COMPLETE", "PRUNED"}  # nothing left RUNNING or FAIL
    # the same command resumes and completes the study
    log2 = tmp_path / "second.log"
    assert start_tune(args, log2).wait(timeout=300) == 0, log2.read_text()
    study = _load(url)
    assert len(counted(study)) == 2 and set(_states(study)) <= {"COMPLETE", "PRUNED"}
    assert (out / "report.html").is_file()


# --- PostgreSQL ----------------------------------------------------------------------------


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        from tests_support import require_path

        require_path("/usr/lib/postgresql/15/bin/initdb", "PostgreSQL (Debian package postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def postgres():
    """A PostgreSQL server on 127.0.0.1 in a temporary folder; yields its URL. As root, the
    server runs as the 'postgres' (else 'nobody') user: postgres refuses to run as root."""
    bin_dir = _postgres_bin()
    # directly under /tmp: pytest's own folders are private to this user (mode 700)
    folder = Path(tempfile.mkdtemp(prefix="tinyflash-tune-pg-"))
    prefix: list[str] = []
    if os.getuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
        if user is None or not shutil.which("runuser"):
            pytest.skip("running as root without a 'postgres' user and runuser")
        shutil.chown(folder, user)
        prefix = ["runuser", "-u", user, "--"]
    data, port = folder / "data", _free_port()

    def pg(*cmd: str) -> None:
        proc = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{' '.join(cmd)}: {proc.stdout}{proc.stderr}"

    pg(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "tune", "--no-sync")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options,
       "-w", "start")  # fmt: skip
    try:
        yield f"postgresql://tune@127.0.0.1:{port}/postgres"
    finally:
        pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def test_two_workers_share_a_postgres_study_one_killed(postgres, tune_args, start_tune, tmp_path):
    """Worker B is killed (SIGKILL) while training; A marks B's trial FAIL once its heartbeat
    is 3 s stale, re-runs its parameters, and ends the study with exactly 2 counted trials."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback as Retry

    from tinyflash.tune.study import counted

    common = ("--trials", "2", "--storage", postgres, "--heartbeat", "1")
    a_out, b_out = tmp_path / "a", tmp_path / "b"
    b_log, a_log = tmp_path / "b.log", tmp_path / "a.log"
    b = start_tune(tune_args(b_out, *common, "--seed", "1"), b_log)
    a = start_tune(tune_args(a_out, *common, "--seed", "2"), a_log)
    killed = _wait_for("worker B to train", lambda: _training(postgres, b_out), b, b_log)
    b.send_signal(signal.SIGKILL)
    b.wait(timeout=30)
    assert a.wait(timeout=300) == 0, a_log.read_text()

    study = _load(postgres)
    states = _states(study)
    trials = study.get_trials()
    good = counted(study)
    assert len(good) == 2, states  # the study completed, with exactly its trials
    assert len({t.number for t in good}) == 2
    assert "RUNNING" not in states and "WAITING" not in states
    failed = [t for t in trials if t.state.name == "FAIL"]
    assert [t.number for t in failed] == [killed.number]  # only the killed worker's trial
    retries = [t for t in trials if Retry.retried_trial_number(t) == killed.number]
    assert len(retries) == 1 and retries[0].params == killed.params  # re-run, same point
    assert retries[0].number in {t.number for t in good} or retries[0].user_attrs.get("surplus")
    surplus = [t for t in trials if t.user_attrs.get("surplus")]
    assert len(trials) == 2 + len(failed) + len(surplus)  # nothing else was created
    # A's report holds every worker's trained trials
    import json

    measured = [t.number for t in good if "measured" in t.user_attrs]
    doc = json.loads((a_out / "tune.json").read_text())
    assert sorted(r["number"] for r in doc["trials"]) == sorted(measured)


# One worker opening a new study database once the go file appears (all released together).
_OPEN = """
import os, sys, time
from tinyflash.errors import UserError
from tinyflash.tune.study import open_storage
url, go = sys.argv[1], sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.001)
try:
    open_storage(url)
except UserError as exc:
    print(exc)
else:
    print("ok")
"""


def test_workers_opening_a_new_database_at_once_all_open_it(tmp_path):
    """Four processes released together on each of 5 new SQLite files: each opens it (the one
    that loses the race to create the tables tries again) instead of "UNIQUE constraint
    failed: alembic_version" or "table studies already exists"."""
    for k in range(5):
        url, go = f"sqlite:///{tmp_path / f'new{k}.db'}", tmp_path / f"go{k}"
        procs = [subprocess.Popen([sys.executable, "-P", "-c", _OPEN, url, str(go)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(4)]  # fmt: skip
        time.sleep(3)  # every process imported and waiting
        go.touch()
        results = [p.communicate(timeout=120)[0].strip().splitlines()[-1:] for p in procs]
        assert results == [["ok"]] * 4, results

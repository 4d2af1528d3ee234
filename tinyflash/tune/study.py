"""The Optuna study behind `tinyflash tune`: storage, the trial loop, several workers, Ctrl-C.

    storage = open_storage("sqlite:///out/study.db")        # or postgresql://host/db
    study = open_study(storage, "tinyflash-tune", settings, seed=None)
    run_worker(study, objective, target=30, deadline=None, stop=StopFlag())

Objectives, in this order: int8 accuracy (maximize), flash, RAM, instructions per inference
(minimize). The constraints (amount over each limit, feasible when <= 0) are stored on every
trial and given to the sampler (Trial.set_constraint), so it learns where the budget is.

Several workers share one study through its storage, as Optuna's distributed mode does: each
runs `tinyflash tune --storage URL` with the same arguments (on any machine). A trial counts
when it is COMPLETE or PRUNED (pruned: it cannot fit, decided before training); the study is
done when `target` trials count. Each worker keeps a heartbeat on its running trial; a worker
that dies mid-trial (killed, machine lost) leaves a RUNNING trial whose heartbeat stops: after
the grace period the next worker to ask marks it FAIL and re-queues its parameters as a
WAITING trial (RetryHeartbeatStaleTrialCallback), which a worker then runs. A FAIL never
counts, so no trial is lost and none counted twice. Two workers that ask for the last trial at
the same moment: the later-numbered one sees the earlier one running, is marked PRUNED with the
user attribute surplus (not counted) and ends without training.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tinyflash.errors import UserError

__all__ = ["DIRECTIONS", "OBJECTIVES", "StopFlag", "counted", "open_storage", "open_study",
           "run_worker"]  # fmt: skip

OBJECTIVES = ("accuracy", "flash", "ram", "instructions")
DIRECTIONS: tuple[Literal["maximize", "minimize"], ...] = ("maximize", "minimize", "minimize",
                                                          "minimize")  # fmt: skip
HEARTBEAT = 10  # seconds between a running trial's heartbeats
SETTINGS = "tinyflash_settings"  # study user attribute: budget, space, data (checked on resume)


def safe_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is reported as given
        return url


def open_storage(url: str, heartbeat: int = HEARTBEAT) -> Any:
    """An Optuna RDBStorage on url with heartbeats; UserError (one line) if it cannot open.
    url: sqlite:///PATH, postgresql://user[:password]@host[:port]/database (psycopg2), or
    any SQLAlchemy URL whose driver is installed."""
    try:
        import optuna
        import sqlalchemy.exc
    except ImportError:
        raise UserError(
            "tinyflash tune needs Optuna: pip install 'tinyflash[tune]' (optuna, psycopg2-binary)"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the tune extra installs psycopg2
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            url = "postgresql+psycopg2://" + url[len(bare) :]
    # a server that does not answer fails in 10 s; SQLite waits up to 60 s for another writer
    timeout = {"postgres": {"connect_args": {"connect_timeout": 10}},
               "sqlite": {"connect_args": {"timeout": 60}}}  # fmt: skip
    engine = next((v for k, v in timeout.items() if url.startswith(k)), {})
    for attempt in range(3):
        try:
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine,
                heartbeat_interval=heartbeat,
                grace_period=3 * heartbeat,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=3
                ),
            )
        except (ImportError, ValueError, sqlalchemy.exc.SQLAlchemyError) as exc:
            # Workers that open a new database at once all create its tables; the losers fail
            # ("table studies already exists", "UNIQUE constraint failed: alembic_version")
            # and find the tables made when they try again.
            lost = isinstance(exc, sqlalchemy.exc.IntegrityError) or "already exists" in str(exc)
            if not lost or attempt == 2:
                raise _unopenable(url, exc) from None
            time.sleep(0.5)
    raise AssertionError("unreachable")


def _unopenable(url: str, exc: Exception) -> UserError:
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return UserError(
        f"--storage {safe_url(url)}: cannot open the study database: "
        f"{first[0] if first else type(exc).__name__}"
    )


def open_study(
    storage: Any,
    name: str,
    settings: dict[str, Any],
    seed: int | None,
    first_trials: Callable[[], list[dict[str, Any]]] = list,
) -> Any:
    """Create the study, or load it (resume, another worker); its stored settings must match.
    The process that creates it (the storage's unique study name decides, so one of several
    workers started at once) enqueues first_trials() as its first trials (tune/seeds.py)."""
    import optuna

    sampler = optuna.samplers.TPESampler(seed=seed)  # constraints: Trial.set_constraint
    common = {"study_name": name, "storage": storage, "sampler": sampler}
    try:
        study = optuna.create_study(directions=list(DIRECTIONS), **common)
        for params in first_trials():
            study.enqueue_trial(params)
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(**common)
    if tuple(d.name.lower() for d in study.directions) != DIRECTIONS:
        raise UserError(f"study {name!r} exists with other objectives; pick another --study")
    stored = study.user_attrs.get(SETTINGS)
    if stored is None:
        study.set_user_attr(SETTINGS, settings)
    elif stored != settings:
        diff = [k for k in settings if stored.get(k) != settings[k]]
        raise UserError(
            f"study {name!r} was started with other {', '.join(diff)}: expected "
            f"{ {k: stored.get(k) for k in diff} }, found { {k: settings[k] for k in diff} } "
            "(resume with the same arguments, or pick another --study / --out)"
        )
    return study


def _is_counted(t: Any) -> bool:
    from optuna.trial import TrialState

    ok = (TrialState.COMPLETE, TrialState.PRUNED)
    return t.state in ok and not t.user_attrs.get("surplus")


def counted(study: Any) -> list[Any]:
    """The trials that count towards the target: COMPLETE or PRUNED, not surplus."""
    return [t for t in study.get_trials(deepcopy=False) if _is_counted(t)]


def _running(study: Any) -> list[Any]:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))


@dataclass
class StopFlag:
    """Set by the first Ctrl-C (SIGINT): the current trial finishes, then the worker stops."""

    requested: bool = False
    say: Callable[[str], None] = print

    def install(self) -> None:
        def handler(signum: int, frame: Any) -> None:
            self.requested = True
            self.say("stopping after the current trial (Ctrl-C again to abort it); the study "
                     "resumes with the same command")  # fmt: skip
            signal.signal(signal.SIGINT, signal.default_int_handler)

        signal.signal(signal.SIGINT, handler)


def surplus(study: Any, trial: Any, target: int | None) -> bool:
    """True if the study has `target` trials without this one (counted or running before it)."""
    if target is None:
        return False
    before = [t for t in _running(study) if t.number < trial.number]
    return len(counted(study)) + len(before) >= target


def run_worker(
    study: Any,
    objective: Callable[[Any], Any],
    target: int | None,
    deadline: float | None,
    stop: StopFlag,
    poll: float = 2.0,
    after: Callable[[], None] = lambda: None,
) -> str:
    """Run trials one at a time until the study has target trials, the deadline (a
    time.monotonic() value) passes or stop is requested; after() runs after each trial.
    Returns why it stopped."""
    import optuna

    while True:
        if stop.requested:
            return "stopped by Ctrl-C"
        if deadline is not None and time.monotonic() >= deadline:
            return "time limit reached"
        optuna.storages.fail_stale_trials(study)  # a dead worker's trial: FAIL, re-queued
        if target is not None:
            done, running = len(counted(study)), len(_running(study))
            if done >= target:
                return f"{done} trials done"
            if done + running >= target:  # the others are running the last trials
                time.sleep(poll)
                continue
        study.optimize(objective, n_trials=1, gc_after_trial=True)
        after()  # e.g. the progress bar's best-so-far

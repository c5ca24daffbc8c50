"""Two sweeps on one store split the work (each run trained once), a killed sweep's claims
are taken over, and a claim from another host lasts until it expires."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sweep_fakes import calls

from depthscope.store import Store
from depthscope.sweep import parse_spec
from depthscope.sweep.executors import batch_cost
from depthscope.sweep.run import _claimed_batches

TESTS = str(Path(__file__).parent)
SPEC = {"name": "shared", "steps": 4, "record_every": 2,
        "grid": {"activations": ["tanh", "relu"], "depths": [2, 6], "seeds": [0, 1, 2, 3]}}
CHILD = """
import functools, sys
sys.path.insert(0, {tests!r})
from sweep_fakes import fake_load, fake_train
from depthscope.sweep import run_sweep
run_sweep({spec!r}, store={store!r}, progress=False, max_batch=2, load_fn=fake_load,
          train_fn=functools.partial(fake_train, sleep={sleep}, log={log!r}))
"""


def _child(store: Path, log: Path, sleep: float = 0.3) -> subprocess.Popen:
    code = CHILD.format(tests=TESTS, spec=SPEC, store=str(store), log=str(log), sleep=sleep)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)])


def test_two_sweeps_on_one_store_train_each_run_once(tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite"
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    children = [_child(store, log) for log in logs]
    assert [c.wait(timeout=120) for c in children] == [0, 0]
    trained = [[r for call in calls(str(log)) for r in call] for log in logs]
    everything = trained[0] + trained[1]
    assert len(everything) == len(set(everything)) == 16  # each of the 16 runs once
    assert min(map(len, trained)) > 0  # and the work was split
    with Store(store) as db:
        assert len(db.done()) == 16
        assert db.connection.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_a_killed_sweeps_claims_are_taken_over(tmp_path: Path) -> None:
    store, first, second = tmp_path / "r.sqlite", tmp_path / "a.log", tmp_path / "b.log"
    victim = _child(store, first, sleep=0.5)
    deadline = time.monotonic() + 60
    while not calls(str(first)) and time.monotonic() < deadline:  # it holds claims now
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    survivor = _child(store, second, sleep=0.0)
    assert survivor.wait(timeout=120) == 0  # did not wait for the dead one's leases
    with Store(store) as db:
        assert len(db.done()) == 16
    redone = {r for call in calls(str(second)) for r in call}
    assert redone  # it trained what the killed sweep had claimed or left


def test_another_hosts_claim_holds_until_it_expires(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as db:
        assert db.claim(["a", "b"], "otherhost:1:x", lease=0.5) == ["a", "b"]
        assert db.held_by_others(["a", "b", "c"], "here:2:y") == {"a", "b"}
        assert db.claim(["a", "b", "c"], "here:2:y", lease=60) == ["c"]
        time.sleep(0.6)
        assert db.held_by_others(["a", "b"], "here:2:y") == set()
        assert db.claim(["a", "b"], "here:2:y", lease=60) == ["a", "b"]  # taken over
        db.release("here:2:y")
        assert db.connection.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_batches_are_claimed_as_handed_out_the_costliest_first(tmp_path: Path) -> None:
    configs = parse_spec(SPEC).configs()
    with Store(tmp_path / "r.sqlite") as db:
        assert db.claim([configs[0].run_id], "otherhost:1:x", lease=60) == [configs[0].run_id]
        feed = _claimed_batches(db, configs, "here:2:y", max_batch=2, lease=60)
        first = next(feed)
        held = {r for (r,) in db.connection.execute(
            "SELECT run_id FROM claims WHERE owner = 'here:2:y'")}
        assert held == set(first.run_ids)  # claimed when handed out, not before
        rest = list(feed)
    costs = [batch_cost(b) for b in [first, *rest]]
    assert costs == sorted(costs, reverse=True)
    assert costs[0] == 2 * 7 * 4  # two depth-6 runs, 4 steps
    handed = [r for b in [first, *rest] for r in b.run_ids]
    assert sorted(handed) == sorted(c.run_id for c in configs[1:])  # not the other's run

"""Searches with real Optuna and real training children: the mlp template on a few hundred
digits for one or two epochs, so each trial costs about a child's start-up."""
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import torch

from studio.core.ops_search import SetSearch
from studio.core.serialize import atomic_write, document_from_json, dumps
from studio.core.templates import open_document
from studio.core.validate import validate_document
from studio.search import report
from studio.search import study as S
from studio.search.runner import Search, SearchOptions
from studio.search.space import SearchError, section_of
from studio.train.engine import Trainer

ROOT = Path(__file__).resolve().parents[2]


def mlp(epochs=1, **search):
    doc, _, _ = open_document("mlp")
    doc.training.update(epochs=epochs, limit=150)
    doc.search = {"sampler": "grid", "seed": 0, **search}
    return doc


def states(study):
    return [(t.number, t.state.name) for t in study.get_trials()]


def test_section_round_trips_validates_and_undoes():
    doc = mlp(dimensions=[{"name": "$hidden1", "type": "int", "low": 16, "high": 64}])
    again, _ = document_from_json(json.loads(dumps(doc)))
    assert again.search == doc.search
    op = SetSearch("model", {"dimensions": [{"name": "$width", "type": "int", "low": 1,
                                             "high": 4}]})
    undo = op.apply(doc)
    found = [d for d in validate_document(doc) if d.path and d.path.startswith("search")]
    assert found and "$width names no variable" in found[0].message
    assert found[0].path == "search.dimensions[0]"
    undo.apply(doc)
    assert doc.search == again.search and not [
        d for d in validate_document(doc) if d.path and d.path.startswith("search")]
    doc.search = {"dimensions": [{"name": "learning_rate", "type": "float", "low": 0.1,
                                  "high": 1}]}
    with pytest.raises(SearchError, match="learning_rate is no training setting"):
        Search(doc, "unused-folder")
    # a recipe's own setting is one (the SOM's neighbourhood, read by the som recipe)
    doc.search = {"dimensions": [{"name": "som.sigma", "type": "float", "low": 1, "high": 4}]}
    assert section_of(doc)["dimensions"][0]["name"] == "som.sigma"


def test_six_trials_two_jobs_beat_the_template_and_a_broken_width_fails(tmp_path):
    doc = mlp(dimensions=[
        {"name": "$hidden1", "type": "choice", "choices": [128, 0]},
        {"name": "optimizer.lr", "type": "choice", "choices": [0.002, 0.01, 0.03]}])
    search = Search(doc, tmp_path / "study", options=SearchOptions(trials=6, jobs=2))
    seen = []
    search.progress = seen.append
    counts = search.run()
    study = search.study
    assert counts["counted"] == 6 and counts["running"] == 0, states(study)
    trials = study.get_trials()
    broken = [t for t in trials if t.params["$hidden1"] == 0]
    assert len(broken) == 3 and all(t.state == S.State.FAIL for t in broken)
    assert all("does not build" in t.user_attrs["message"] and "out_features" in
               t.user_attrs["message"] for t in broken)
    done = [t for t in trials if t.state == S.State.COMPLETE]
    assert len(done) == 3 and max(seen, key=lambda c: c["running"])["running"] == 2
    for t in done:  # each a normal run folder the dashboard can open
        run = Path(t.user_attrs["run_dir"])
        assert (run / "metrics.jsonl").is_file() and (run / "checkpoints").is_dir()
    # the template's own settings, trained here: the search does at least as well
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each of the two jobs' children
    try:
        own = Trainer(open_document("mlp")[0], {"epochs": 1, "limit": 150},
                      out=str(tmp_path / "own")).run().metrics["val"]["accuracy"]
    finally:
        torch.set_num_threads(threads)
    baseline = next(t for t in done if t.user_attrs.get("baseline"))
    assert baseline.value == pytest.approx(own, abs=1e-9)
    assert study.best_value >= own
    best = report.best_document(study, doc)
    assert best.training["optimizer"]["lr"] == study.best_params["optimizer.lr"]
    assert best.search == {} and "out_features" in report.table(study)


def test_median_pruner_stops_a_learning_rate_of_ten_early(tmp_path):
    doc = mlp(epochs=2, dimensions=[
        {"name": "optimizer.lr", "type": "choice", "choices": [0.002, 10.0]}],
        pruner="median", pruner_startup_trials=1, sampler="random")
    search = Search(doc, tmp_path / "study", options=SearchOptions(trials=2, jobs=1))
    search.study.enqueue_trial({"optimizer.lr": 10.0})  # after the baseline (lr 0.002)
    search.run()
    trials = {t.params["optimizer.lr"]: t for t in search.study.get_trials()}
    assert trials[0.002].state == S.State.COMPLETE
    assert len(trials[0.002].intermediate_values) == 2
    wild = trials[10.0]
    assert wild.state == S.State.PRUNED, wild.user_attrs
    assert list(wild.intermediate_values) == [1]  # stopped after its first of two epochs
    assert wild.user_attrs["epochs"] == 1 and "epoch 1" in wild.user_attrs["message"]


def test_hyperband_knows_the_epochs_so_the_second_trial_already_competes():
    """The runner is the same for every pruner (the median test above drives it); what is ours
    in Hyperband is its budget: with Optuna's "auto" the brackets form only after a trial has
    finished, so the first trial's epochs would enter no rung and a bad second trial would
    compete against nobody. Given the epochs (2: one successive-halving bracket, where after
    epoch 1 only the best of fewer than three trials goes on), it is stopped."""
    section = {"pruner": "hyperband", "dimensions": [
        {"name": "optimizer.lr", "type": "float", "low": 1e-3, "high": 10.0, "log": True}]}

    def second_trial_pruned(epochs, section=section):
        study = optuna.create_study(direction="maximize", pruner=S.pruner_for(section, epochs))
        good = study.ask()
        for epoch, accuracy in ((1, 0.8), (2, 0.9)):
            good.report(accuracy, epoch)
            assert not good.should_prune()
        study.tell(good, 0.9)
        bad = study.ask()
        bad.report(0.1, 1)
        return bad.should_prune()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert second_trial_pruned(2)
    assert not second_trial_pruned(None)  # "auto": what the runner passed before
    searched = {**section, "dimensions": [{"name": "epochs", "type": "int", "low": 1,
                                           "high": 4}]}
    assert not second_trial_pruned(2, searched)  # the epochs vary, so they are not the budget


def _cli(folder, *extra):
    return [sys.executable, "-m", "studio", "search", "doc.nnet.json", "--out", str(folder),
            "--heartbeat", "2", *extra]


def _load(folder):
    name, url, _ = S.read_folder(str(folder), None)
    return optuna.load_study(study_name=name, storage=url)


def test_killed_search_resumes_and_two_processes_share_the_study(tmp_path):
    doc = mlp(dimensions=[{"name": "optimizer.lr", "type": "choice",
                           "choices": [0.002, 0.004, 0.008, 0.016]}])
    atomic_write(tmp_path / "doc.nnet.json", dumps(doc))
    folder = tmp_path / "study"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(_cli(folder, "--trials", "4"), cwd=tmp_path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # kill it while its first trial trains
        deadline = time.monotonic() + 900  # generous: a loaded shared machine
        while time.monotonic() < deadline:
            if (folder / "study.json").exists():
                trials = _load(folder).get_trials()
                if trials and trials[0].state == S.State.RUNNING and \
                        Path(folder, "trials", "trial-0000", "metrics.jsonl").is_file():
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the first search never started training its first trial")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    both = [subprocess.Popen(_cli(folder), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        outs = [p.communicate(timeout=900) for p in both]
    finally:
        for p in both:
            p.kill()
    assert [p.returncode for p in both] == [0, 0], outs
    study = _load(folder)
    trials = study.get_trials()
    killed = trials[0]
    assert killed.state == S.State.FAIL and not S.counted(killed)
    done = [t for t in trials if t.state == S.State.COMPLETE]
    assert len(done) == 4 and sum(S.counted(t) for t in trials) == 4, states(study)
    assert sorted(t.params["optimizer.lr"] for t in done) == [0.002, 0.004, 0.008, 0.016]
    runs = [t.user_attrs["run_dir"] for t in done]
    assert len(set(runs)) == 4 and all(Path(r, "metrics.jsonl").is_file() for r in runs)
    assert len({t.user_attrs["worker"] for t in done}) == 2, \
        "the two processes did not split the trials"
    assert killed.params in [t.params for t in done]  # queued again and finished
    assert not math.isnan(study.best_value)
    from studio.cli import main  # the report and the best trial as a document
    assert main(["search", "--report", str(folder), "--best-out",
                 str(tmp_path / "best.nnet.json")]) == 0
    best, _ = document_from_json(json.loads((tmp_path / "best.nnet.json").read_text()))
    assert best.training["optimizer"]["lr"] == study.best_params["optimizer.lr"]


def _wait_for_training(folder, deadline_s=900):
    """Wait until the study's first trial runs and its child writes metrics."""
    deadline = time.monotonic() + deadline_s  # generous: a loaded shared machine
    while time.monotonic() < deadline:
        if (folder / "study.json").exists():
            trials = _load(folder).get_trials()
            if trials and trials[0].state == S.State.RUNNING and \
                    Path(trials[0].user_attrs.get("run_dir", folder / "none"),
                         "metrics.jsonl").is_file():
                return
        time.sleep(0.2)
    pytest.fail("the search never started training its first trial")


def test_ctrl_c_requeues_and_a_timed_rerun_resumes_on_a_named_storage(tmp_path):
    """Ctrl+C in a terminal (SIGINT to the whole process group, children included) ends the
    search with 130 and queues the running trial again; a re-run on the same --storage and
    --study picks it up first, and --timeout stops starting trials once it has passed."""
    doc = mlp(dimensions=[{"name": "optimizer.lr", "type": "choice",
                           "choices": [0.002, 0.004, 0.008]}])
    atomic_write(tmp_path / "doc.nnet.json", dumps(doc))
    folder, url = tmp_path / "study", f"sqlite:///{tmp_path / 'elsewhere' / 'shared.db'}"
    (tmp_path / "elsewhere").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    named = ["--study", "lrs", "--storage", url]
    # A terminal's Ctrl+C reaches a foreground process whose SIGINT has Python's default
    # handler; a shell without job control (CI scripts, `cmd &`) starts commands with SIGINT
    # ignored (POSIX) and Python keeps that, so the search is given the terminal's handler.
    foreground = [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT, "
                  "signal.default_int_handler); from studio.cli import main; "
                  "sys.exit(main(sys.argv[1:]))", *_cli(folder, "--trials", "3", *named)[3:]]
    first = subprocess.Popen(foreground, cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        _wait_for_training(folder)
        os.killpg(first.pid, signal.SIGINT)
        out, err = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 130, err
    assert "interrupted: run the same command again to resume" in out
    assert not (folder / "study.db").exists()  # the study lives where --storage says
    study = optuna.load_study(study_name="lrs", storage=url)
    interrupted = study.get_trials()[0]
    assert interrupted.state == S.State.FAIL and not S.counted(interrupted)
    assert interrupted.user_attrs["message"] == "interrupted; queued again"
    waiting = [t for t in study.get_trials() if t.state == S.State.WAITING]
    # (a queued trial holds its values as Optuna's fixed_params until it is asked for)
    assert [t.system_attrs["fixed_params"] for t in waiting] == [interrupted.params]
    # a timeout shorter than one trial: the queued trial starts, nothing after it
    again = subprocess.run(_cli(folder, "--trials", "3", "--timeout", "1s", *named),
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr
    study = optuna.load_study(study_name="lrs", storage=url)
    done = [t for t in study.get_trials() if t.state == S.State.COMPLETE]
    assert [t.params for t in done] == [interrupted.params]
    assert S.tally(study)["counted"] == 1 < 3  # stopped by the clock, not the budget
    from studio.cli import main  # the report by study name on the storage, no folder
    assert main(["search", "--report", "lrs", "--storage", url]) == 0


def test_cli_errors_are_one_line(tmp_path, capsys):
    from studio.cli import main
    assert main(["search", "mlp"]) == 2
    assert "has no search section" in capsys.readouterr().err
    assert main(["search", "--report", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "not a study folder" in err and len(err.strip().splitlines()) == 1
    doc = mlp(dimensions=[{"name": "$depth", "type": "int", "low": 1, "high": 3}])
    atomic_write(tmp_path / "d.nnet.json", dumps(doc))
    assert main(["search", str(tmp_path / "d.nnet.json"), "--out", str(tmp_path / "s")]) == 2
    assert "$depth names no variable" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:  # argparse's own exit, one line too
        main(["search", "--timeout", "soon"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().endswith("got 'soon'")

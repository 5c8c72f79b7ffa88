"""Autosave and crash recovery with real windows, real files and a real killed studio process:
edits are written a second after they stop (and every few seconds while they go on), each window
keeps its own recovery file, a clean close removes only its own, and the next start offers
every file whose studio is gone — never a live one's."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.gui_helpers import state

from studio.core.ops import SetParams
from studio.core.serialize import save
from studio.core.templates import open_document
from studio.gui import files, recovery

CHILD = Path(__file__).with_name("recovery_child.py")


@pytest.fixture
def folder(monkeypatch, tmp_path) -> Path:
    """A state folder of this test's own (the children inherit it through the environment)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return files.recovery_dir()


@pytest.fixture
def shared_doc(tmp_path) -> str:
    doc, _, _ = open_document("lenet5")
    path = tmp_path / "shared.nnet.json"
    save(doc, path)
    return str(path)


def written(folder: Path) -> dict[Path, dict]:
    found = {}
    for p in folder.glob("*.nnet.json"):
        try:
            found[p] = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:  # a write replaced it under a new name since the listing
            continue
    return found


def document_of(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if k != "recovery"}


def test_edits_are_written_a_moment_after_they_stop(folder, make_window, qtbot):
    window = make_window()
    assert not window.autosave.save_now()  # nothing unsaved: nothing written
    window.add_node("activation.ReLU")
    assert written(folder) == {}  # debounced: not on every edit
    qtbot.waitUntil(lambda: len(written(folder)) == 1, timeout=3000)
    (file, raw), = written(folder).items()
    assert document_of(raw) == state(window)
    assert raw["recovery"]["pid"] == os.getpid() and raw["recovery"]["path"] is None
    assert file.name.startswith(window.autosave.owner.id)
    # an edit merged into the previous undo step (inspector typing) is written too
    node = next(n for n in window.session.graph.nodes.values() if n.type == "conv.Conv2d")
    for channels in (7, 8):
        window.session.apply(SetParams("model", node.id, {"out_channels": channels}), "typing",
                             merge_key=("model", node.id, "out_channels"))
    qtbot.waitUntil(lambda: document_of(written(folder).get(file, {})) == state(window),
                    timeout=3000)
    window.session.undo.setIndex(0)  # back at the saved state: nothing to recover
    qtbot.waitUntil(lambda: written(folder) == {}, timeout=2000)


def test_continuous_editing_is_written_within_the_maximum_delay(folder, make_window, qtbot):
    window = make_window()
    window.autosave.quiet.setInterval(400)
    window.autosave.deadline.setInterval(900)
    start, stamps = time.monotonic(), set()
    while time.monotonic() - start < 2.0:  # an edit every 100 ms: the quiet timer never fires
        window.add_node("activation.ReLU")
        qtbot.wait(100)
        stamps |= {raw["recovery"]["saved"] for raw in written(folder).values()}
    assert stamps, "nothing was written during 2 s of continuous editing"
    window.autosave.wait()
    (raw,) = written(folder).values()
    assert len(document_of(raw)["networks"]["model"]["nodes"]) > len(
        open_document("lenet5")[0].networks["model"].nodes)


def test_two_windows_on_one_document_keep_their_own_files(folder, make_window, shared_doc,
                                                           qtbot):
    first, second = make_window(shared_doc), make_window(shared_doc)
    assert first.autosave.owner.id != second.autosave.owner.id
    first.add_node("activation.ReLU")
    second.add_node("activation.Tanh")
    second.add_node("activation.Sigmoid")
    for window in (first, second):
        assert window.autosave.save_now()
        window.autosave.wait()
    files_now = written(folder)
    assert sorted(document_of(r) == state(first) for r in files_now.values()) == [False, True]
    assert {r["recovery"]["path"] for r in files_now.values()} == {shared_doc}
    assert recovery.claim_orphans(folder) == []  # both instances live: nothing to offer
    assert first.close()  # discards its changes: its file goes, the other window's stays
    (raw,) = written(folder).values()
    assert document_of(raw) == state(second)
    assert second.save_to(shared_doc)  # saved: nothing left to recover
    second.autosave.wait()
    assert written(folder) == {}


def test_a_killed_studio_is_offered_on_restart_with_its_last_edits(folder, make_window,
                                                                     shared_doc, qtbot):
    """Two studios on one document: the one in this process closes cleanly, the child is
    SIGKILLed 3 s after its last edit; the restart offers the child's work, complete."""
    child = subprocess.Popen([sys.executable, str(CHILD), shared_doc, "12", "150"],
                             stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        live = make_window(shared_doc)
        line = child.stdout.readline()  # its last edit is done
        last_edit = time.time()
        assert line, f"the child studio ended early (exit status {child.poll()})"
        edited = json.loads(line)
        live.add_node("activation.Tanh")
        assert live.autosave.save_now()
        live.autosave.wait()
        assert live.close()  # a clean close of this instance: only its own file goes
        qtbot.wait(int(max(0.0, last_edit + 3.0 - time.time()) * 1000))
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    restarted = make_window("mlp")
    offered = []
    assert restarted.offer_recovery(ask=lambda o: offered.extend(o) or ["restore"] * len(o)) == 1
    (orphan,) = offered
    assert (orphan.path, orphan.pid) == (shared_doc, edited["pid"])
    assert orphan.saved < killed_at
    assert state(restarted) == edited["doc"]  # all 12 edits, the last 3 s before the kill
    assert restarted.session.path == shared_doc and restarted.isWindowModified()
    restarted.autosave.wait()  # its own copy written, then the orphan's file removed
    (file, raw), = written(folder).items()
    assert file.name.startswith(restarted.autosave.owner.id)
    assert document_of(raw) == edited["doc"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [file.name, f"{restarted.autosave.owner.id}.lock"])  # the dead instance's lock swept


def dead_instance(folder: Path, doc, path=None) -> Path:
    """Leave the files a studio killed after autosaving leaves: the kernel drops a dead
    process's lock, which is what releasing it here does (its files stay)."""
    owner = recovery.Owner(folder)
    target = owner.target(recovery.document_key(path, 0))
    owner.write(doc.to_json(), path, target)
    owner._lock.release()
    return target


def test_every_orphan_is_offered_until_it_is_restored_or_discarded(folder, make_window):
    window = make_window()
    window.add_node("activation.ReLU")
    window.autosave.save_now()
    window.autosave.wait()
    mlp, _, _ = open_document("mlp")
    kept = dead_instance(folder, mlp, "/somewhere/mlp.nnet.json")
    dropped = dead_instance(folder, open_document("vgg11")[0])
    damaged = dead_instance(folder, mlp)
    damaged.write_text('{"format": "netstudio", "networks": [', encoding="utf-8")
    offered = []

    def ask(orphans):
        offered.append(orphans)
        return ["later", "discard", "later"]

    assert window.offer_recovery(ask=ask) == 0
    assert [o.file for o in offered[0]] == [kept, dropped, damaged]  # oldest first
    assert offered[0][0].path == "/somewhere/mlp.nnet.json"
    assert offered[0][2].doc is None and "cannot be read" in offered[0][2].problem
    assert not dropped.exists() and not dropped.with_name(dropped.name[:32] + ".lock").exists()
    assert kept.exists() and damaged.exists()
    assert [o.file for o in recovery.claim_orphans(folder)] == [kept, damaged]  # offered again


def test_a_restore_opens_a_new_window_when_this_one_holds_work(folder, make_window, qtbot):
    window = make_window()
    window.add_node("activation.ReLU")
    mlp, _, _ = open_document("mlp")
    orphan_file = dead_instance(folder, mlp)
    before = state(window)
    assert window.offer_recovery(ask=lambda o: ["restore"]) == 1
    (other,) = window.restored_windows
    owner = other.autosave.owner.id
    try:
        assert state(window) == before
        assert state(other) == mlp.to_json() and other.isWindowModified()
        other.autosave.wait()
        assert not orphan_file.exists()
        assert any(p.name.startswith(owner) for p in folder.glob("*.nnet.json"))
    finally:
        other.ask_unsaved = lambda: "discard"
        other.close()
    assert not any(p.name.startswith(owner) for p in folder.iterdir())


def test_temp_and_lock_files_of_dead_instances_are_swept(folder, make_window):
    window = make_window()
    stale = recovery.Owner(folder)
    stale_lock = folder / f"{stale.id}.lock"
    temp = folder / f".{stale.id}-{'0' * 16}.nnet.json.123-abcdef01.x1y2.tmp"
    temp.write_text("half a document", encoding="utf-8")
    stale._lock.release()
    old = time.time() - 3600
    os.utime(stale_lock, (old, old))
    assert recovery.claim_orphans(folder) == []
    assert not temp.exists() and not stale_lock.exists()
    assert (folder / f"{window.autosave.owner.id}.lock").exists()  # a live one stays


def test_a_name_no_file_can_hold_still_reaches_the_recovery_file(folder, make_window,
                                                                   tmp_path):
    window = make_window()
    window.session.doc.meta["name"] = "net \ud800 ../../x"
    window.add_node("activation.ReLU")
    assert not window.save_to(str(tmp_path / "net.nnet.json"))  # refused with a message
    assert "lone surrogate" in window.notes[-1][1] and window.isWindowModified()
    assert window.autosave.save_now()
    window.autosave.wait()
    (file, raw), = written(folder).items()
    assert file.parent == folder and raw["meta"]["name"] == "net \ud800 ../../x"


def test_the_offer_shows_each_orphan_with_its_file_and_time(folder, qtbot):
    from studio.gui.recovery_dialog import RecoveryDialog
    mlp, _, _ = open_document("mlp")
    dead_instance(folder, mlp, "/work/nets/mlp.nnet.json")
    dead_instance(folder, mlp).write_text("[", encoding="utf-8")
    orphans = recovery.claim_orphans(folder)
    dialog = RecoveryDialog(orphans)
    qtbot.addWidget(dialog)
    table = dialog.table
    rows = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    assert [r[:2] for r in rows] == [["mlp.nnet.json", "/work/nets/mlp.nnet.json"],
                                     ["unreadable", orphans[1].problem]]
    assert all("just now" in r[2] for r in rows)
    assert dialog.choices() == ["restore", "later"]
    assert [dialog.combos[1].itemData(i) for i in range(dialog.combos[1].count())] == \
        ["discard", "later"]  # nothing to restore from an unreadable file
    for orphan in orphans:
        orphan.release()

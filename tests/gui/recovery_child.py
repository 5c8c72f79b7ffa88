"""A real studio for tests/gui/test_recovery.py that edits a document and waits to be killed.

``python recovery_child.py DOCUMENT EDITS INTERVAL_MS``: opens DOCUMENT offscreen, adds a ReLU
every INTERVAL_MS through the window's own action, and after the last edit prints one JSON line
(its pid and the document as it then is) and keeps the event loop running, as a studio would.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def main(path: str, edits: int, interval_ms: int) -> None:
    from PySide6.QtCore import QTimer
    from studio.gui.app import build_window, create_app
    app = create_app()
    window = build_window(path)
    window.show()
    done = []

    def edit():
        window.add_node("activation.ReLU")
        done.append(1)
        if len(done) == edits:
            timer.stop()
            print(json.dumps({"pid": os.getpid(), "doc": window.session.doc.to_json()}), flush=True)

    timer = QTimer(interval=interval_ms)
    timer.timeout.connect(edit)
    timer.start()
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

"""A search in a spawned child process, for the studio: the search loop and the trials' own
children stay off the GUI's interpreter (no lazy imports or storage writes holding its GIL), and
the studio follows the study by reading its storage on a timer. No Qt here: ``spawn`` imports
only this module in the child."""
from __future__ import annotations

import json
import multiprocessing as mp
import signal
from pathlib import Path

from studio.search.runner import SearchOptions

LOG_NAME = "search.log"


def search_main(doc_json: str, folder: str, name: str | None, storage: str | None,
                options: dict, stop) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is for the studio
    from studio.core.serialize import document_from_json
    from studio.search.runner import Search
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder) / LOG_NAME, "a", encoding="utf-8") as log:
        try:
            doc, _ = document_from_json(json.loads(doc_json))
            Search(doc, folder, name, storage, SearchOptions(**options), stop=stop).run()
        except Exception as e:  # noqa: BLE001 - the studio shows this line
            log.write(f"error: {type(e).__name__}: {e}\n")
            raise SystemExit(2) from None


class SearchProcess:
    """The studio's handle on one search child: start, stop (clean), alive, kill."""

    def __init__(self, doc, folder, name: str | None = None, storage: str | None = None,
                 options: SearchOptions | None = None):
        ctx = mp.get_context("spawn")
        self.folder = Path(folder)
        self.stop_flag = ctx.Event()
        # not a daemon: a daemonic process may not start the trials' own children
        self.process = ctx.Process(
            target=search_main, name="netstudio-search",
            args=(json.dumps(doc.to_json()), str(folder), name, storage,
                  dict((options or SearchOptions()).__dict__), self.stop_flag))

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.stop_flag.set()

    def alive(self) -> bool:
        return self.process.is_alive()

    def error(self) -> str | None:
        """The child's last error line, if it ended with one."""
        try:
            lines = (self.folder / LOG_NAME).read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        return lines[-1] if lines and self.process.exitcode not in (0, None) else None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.join(timeout=2)

"""File handling of the main window: new from template, open, save, save as, recent files,
the unsaved-changes question, and restoring recovery files. A file that cannot be opened is
explained and the current work stays open. Mixed into the main window.

At start every orphaned recovery file (its studio ended without closing: crash, kill, power
cut) is offered, with its document's path and time; each is restored as an unsaved document
(the first into this window while it holds only the untouched start-up document, the others
into new windows), discarded, or kept for the next start."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.core.diagnostics import ERROR, DocumentError
from studio.core.serialize import load, save
from studio.gui import files, recovery

FILTER = "NetStudio documents (*.nnet.json *.json);;All files (*)"


class FileActions:
    # Dialog hooks: tests replace these with functions answering directly.
    def ask_unsaved(self) -> str:
        """"save", "discard" or "cancel"."""
        box = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document_name()}?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(box, "cancel")

    def notify(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def ask_path(self, saving: bool) -> str | None:
        start = str(Path(self.session.path).parent) if self.session.path else str(Path.home())
        if saving:
            path, _ = QFileDialog.getSaveFileName(self, "Save as", start, FILTER)
            if path and not path.endswith(".json"):
                path += ".nnet.json"
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Open", start, FILTER)
        return path or None

    # ---- state ------------------------------------------------------------------------------
    def document_name(self) -> str:
        if self.session.path:
            return Path(self.session.path).name
        origin = self.session.doc.meta.get("name") if self.session.doc else None
        return f"Untitled ({origin})" if origin else "Untitled"

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.document_name()}[*] — NetStudio")
        self.setWindowModified(not self.session.undo.isClean())

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document."""
        if self.session.doc is None or self.session.undo.isClean():
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    # ---- actions ----------------------------------------------------------------------------
    def set_document(self, doc, path=None, diagnostics=()) -> None:
        self.session.set_document(doc, path, diagnostics)
        self.update_title()
        self.view.frame_start()
        if any(d.severity == ERROR for d in diagnostics):
            self.problems_dock.raise_()

    def new_from_template(self) -> None:
        from studio.gui.gallery import TemplateGallery
        if not self.maybe_save():
            return
        dialog = TemplateGallery(self.session.inference, self)
        if dialog.exec():
            doc = dialog.document()
            if doc is not None:
                self.set_document(doc)

    def open_file(self) -> None:
        if self.maybe_save():
            path = self.ask_path(saving=False)
            if path:
                self.open_path(path)

    def import_model(self):
        from studio.gui.import_dialog import open_import_dialog  # torch only when it runs
        return open_import_dialog(self)

    def open_path(self, path: str) -> bool:
        """Open ``path``; on failure explain why and keep the current document."""
        try:
            doc, diags = load(path)
        except DocumentError as e:
            self.notify("Cannot open", str(e))
            self.session.message.emit(f"Cannot open: {e}")
            return False
        self.set_document(doc, str(path), diags)
        files.add_recent(str(path))
        self.refresh_recent_menu()
        errors = [d for d in diags if d.severity == ERROR]
        if errors:
            self.notify("Opened with problems", f"{path}: {len(errors)} problem(s), listed in "
                        "Problems:\n" + "\n".join(map(str, errors[:8])))
        return True

    def save(self) -> bool:
        if not self.session.path:
            return self.save_as()
        return self.save_to(self.session.path)

    def save_as(self) -> bool:
        path = self.ask_path(saving=True)
        return self.save_to(path) if path else False

    def save_to(self, path: str) -> bool:
        try:
            save(self.session.doc, path)
        except (OSError, DocumentError) as e:  # DocumentError: text no file can hold
            self.notify("Cannot save", f"{path}: {e}")
            return False
        self.session.path = str(path)
        self.session.undo.setClean()
        files.add_recent(str(path))  # the recovery file goes with setClean (files.Autosave)
        self.refresh_recent_menu()
        self.update_title()
        self.session.message.emit(f"Saved {path}")
        return True

    def refresh_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        for path in files.recent_files():
            menu.addAction(path, lambda p=path: self.maybe_save() and self.open_path(p))
        menu.setEnabled(not menu.isEmpty())

    def ask_recovery(self, orphans) -> list[str]:
        """"restore", "discard" or "later" for each orphaned recovery file."""
        from studio.gui.recovery_dialog import RecoveryDialog
        dialog = RecoveryDialog(orphans, self)
        return dialog.choices() if dialog.exec() else ["later"] * len(orphans)

    def offer_recovery(self, ask=None) -> int:
        """Offer every orphaned recovery file; returns how many were restored. Files kept for
        later are offered again at the next start."""
        orphans = recovery.claim_orphans(files.recovery_dir())
        if not orphans:
            return 0
        choices = list((ask or self.ask_recovery)(orphans))
        restored = 0
        for orphan, choice in zip(orphans, choices + ["later"] * len(orphans)):
            if choice == "restore" and orphan.doc is not None:
                pristine = self.session.path is None and self.session.undo.count() == 0
                target = self if restored == 0 and pristine else self.new_window()
                target.restore(orphan)
                target.show()
                restored += 1
            elif choice == "discard":
                orphan.discard()
            else:
                orphan.release()
        return restored

    def restore(self, orphan) -> None:
        """Open an orphan's document as unsaved work; its file goes once this window's own
        recovery copy is written (a crash in between leaves one of the two)."""
        self.set_document(orphan.doc, orphan.path, orphan.diagnostics)
        self.session.undo.resetClean()  # it differs from the file on disk: keep it "modified"
        self.update_title()
        if not self.autosave.save_now(then=orphan.discard):
            orphan.release()  # autosave is off here: keep the file for the next start
        self.session.message.emit(f"Restored unsaved work of {self.document_name()}")

    def new_window(self):
        """Another main window, kept alive by this one (a top-level widget nobody references
        would be collected)."""
        window = type(self)()
        self.restored_windows = [*getattr(self, "restored_windows", []), window]
        return window

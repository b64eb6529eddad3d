"""Artifacts leaving the object store: read back, saved, or handed out to people.

Every byte that leaves is re-hashed against what the log recorded; a copy handed out
to a person is itself a custody entry (``artifact.copied``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from cybercase.digest import CHUNK_SIZE, Digest, HashingWriter
from cybercase.errors import InvalidInputError, NotFoundError, VerificationFailedError
from cybercase.evidence.actions import ARTIFACT_COPIED, ArtifactCopied, CopiedFile
from cybercase.evidence.fsio import fsync_dir, part_name, storage_error
from cybercase.evidence.keys.identity import Signer
from cybercase.evidence.log.entry import CustodyEntry, EntryDraft
from cybercase.evidence.log.state import ItemView
from cybercase.evidence.models import Artifact
from cybercase.evidence.store import ObjectStore


def _hostname() -> str:
    import socket

    return socket.gethostname()


class ArtifactAccess:
    """What a :class:`~cybercase.evidence.case.Case` does with artifacts already stored.

    A mixin: the case provides the store, its items and the log it appends to.
    """

    if TYPE_CHECKING:
        store: ObjectStore

        def item(self, item_id: str) -> ItemView: ...

        def append(self, signer: Signer, *drafts: EntryDraft) -> list[CustodyEntry]: ...

    def find_artifact(self, item_id: str, name: str) -> Artifact:
        """An item's artifact by its name (``record.json``) or role (``screenshot``)."""
        view = self.item(item_id)
        by_name = [a for a in view.artifacts if a.name == name]
        found = by_name or [a for a in view.artifacts if a.role == name]
        if found:
            return found[-1]
        names = ", ".join(a.name for a in view.artifacts) or "none"
        raise NotFoundError(
            f"{view.id} has no file named {name!r}",
            hint=f"its files: {names}",
        )

    def copy_artifact(self, artifact: Artifact, out: BinaryIO) -> int:
        """Stream an artifact's bytes to ``out``, re-hashing them on the way.

        Whatever is handed out must be what the log recorded: an object that no
        longer matches its hash is refused (after the copy, which the caller
        discards), never passed on as if it were the evidence.
        """
        recorded = Digest.parse(artifact.digest)
        writer = HashingWriter(out)
        with self.store.open(recorded) as fh:
            shutil.copyfileobj(fh, writer, CHUNK_SIZE)
        copied = writer.digest()
        if copied.hex != recorded.hex or copied.size != artifact.size:
            raise VerificationFailedError(
                f"{artifact.name} in the object store no longer matches its recorded hash "
                f"{artifact.digest}",
                hint="run 'cybercase verify' to see what changed; do not use this copy",
            )
        return copied.size

    def save_artifact(self, artifact: Artifact, target: Path) -> int:
        """Copy an artifact out to ``target``, which must not exist yet (no custody entry).

        The copy is written under a temporary name and only takes the real name once
        its bytes matched the recorded hash, so a bad copy never looks like a good one.
        Copies handed out to people go through :meth:`hand_out`, which logs them.
        """
        tmp = self._checked_copy(artifact, target)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise storage_error("write", target, exc) from exc
        finally:
            tmp.unlink(missing_ok=True)
        return artifact.size

    def hand_out(
        self,
        signer: Signer,
        item_id: str,
        copies: Sequence[tuple[Artifact, Path]],
        *,
        purpose: str | None = None,
    ) -> CustodyEntry:
        """Copy artifacts of one item out of the case, logged as ONE signed entry.

        A copy handed out is evidence leaving the custodian's hands: the custody log
        says what was copied (name, role, SHA-256, size), where to, by whom and when
        (``artifact.copied``). Each copy is checked against its recorded hash and made
        durable under a temporary name; the entry is committed next, and only then do
        the copies take their real names. A failure at any step leaves no copy under a
        real name that the log does not name.
        """
        view = self.item(item_id)
        if not copies:
            raise InvalidInputError("nothing to copy")
        targets = [target for _, target in copies]
        if len({str(t.absolute()) for t in targets}) != len(targets):
            raise InvalidInputError("two copies would have the same name; nothing was written")
        staged: list[tuple[Path, Path]] = []
        try:
            for artifact, target in copies:
                tmp = self._checked_copy(artifact, target)
                staged.append((tmp, target))
            detail = ArtifactCopied(
                copies=[
                    CopiedFile(
                        name=artifact.name,
                        role=artifact.role,
                        digest=artifact.digest,
                        size=artifact.size,
                        to=str(target.absolute()),
                    )
                    for artifact, target in copies
                ],
                host=_hostname(),
                purpose=purpose or None,
            )
            entry = self.append(signer, EntryDraft.of(ARTIFACT_COPIED, detail, (view.id,)))[-1]
            for tmp, target in staged:
                try:
                    os.replace(tmp, target)
                except OSError as exc:
                    raise storage_error("write", target, exc) from exc
                fsync_dir(target.parent)
        finally:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
        return entry

    def _checked_copy(self, artifact: Artifact, target: Path) -> Path:
        """A durable temporary copy beside ``target`` whose bytes matched the recorded hash."""
        if target.exists():
            raise InvalidInputError(
                f"{target} already exists", hint="choose another --out path; nothing was written"
            )
        tmp = part_name(target)
        try:
            with tmp.open("xb") as fh:
                self.copy_artifact(artifact, fh)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise storage_error("write", target, exc) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    def read_object(self, digest_text: str) -> bytes:
        """A (small) object's bytes, e.g. a record; large ones are streamed via the store."""
        with self.store.open(Digest.parse(digest_text)) as fh:
            return fh.read()

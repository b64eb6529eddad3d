"""A case folder: its metadata, object store and custody log, opened for use.

:class:`Case` is the library's main entry point (``from cybercase.evidence import
Case``). Reading needs no key; every change goes through :meth:`Case.transaction`,
which holds the case lock, catches up with entries other processes wrote, sets aside a
torn tail left by a crash, and commits the new entries in one durable write after the
objects they name are durable.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cybercase import __version__
from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.digest import Digest
from cybercase.errors import (
    CaseCorruptError,
    CaseExistsError,
    CaseNotFoundError,
    InvalidInputError,
    NotCustodianError,
    NotFoundError,
    StorageError,
)
from cybercase.evidence.actions import (
    CASE_CREATED,
    CUSTODIAN_ADDED,
    ITEM_IMPORTED,
    LEFTOVERS_REMOVED,
    LOG_RECOVERED,
    MAX_LISTED,
    NOTE_ADDED,
    CaseCreated,
    CustodianAdded,
    CustodianKey,
    ItemImported,
    LeftoversRemoved,
    LogRecovered,
    NoteAdded,
    RemovedFile,
)
from cybercase.evidence.file_names import is_text, name_fields, printable_name
from cybercase.evidence.fsio import fsync_dir, make_read_only, storage_error, write_bytes_durably
from cybercase.evidence.handout import ArtifactAccess
from cybercase.evidence.keys.identity import PublicIdentity, Signer
from cybercase.evidence.lock import CaseLock
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.entry import CustodyEntry, EntryDraft, build_entry
from cybercase.evidence.log.state import EVIDENCE_PREFIX, CaseState, ItemView
from cybercase.evidence.models import Artifact, CaseMeta
from cybercase.evidence.store import OBJECTS_DIR, ObjectStore

CASE_JSON = "case.json"


KEYS_DIR = "keys"


def case_json_bytes(meta: CaseMeta) -> bytes:
    """``case.json`` as written: indented JSON for people, hashed into the log."""
    return (json.dumps(meta.model_dump(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def custodian_key(identity: PublicIdentity) -> CustodianKey:
    """How a custody entry registers a key."""
    return CustodianKey(
        name=identity.name,
        email=identity.email,
        fingerprint=identity.fingerprint,
        public_key=identity.public_b64,
    )


@dataclass(slots=True)
class Transaction:
    """Entries being prepared under the case lock; committed together or not at all."""

    case: Case
    signer: Signer
    drafts: list[EntryDraft] = field(default_factory=list)
    committed: list[CustodyEntry] = field(default_factory=list)
    """The entries as written, once the block has ended."""
    _counters: dict[str, int] = field(default_factory=dict)

    def new_id(self, prefix: str) -> str:
        """Allocate the next item (``E``) or request (``R``) id."""
        number = self._counters.get(prefix, self.case.state.counters.get(prefix, 0)) + 1
        self._counters[prefix] = number
        return f"{prefix}{number:04d}"

    def add(self, draft: EntryDraft) -> None:
        """Queue an entry for the commit."""
        self.drafts.append(draft)


class Case(ArtifactAccess):
    """An open case folder."""

    def __init__(self, root: Path, meta: CaseMeta, clock: Clock | None = None) -> None:
        self.root = root
        self.meta = meta
        self.clock: Clock = clock or SystemClock()
        self.store = ObjectStore(root / OBJECTS_DIR)
        self.lock = CaseLock(root)
        self.log_path = root / logfile.LOG_NAME
        self.head_path = root / logfile.HEAD_NAME
        self.state = CaseState()
        self._entries: list[CustodyEntry] = []
        self.refresh()

    # -- opening and creating -------------------------------------------------

    @classmethod
    def open(cls, root: Path, clock: Clock | None = None) -> Case:
        """Open an existing case for reading (and writing, with a signer)."""
        path = root / CASE_JSON
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise CaseNotFoundError(
                f"no case at {root}", hint="create one with 'cybercase init'"
            ) from exc
        except OSError as exc:
            raise storage_error("read", path, exc) from exc
        try:
            meta = CaseMeta.model_validate_json(data)
        except ValidationError as exc:
            raise CaseCorruptError(
                f"{path} is damaged and cannot be read",
                hint="run 'cybercase verify' for details; restore it from a copy",
            ) from exc
        return cls(root, meta, clock)

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        case_id: str,
        title: str,
        agency: str,
        signer: Signer,
        jurisdiction: str | None = None,
        offence: str | None = None,
        species: Sequence[str] = (),
        clock: Clock | None = None,
    ) -> Case:
        """Create a new case folder, atomically: it appears complete or not at all."""
        clock = clock or SystemClock()
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise CaseExistsError(
                f"{root} already exists and is not empty",
                hint="choose a new folder for the case",
            )
        try:
            meta = CaseMeta(
                id=case_id,
                title=title,
                agency=agency,
                jurisdiction=jurisdiction,
                offence=offence,
                species=list(species),
                created=format_utc(clock.now()),
                tool=f"cybercase {__version__}",
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidInputError(
                f"invalid case {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            ) from exc
        parent = root.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            staging = parent / f".{root.name}.creating-{secrets.token_hex(4)}"
            staging.mkdir()
        except OSError as exc:
            raise storage_error("create the case in", parent, exc) from exc
        try:
            body = case_json_bytes(meta)
            write_bytes_durably(staging / CASE_JSON, body)
            ObjectStore(staging / OBJECTS_DIR).create()
            (staging / KEYS_DIR).mkdir()
            _write_key_file(staging, signer.identity)
            (staging / logfile.LOG_NAME).touch()
            case = cls(staging, meta, clock)
            case._commit(
                signer,
                [
                    EntryDraft.of(
                        CASE_CREATED,
                        CaseCreated(
                            case=meta.model_dump(),
                            case_json=str(Digest.of_bytes(body)),
                            custodian=custodian_key(signer.identity),
                            custody_head="signed",
                        ),
                    )
                ],
            )
            fsync_dir(staging)
            if root.exists():
                root.rmdir()
            staging.rename(root)
            fsync_dir(parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls.open(root, clock)

    # -- reading ----------------------------------------------------------------

    def refresh(self) -> None:
        """Catch up with entries appended since the log was last read."""
        scan = logfile.scan(self.log_path, self.state.end, self.state.line_count + 1)
        for line in scan.lines:
            self.state.line_count += 1
            if line.entry is None:
                self.state.damaged_lines.append(line.number)
                continue
            self.state.apply(line.entry)
            self._entries.append(line.entry)
        self.state.end = scan.end
        self.state.torn_bytes = len(scan.torn)

    def entries(self) -> Iterator[CustodyEntry]:
        """Every readable entry as of the last read, in order.

        Damaged lines are skipped (verify names them). Entries are kept from the read that
        opened the case, so listing does not parse the log a second time.
        """
        return iter(list(self._entries))

    def item(self, item_id: str) -> ItemView:
        """An item or request by id; an unknown id is a one-line error."""
        view = self.state.items.get(item_id.upper())
        if view is None:
            raise NotFoundError(
                f"no item {item_id} in case {self.meta.id}",
                hint="list the items with 'cybercase status' or 'cybercase log'",
            )
        return view

    def item_entries(self, item_id: str) -> list[CustodyEntry]:
        """The entries that name one item, in order."""
        view = self.item(item_id)
        wanted = set(view.entry_seqs)
        return [e for e in self.entries() if e.seq in wanted]

    # -- writing ----------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, signer: Signer) -> Iterator[Transaction]:
        """Prepare entries under the case lock; they are committed when the block ends."""
        with self.lock:
            self.refresh()
            self._check_writable(signer)
            self._remove_leftovers(signer)
            tx = Transaction(self, signer)
            yield tx
            if tx.drafts:
                tx.committed = self._commit(signer, tx.drafts)

    def append(self, signer: Signer, *drafts: EntryDraft) -> list[CustodyEntry]:
        """Commit entries that need no newly allocated ids."""
        with self.transaction(signer) as tx:
            for draft in drafts:
                tx.add(draft)
        return tx.committed

    def check_writable(self, signer: Signer) -> None:
        """Refuse now what a commit would refuse after slow work (a browser, a batch).

        A damaged log, a key that is not a custodian, a lock, a log or an object store
        the disk will not write: each is the error the first commit would raise. Nothing
        is written to the case (a torn tail is left for the first commit to recover).
        """
        with self.lock:
            self.refresh()
            self._check_writable(signer, recover=False)
            try:
                self.log_path.open("ab").close()
            except OSError as exc:
                raise storage_error("append to", self.log_path, exc) from exc
            self.store.check_writable()

    def _check_writable(self, signer: Signer, *, recover: bool = True) -> None:
        if self.state.damaged_lines:
            raise CaseCorruptError(
                f"the custody log has damaged line(s) {self.state.damaged_lines[:5]}; "
                "nothing more can be added",
                hint="run 'cybercase verify' for details",
            )
        if signer.fingerprint not in self.state.keys:
            raise NotCustodianError(
                f"the key of {signer.name} ({signer.fingerprint[:16]}) is not a custodian "
                f"of case {self.meta.id}",
                hint="ask a custodian to run 'cybercase custodian add' with your public key",
            )
        if self.state.torn_bytes:
            self._check_torn_tail()
            if recover:
                self._recover_torn_tail(signer)

    def _remove_leftovers(self, signer: Signer) -> None:
        """Remove what killed processes left in ``objects/tmp``, and log what went."""
        removed = self.store.remove_leftovers()
        if removed:
            draft = leftovers_draft("objects/tmp", [(r.name, r.size) for r in removed])
            self._commit(signer, [draft])

    def _check_torn_tail(self) -> None:
        """A torn tail is harmless only if no committed entry lies in it."""
        head = logfile.read_head(self.head_path)
        if head is not None and head.seq > self.state.last_seq:
            raise CaseCorruptError(
                f"the custody log ends at entry {self.state.last_seq} with a damaged line, "
                f"but entry {head.seq} was committed",
                hint="run 'cybercase verify'; restore custody.jsonl from a copy",
            )

    def _recover_torn_tail(self, signer: Signer) -> None:
        """Set aside an uncommitted torn tail (as an object), cut it, and log that."""
        with self.log_path.open("rb") as fh:
            fh.seek(self.state.end)
            torn = fh.read()
        digest = self.store.put_bytes(torn)
        logfile.truncate(self.log_path, self.state.end)
        self.state.torn_bytes = 0
        self._commit(
            signer,
            [
                EntryDraft.of(
                    LOG_RECOVERED,
                    LogRecovered(
                        reason="an interrupted write left an incomplete last line",
                        after_seq=self.state.last_seq,
                        artifacts=[
                            Artifact(
                                role="torn-tail",
                                name=f"torn-after-{self.state.last_seq}.bin",
                                digest=str(digest),
                                size=len(torn),
                            )
                        ],
                    ),
                )
            ],
        )

    def _commit(self, signer: Signer, drafts: Sequence[EntryDraft]) -> list[CustodyEntry]:
        """Write entries as one durable append, after the objects they name are durable."""
        self.store.sync()
        seq, prev = self.state.last_seq, self.state.last_hash
        entries: list[CustodyEntry] = []
        for draft in drafts:
            seq += 1
            entry = build_entry(
                seq=seq,
                at=format_utc(self.clock.now()),
                actor_name=signer.name,
                actor_key=signer.fingerprint,
                draft=draft,
                prev=prev,
                sign=signer.sign,
            )
            entries.append(entry)
            prev = entry.hash
        payload = b"".join(e.to_line() for e in entries)
        self.state.end = logfile.append(self.log_path, payload, self.state.end)
        self.state.line_count += len(entries)
        for entry in entries:
            self.state.apply(entry)
        self._entries.extend(entries)
        logfile.write_head(
            self.head_path, entries[-1].seq, entries[-1].hash, signer.fingerprint, signer.sign
        )
        return entries

    # -- operations ---------------------------------------------------------------

    def add_files(
        self,
        signer: Signer,
        paths: Sequence[Path],
        *,
        note: str | None = None,
        source: str | None = None,
        extra: dict[str, Any] | None = None,
        then: Callable[[Transaction, list[str]], None] | None = None,
    ) -> list[ItemView]:
        """Import files as evidence items, one ``item.imported`` entry each.

        Every path is checked before anything is stored, so a typo in the fifth name
        does not leave four half-imported files. ``then`` is called under the case lock
        once the items' entries are queued, with their new ids: an entry it adds (e.g. a
        response naming the items) commits with them or not at all, and an error it
        raises commits nothing.
        """
        for path in paths:
            if not path.exists():
                raise InvalidInputError(f"file not found: {printable_name(path)}")
            if not path.is_file():
                raise InvalidInputError(f"{printable_name(path)} is not a regular file")
            if not os.access(path, os.R_OK):
                raise InvalidInputError(f"cannot read {printable_name(path)}: permission denied")
        for what, text in (("note", note), ("source", source)):
            if text is not None and not is_text(text):
                raise InvalidInputError(f"the {what} is not valid text (not UTF-8)")
        self.check_writable(signer)
        stored: list[tuple[Path, Digest, os.stat_result]] = []
        for path in paths:
            info = path.stat()
            digest = self.store.put_file(path, sync=False)
            stored.append((path, digest, info))
        with self.transaction(signer) as tx:
            ids: list[str] = []
            for path, digest, info in stored:
                item_id = tx.new_id(EVIDENCE_PREFIX)
                ids.append(item_id)
                media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                detail = ItemImported(
                    **name_fields("original_name", path.name),
                    **name_fields("original_path", str(path.absolute())),
                    original_mtime=format_utc(datetime.fromtimestamp(info.st_mtime, tz=UTC)),
                    artifacts=[
                        Artifact(
                            role="original",
                            name=printable_name(Path(path.name)),
                            digest=str(digest),
                            size=digest.size or 0,
                            media_type=media_type,
                        )
                    ],
                    source=source or None,
                    note=note or None,
                    **(extra or {}),
                )
                tx.add(EntryDraft.of(ITEM_IMPORTED, detail, (item_id,)))
            if then is not None:
                then(tx, ids)
        return [self.state.items[i] for i in ids]

    def add_note(self, signer: Signer, text: str, item_id: str | None = None) -> CustodyEntry:
        """Record an investigator's note, on the case or on one item."""
        text = text.strip()
        if not text:
            raise InvalidInputError("the note is empty")
        items: tuple[str, ...] = ()
        if item_id is not None:
            items = (self.item(item_id).id,)
        return self.append(signer, EntryDraft.of(NOTE_ADDED, NoteAdded(text=text), items))[-1]

    def add_custodian(self, signer: Signer, identity: PublicIdentity) -> CustodyEntry:
        """Register another investigator's key, signed by a current custodian."""
        if identity.fingerprint in self.state.keys:
            raise InvalidInputError(
                f"{identity.name} ({identity.fingerprint[:16]}) is already a custodian"
            )
        with self.lock:
            _write_key_file(self.root, identity)
            return self.append(
                signer,
                EntryDraft.of(CUSTODIAN_ADDED, CustodianAdded(custodian=custodian_key(identity))),
            )[-1]


def leftovers_draft(where: str, removed: Sequence[tuple[str, int]], reason: str = "") -> EntryDraft:
    """A ``leftovers.removed`` entry: what an interrupted process left, and was deleted.

    None of it was evidence (nothing counts before its entry is written), but a folder
    of the case (or its exports) changed, so the log says what went, from where, and
    how many bytes.
    """
    listed = [RemovedFile(name=name, bytes=size) for name, size in removed[:MAX_LISTED]]
    detail = LeftoversRemoved(
        reason=reason
        or "temporary files of an interrupted process (killed or crashed); not evidence",
        where=where,
        count=len(removed),
        bytes=sum(size for _, size in removed),
        removed=listed,
        not_listed=len(removed) - len(listed) if len(removed) > len(listed) else None,
    )
    return EntryDraft.of(LEFTOVERS_REMOVED, detail)


def _write_key_file(root: Path, identity: PublicIdentity) -> None:
    folder = root / KEYS_DIR
    target = folder / f"{identity.fingerprint}.pub"
    try:
        folder.mkdir(exist_ok=True)
        if target.exists():
            target.chmod(0o644)
        write_bytes_durably(target, identity.to_pub_file())
        make_read_only(target)
    except OSError as exc:
        raise StorageError(f"cannot write key file {target}: {exc.strerror}") from exc

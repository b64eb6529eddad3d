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
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote_from_bytes

from pydantic import ValidationError

from cybercase import __version__
from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.digest import CHUNK_SIZE, Digest, HashingWriter
from cybercase.errors import (
    CaseCorruptError,
    CaseExistsError,
    CaseNotFoundError,
    InvalidInputError,
    NotCustodianError,
    NotFoundError,
    StorageError,
    VerificationFailedError,
)
from cybercase.evidence.fsio import fsync_dir, make_read_only, storage_error, write_bytes_durably
from cybercase.evidence.keys.keyring import PublicIdentity, Signer
from cybercase.evidence.lock import CaseLock
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.entry import CustodyEntry, EntryDraft, build_entry
from cybercase.evidence.log.state import (
    ARTIFACT_COPIED,
    CASE_CREATED,
    CUSTODIAN_ADDED,
    EVIDENCE_PREFIX,
    ITEM_IMPORTED,
    LEFTOVERS_REMOVED,
    LOG_RECOVERED,
    NOTE_ADDED,
    CaseState,
    ItemView,
)
from cybercase.evidence.models import Artifact, CaseMeta
from cybercase.evidence.store import OBJECTS_DIR, ObjectStore

CASE_JSON = "case.json"
KEYS_DIR = "keys"
ENV_CASE = "CYBERCASE_CASE"
MAX_LISTED = 200
"""A leftovers entry names at most this many files (and counts the rest)."""


def case_json_bytes(meta: CaseMeta) -> bytes:
    """``case.json`` as written: indented JSON for people, hashed into the log."""
    return (json.dumps(meta.model_dump(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def custodian_detail(identity: PublicIdentity) -> dict[str, Any]:
    """How a custody entry registers a key."""
    return {
        "name": identity.name,
        "email": identity.email,
        "fingerprint": identity.fingerprint,
        "public_key": identity.public_b64,
    }


RAW_NAME_SAFE = "".join(c for c in string.punctuation + " " if c != "%")


def _is_text(value: str) -> bool:
    """Whether a string is real text (no undecodable bytes smuggled in as surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_name(path: Path | str) -> str:
    """A file name as a person can read it: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def name_fields(key: str, name: str) -> dict[str, str]:
    """A file name for the log, losslessly.

    A name that is not UTF-8 (a file from an old Windows or Linux system) cannot be
    written as JSON text: it is recorded readable (``key``, with U+FFFD for the bad
    bytes) and exactly (``key_bytes``: every byte, percent-escaped except printable
    ASCII; ``urllib.parse.unquote_to_bytes`` gives the name back).
    """
    if _is_text(name):
        return {key: name}
    raw = os.fsencode(name)
    return {key: printable_name(name), f"{key}_bytes": quote_from_bytes(raw, safe=RAW_NAME_SAFE)}


def locate_case(explicit: Path | None = None, start: Path | None = None) -> Path:
    """Find the case: ``--case``, then ``CYBERCASE_CASE``, then this folder and its parents."""
    if explicit is not None:
        if not (explicit / CASE_JSON).is_file():
            raise CaseNotFoundError(
                f"no case at {explicit}", hint="check the path, or create one with 'cybercase init'"
            )
        return explicit
    env = os.environ.get(ENV_CASE)
    if env:
        path = Path(env).expanduser()
        if not (path / CASE_JSON).is_file():
            raise CaseNotFoundError(
                f"CYBERCASE_CASE names {path}, which holds no case",
                hint="fix or unset CYBERCASE_CASE",
            )
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CASE_JSON).is_file() and (folder / logfile.LOG_NAME).exists():
            return folder
    raise CaseNotFoundError(
        "no case here (searched this folder and its parents)",
        hint="pass --case DIR, set CYBERCASE_CASE, or create one with 'cybercase init DIR'",
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


class Case:
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
                    EntryDraft(
                        action=CASE_CREATED,
                        detail={
                            "case": meta.model_dump(),
                            "case_json": str(Digest.of_bytes(body)),
                            "custodian": custodian_detail(signer.identity),
                            logfile.SIGNED_HEAD_KEY: logfile.SIGNED_HEAD_VALUE,
                        },
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
                EntryDraft(
                    action=LOG_RECOVERED,
                    detail={
                        "reason": "an interrupted write left an incomplete last line",
                        "after_seq": self.state.last_seq,
                        "artifacts": [
                            Artifact(
                                role="torn-tail",
                                name=f"torn-after-{self.state.last_seq}.bin",
                                digest=str(digest),
                                size=len(torn),
                            ).model_dump()
                        ],
                    },
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
            if text is not None and not _is_text(text):
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
                detail: dict[str, Any] = {
                    "kind": "file",
                    **name_fields("original_name", path.name),
                    **name_fields("original_path", str(path.absolute())),
                    "original_mtime": format_utc(datetime.fromtimestamp(info.st_mtime, tz=UTC)),
                    "artifacts": [
                        Artifact(
                            role="original",
                            name=printable_name(Path(path.name)),
                            digest=str(digest),
                            size=digest.size or 0,
                            media_type=media_type,
                        ).model_dump()
                    ],
                }
                if source:
                    detail["source"] = source
                if note:
                    detail["note"] = note
                if extra:
                    detail.update(extra)
                tx.add(EntryDraft(action=ITEM_IMPORTED, items=(item_id,), detail=detail))
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
        return self.append(signer, EntryDraft(NOTE_ADDED, items, {"text": text}))[-1]

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
                EntryDraft(CUSTODIAN_ADDED, (), {"custodian": custodian_detail(identity)}),
            )[-1]

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
            detail: dict[str, Any] = {
                "copies": [
                    {
                        "name": artifact.name,
                        "role": artifact.role,
                        "digest": artifact.digest,
                        "size": artifact.size,
                        "to": str(target.absolute()),
                    }
                    for artifact, target in copies
                ],
                "host": _hostname(),
            }
            if purpose:
                detail["purpose"] = purpose
            entry = self.append(signer, EntryDraft(ARTIFACT_COPIED, (view.id,), detail))[-1]
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
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
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


def _hostname() -> str:
    import socket

    return socket.gethostname()


def leftovers_draft(where: str, removed: Sequence[tuple[str, int]], reason: str = "") -> EntryDraft:
    """A ``leftovers.removed`` entry: what an interrupted process left, and was deleted.

    None of it was evidence (nothing counts before its entry is written), but a folder
    of the case (or its exports) changed, so the log says what went, from where, and
    how many bytes.
    """
    listed = [{"name": name, "bytes": size} for name, size in removed[:MAX_LISTED]]
    detail: dict[str, Any] = {
        "reason": reason
        or "temporary files of an interrupted process (killed or crashed); not evidence",
        "where": where,
        "count": len(removed),
        "bytes": sum(size for _, size in removed),
        "removed": listed,
    }
    if len(removed) > len(listed):
        detail["not_listed"] = len(removed) - len(listed)
    return EntryDraft(action=LEFTOVERS_REMOVED, detail=detail)


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

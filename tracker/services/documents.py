"""Progress documents: issue a signed snapshot of a student's audit, verify it by its link, revoke it.

A document's `content` is canonical JSON (sorted keys, no spaces) holding the token, the student, the issuer and the
audit figures as issued; its signature is HMAC-SHA256 of that text under the document key. Verification recomputes
the signature over the stored text, so any change to the row (figures, names, dates, token) shows as not authentic.
The key comes from the caller (the view reads the configuration), so this module needs no app.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Enrollment, ProgressDocument, User, utcnow
from ..permissions import can_view_student, may_issue_document, may_revoke_document
from . import ServiceError, history

ENTITY = "progress_document"
FORMAT = 1  # the content's layout; a later layout bumps it and keeps reading this one
MAX_REASON = 500


@dataclass(frozen=True)
class Verification:
    """What the verification page says: `state` is authentic, revoked or not_authentic."""

    document: ProgressDocument
    content: dict
    state: str

    @property
    def authentic(self) -> bool:
        return self.state == "authentic"


def key_id(key: str) -> str:
    """A short public name for a key (the first 12 hex digits of its SHA-256): tells a key change from tampering."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def sign(content: str, key: str) -> str:
    return hmac.new(key.encode(), content.encode(), hashlib.sha256).hexdigest()


def _canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _payload(token: str, enrollment: Enrollment, actor: User, issued_at: datetime, snapshot: dict) -> dict:
    student = enrollment.student
    return {
        "format": FORMAT,
        "token": token,
        "student": {"id": student.id, "name": student.display_name, "email": student.email},
        "program": enrollment.program.name,
        "issued_at": issued_at.isoformat(timespec="seconds"),
        "issued_by": {"id": actor.id, "name": actor.display_name, "role": actor.role.label},
        **snapshot,
    }


def issue(actor: User, enrollment: Enrollment, snapshot: dict[str, Any], *, key: str) -> ProgressDocument:
    """Issue a document for the enrolled student from `snapshot` (the audit's figures, plain JSON values, built by
    the caller from the live audit); one transaction, one history event. The student themself, their advisor or
    an admin may issue."""
    if not may_issue_document(actor, enrollment.student_id):
        raise ServiceError("You cannot issue a progress document for this student.")
    token = secrets.token_urlsafe(24)
    issued_at = utcnow().replace(microsecond=0)
    content = _canonical(_payload(token, enrollment, actor, issued_at, snapshot))
    document = ProgressDocument(token=token, student_id=enrollment.student_id, issued_by_id=actor.id,
                                issued_at=issued_at, content=content, signature=sign(content, key),
                                key_id=key_id(key))
    db.session.add(document)
    db.session.flush()
    history.record(actor, "document.issued", ENTITY, document.id, subject_id=enrollment.student_id,
                   summary=f"Issued a progress document for {enrollment.student.display_name}",
                   changes={"token_start": token[:6], "as_of": snapshot.get("as_of")})
    db.session.commit()
    return document


def revoke(actor: User, document: ProgressDocument, reason: str = "") -> ProgressDocument:
    """Revoke an issued document: its link keeps working and says it was revoked, when, by whom and why."""
    if not may_revoke_document(actor, document):
        raise ServiceError("Only whoever issued this document, or an administrator, can revoke it.")
    if document.revoked:
        raise ServiceError("This document was already revoked.")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ServiceError(f"Keep the reason under {MAX_REASON} characters.", "reason")
    updated = db.session.execute(
        sa.update(ProgressDocument)
        .where(ProgressDocument.id == document.id, ProgressDocument.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=actor.id, revoke_reason=reason)
    ).rowcount
    if updated != 1:  # someone revoked it a moment ago
        db.session.rollback()
        raise ServiceError("This document was already revoked.")
    history.record(actor, "document.revoked", ENTITY, document.id, subject_id=document.student_id,
                   summary=f"Revoked a progress document of {document.student.display_name}",
                   changes={"reason": reason})
    db.session.commit()
    db.session.refresh(document)
    return document


def by_token(token: str) -> ProgressDocument | None:
    """The document a verification link names (None for an unknown or malformed token)."""
    if not token or len(token) > 64 or "\x00" in token:
        return None
    return db.session.scalar(sa.select(ProgressDocument).where(ProgressDocument.token == token))


def verify(document: ProgressDocument, *, key: str) -> Verification:
    """Whether the stored document is as it was issued under `key` and still stands."""
    try:
        content = json.loads(document.content)
    except ValueError:
        content = {}
    genuine = (isinstance(content, dict) and content.get("token") == document.token
               and hmac.compare_digest(sign(document.content, key), document.signature))
    state = "not_authentic" if not genuine else ("revoked" if document.revoked else "authentic")
    return Verification(document=document, content=content if genuine else {}, state=state)


def documents_for(user: User, student_id: int | None = None) -> list[ProgressDocument]:
    """The documents a user may manage, newest first: a student's own; an advisor's advisees' and those they issued;
    every one for admins. With `student_id`, only that student's (empty when the user may not see them)."""
    query = sa.select(ProgressDocument).options(
        sa.orm.joinedload(ProgressDocument.student), sa.orm.joinedload(ProgressDocument.issued_by))
    if student_id is not None:
        if not can_view_student(user, student_id):
            return []
        query = query.where(ProgressDocument.student_id == student_id)
    elif user.is_student:
        query = query.where(ProgressDocument.student_id == user.id)
    elif not user.is_admin:
        advisees = sa.select(Enrollment.student_id).where(Enrollment.advisor_id == user.id)
        query = query.where(sa.or_(ProgressDocument.student_id.in_(advisees),
                                   ProgressDocument.issued_by_id == user.id))
    return list(db.session.scalars(query.order_by(ProgressDocument.issued_at.desc(), ProgressDocument.id.desc())))

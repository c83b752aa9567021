"""Milestones: which ones a student's track has, and signing one off (or undoing a sign-off) with its history.

The milestone kinds, their labels and who may sign each off are the program's own (its definition's [[milestones]]).
The views let only the advisor or an administrator in; this module checks the milestone is one of the student's
track, that the program's signed_by rule allows this person, that it is not signed off already, and that its date
is not in the future. Signing out
of order is allowed (real programs do it) and the audit flags it. Undoing a sign-off deletes the row (the table has
one row per student and milestone); the history keeps both events.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from .. import domain
from ..extensions import db
from ..models import Enrollment, MilestoneRecord, User
from ..permissions import may_sign_milestone
from . import Problems, ServiceError, history, mail, unique_or_refuse
from .values import check_date
from .audit import MilestoneRow, StudentAudit, load_enrollment
from .catalog_versions import rules_for_enrollment

ENTITY = "milestone_record"


@dataclass(frozen=True)
class TrackMilestone:
    """One milestone of the student's track, in the program's order, with its sign-off if any."""

    position: int
    kind: str
    label: str
    requirement_title: str
    record: MilestoneRow | None
    signed_by: tuple[str, ...] = ()  # who may sign it off: "advisor", "admin"

    @property
    def signed_off(self) -> bool:
        """True when the milestone has been signed off."""
        return self.record is not None


def _milestone_kinds(requirements, vocabulary: domain.Vocabulary, track: str) -> list[tuple[str, str]]:
    """(kind, requirement title) of every milestone the given requirements ask for that belongs to the track,
    first occurrence first."""
    seen: dict[str, str] = {}
    for req in requirements:
        if isinstance(req, domain.MilestonesRequirement):
            for kind in req.milestones:
                milestone = vocabulary.milestone(kind)
                if milestone is not None and milestone.belongs_to(track):
                    seen.setdefault(kind, req.title)
    return list(seen.items())


def track_milestones(audit: StudentAudit) -> list[TrackMilestone]:
    """The milestones of the audited track (and concentration), in order, each with its sign-off or None."""
    rows = {m.kind: m for m in audit.records.milestone_rows}
    vocabulary = audit.enrollment.program.vocabulary
    kinds = _milestone_kinds(audit.applicable_requirements(), vocabulary, audit.context.track)
    return [
        TrackMilestone(i + 1, kind, vocabulary.milestone_label(kind), title, rows.get(kind),
                       vocabulary.milestone(kind).signed_by)
        for i, (kind, title) in enumerate(kinds)
    ]


def milestone_label(enrollment: Enrollment, kind: str) -> str:
    """A milestone's label in the student's program."""
    return enrollment.program.vocabulary.milestone_label(kind)


def milestone_block(audit: StudentAudit):
    """The audit's first milestones block, nested ones too (None when the track has none)."""
    return next((b for b in audit.result.walk() if b.kind == "milestones"), None)


def _kinds_for(enrollment: Enrollment) -> list[str]:
    """The milestone kinds of this enrollment's track and concentration, under the student's catalog version."""
    rules = rules_for_enrollment(enrollment).rules
    applicable = [r for r in rules.requirements if r.applies_to(enrollment.concentration.code, enrollment.track)]
    return [kind for kind, _ in _milestone_kinds(applicable, enrollment.program.vocabulary, enrollment.track)]


def sign_off(actor: User, student_id: int, kind: str, completed_on: date | None, note: str = "",
             today: date | None = None, milestones_link: str = "") -> MilestoneRecord:
    """Record that a milestone of the student's track was passed on `completed_on`; one transaction, one event.
    The student's e-mail links to `milestones_link` (their milestones page, built by the view)."""
    today = today or date.today()
    enrollment = load_enrollment(student_id)
    if enrollment is None:
        raise ServiceError("This student is not enrolled in a program, so they have no milestones.")
    problems = Problems()
    milestone = enrollment.program.vocabulary.milestone(kind) if isinstance(kind, str) else None
    if milestone is None:
        problems.add("kind", "Choose a milestone from the list.")
    elif milestone.code not in _kinds_for(enrollment):
        problems.add("kind", f"“{milestone.label}” is not a milestone of the {enrollment.track_label.lower()} track.")
    elif not may_sign_milestone(actor, enrollment, milestone):
        problems.add("kind", f"“{milestone.label}” is signed off by {milestone.signer_words()} only; you cannot "
                             "sign it off.")
    elif db.session.scalar(sa.select(MilestoneRecord.id).where(
            MilestoneRecord.student_id == student_id, MilestoneRecord.kind == milestone.code)) is not None:
        problems.add("kind", f"“{milestone.label}” is already signed off. Undo that sign-off first to change it.")
    if completed_on is None:
        problems.add("completed_on", "Enter the date the milestone was passed.")
    elif completed_on > today:
        problems.add("completed_on", "The date cannot be in the future.")
    else:
        problems.check(check_date, completed_on, "completed_on")
    note = (note or "").strip()
    if len(note) > 2000:
        problems.add("note", "Keep the note under 2,000 characters.")
    problems.raise_any()
    record = MilestoneRecord(student_id=student_id, kind=milestone.code, completed_on=completed_on, note=note,
                             signed_by_id=actor.id)
    # Someone may have signed the same milestone off a moment ago (unique per student and kind).
    with unique_or_refuse(f"“{milestone.label}” was just signed off by someone else.", "kind"):
        db.session.add(record)
        db.session.flush()
        history.record(
            actor, "milestone.signed_off", ENTITY, record.id, subject_id=student_id,
            summary=f"Signed off “{milestone.label}” for {enrollment.student.display_name}",
            changes={"kind": milestone.code, "completed_on": completed_on, "note": note},
        )
        mail.milestone_signed_off(student_id, milestone.label, actor.display_name, completed_on, milestones_link)
        db.session.commit()
    return record


def revoke(actor: User, student_id: int, record_id: int) -> str:
    """Undo a sign-off (delete the row); the history keeps what was undone. Returns the milestone's kind (code)."""
    record = db.session.scalar(sa.select(MilestoneRecord).where(
        MilestoneRecord.id == record_id, MilestoneRecord.student_id == student_id))
    if record is None:
        raise ServiceError("That sign-off no longer exists; it may have been undone already.")
    kind = record.kind
    enrollment = load_enrollment(student_id)
    label = milestone_label(enrollment, kind) if enrollment is not None else kind
    try:
        history.record(
            actor, "milestone.revoked", ENTITY, record.id, subject_id=student_id,
            summary=f"Undid the sign-off of “{label}”",
            changes={"kind": kind, "completed_on": record.completed_on, "note": record.note,
                     "signed_by_id": record.signed_by_id, "signed_at": record.signed_at},
        )
        db.session.delete(record)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return kind

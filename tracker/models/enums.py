"""Statuses and choice lists shared by models, forms and templates.

The degree audit's vocabulary lives in tracker.domain (grades, categories, course and session statuses, and each
program's own tracks and milestone kinds); the enums here that name the same values give them labels for pages,
and tests/test_vocabulary.py checks that both name exactly the same codes.
"""
from __future__ import annotations

from ..domain.grades import LETTER_GRADES, PASS_FAIL_GRADES  # noqa: F401  (one source: the domain's)
from .base import LabelledEnum


class Role(LabelledEnum):
    STUDENT = ("student", "Student")
    FACULTY = ("faculty", "Faculty")
    ADMIN = ("admin", "Administrator")


class EnrollmentStatus(LabelledEnum):
    ACTIVE = ("active", "Active")
    ON_LEAVE = ("on_leave", "On leave")
    GRADUATED = ("graduated", "Graduated")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class CourseCategory(LabelledEnum):
    CORE = ("core", "Core")
    CONCENTRATION = ("concentration", "Concentration")
    ELECTIVE = ("elective", "Elective")
    THESIS = ("thesis", "Thesis")
    CAPSTONE = ("capstone", "Capstone")


class CourseStatus(LabelledEnum):
    PLANNED = ("planned", "Planned")
    IN_PROGRESS = ("in_progress", "In progress")
    COMPLETED = ("completed", "Completed")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class SessionStatus(LabelledEnum):
    PENDING = ("pending", "Waiting for review")
    APPROVED = ("approved", "Approved")
    REJECTED = ("rejected", "Rejected")
    NEEDS_CHANGES = ("needs_changes", "Sent back for changes")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class StudioActivity(LabelledEnum):
    TRACKING = ("tracking", "Tracking")
    OVERDUBS = ("overdubs", "Overdubs")
    EDITING = ("editing", "Editing")
    MIXING = ("mixing", "Mixing")
    MASTERING = ("mastering", "Mastering")
    LIVE_SOUND = ("live_sound", "Live sound")
    MAINTENANCE = ("maintenance", "Maintenance")
    ASSISTING = ("assisting", "Assisting")


class StudioRole(LabelledEnum):
    ENGINEER = ("engineer", "Engineer")
    ASSISTANT_ENGINEER = ("assistant_engineer", "Assistant engineer")
    PRODUCER = ("producer", "Producer")
    PERFORMER = ("performer", "Performer")


class EnsembleRole(LabelledEnum):
    PERFORMER = ("performer", "Performer")
    ENGINEER = ("engineer", "Engineer")
    DIRECTORS_ASSISTANT = ("directors_assistant", "Director's assistant")
    PRODUCER = ("producer", "Producer")
    COMPOSER = ("composer", "Composer / arranger")


class ExceptionKind(LabelledEnum):
    SUBSTITUTION = ("substitution", "Substitution")
    WAIVER = ("waiver", "Waiver")
    TRANSFER = ("transfer", "Transfer credit")



class BookingKind(LabelledEnum):
    BOOKING = ("booking", "Booking")
    BLOCK = ("block", "Blocked time")


class BookingStatus(LabelledEnum):
    ACTIVE = ("active", "Booked")
    CANCELLED = ("cancelled", "Cancelled")


class Confirmation(LabelledEnum):
    """A participant's answer to being named in a group session (the one who logged it is confirmed)."""

    CONFIRMED = ("confirmed", "Confirmed")
    AWAITING = ("awaiting", "Waiting for confirmation")
    DECLINED = ("declined", "Declined")


class MailKind(LabelledEnum):
    """What an e-mail is about; each user chooses per kind how (or whether) to receive it."""

    SESSION_REVIEWED = ("session_reviewed", "A supervisor reviewed one of my studio sessions")
    SESSIONS_WAITING = ("sessions_waiting", "Studio sessions are waiting for my review")
    MILESTONE_SIGNED_OFF = ("milestone_signed_off", "One of my milestones was signed off")
    PASSWORD_RESET = ("password_reset", "A password link was issued for my account")
    BOOKING_REMINDER = ("booking_reminder", "Reminders of my studio bookings")


class MailMode(LabelledEnum):
    """How a user receives one kind of e-mail."""

    IMMEDIATE = ("immediate", "Right away")
    DAILY = ("daily", "In one daily summary")
    OFF = ("off", "Never")


class MailStatus(LabelledEnum):
    """Where an outbox message is. HELD messages wait for the recipient's daily summary (`flask tracker
    mail-digest` folds them into one queued message per kind)."""

    HELD = ("held", "Waiting for the daily summary")
    QUEUED = ("queued", "Queued")
    SENDING = ("sending", "Sending")
    SENT = ("sent", "Sent")
    FAILED = ("failed", "Failed")
    MERGED = ("merged", "Sent in a daily summary")

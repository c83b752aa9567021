"""Statuses and choice lists shared by models, forms and templates."""
from __future__ import annotations

from .base import LabelledEnum


class Role(LabelledEnum):
    STUDENT = ("student", "Student")
    FACULTY = ("faculty", "Faculty")
    ADMIN = ("admin", "Administrator")


# The default vocabulary's codes, for code and tests that mean these very values; a program's own tracks and
# milestone kinds are data (tracker.domain.vocabulary), stored as plain strings.
class Track(LabelledEnum):
    THESIS = ("thesis", "Thesis")
    NON_THESIS = ("non_thesis", "Non-thesis")


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


class MilestoneKind(LabelledEnum):
    PROPOSAL = ("proposal", "Thesis proposal approved")
    COMMITTEE = ("committee", "Committee formed")
    DEFENSE = ("defense", "Defense passed")
    DEPOSIT = ("deposit", "Thesis deposited")
    CAPSTONE = ("capstone", "Capstone project passed")
    COMPREHENSIVE_EXAM = ("comprehensive_exam", "Comprehensive exam passed")


class ExceptionKind(LabelledEnum):
    SUBSTITUTION = ("substitution", "Substitution")
    WAIVER = ("waiver", "Waiver")
    TRANSFER = ("transfer", "Transfer credit")


# Letter grades in display order; P/NP are for pass/fail courses.
LETTER_GRADES = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")
PASS_FAIL_GRADES = ("P", "NP")

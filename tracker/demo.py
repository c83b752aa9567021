"""The demo program: terms around today, studios, ensembles, accounts and records at different stages.

Used by `flask tracker seed-demo` (idempotent; refused under the production configuration) and by `make run`
on an empty database. Every demo account uses DEMO_PASSWORD, printed in the README.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from .extensions import db
from .models import (
    Concentration,
    Course,
    CourseCategory,
    CourseRecord,
    CourseStatus,
    Enrollment,
    EnsembleRecord,
    EnsembleRole,
    Ensemble,
    MilestoneRecord,
    Program,
    Role,
    SessionStatus,
    Studio,
    StudioActivity,
    StudioRole,
    StudioSession,
    Term,
    User,
)
from .security import hash_password
from .services import history

DEMO_PASSWORD = "studio-demo-2026"
DEMO_PROGRAM_FILE = Path(__file__).parent / "programs" / "demo.toml"
DOMAIN = "demo.mmtracker.test"

STUDIOS = [
    ("Studio A", "Music Technology Center, room 110 — large tracking room, analog console"),
    ("Studio B", "Music Technology Center, room 120 — mid-size tracking and overdubs"),
    ("Mix Suite C", "Music Technology Center, room 204 — immersive mixing"),
    ("Mastering Room D", "Music Technology Center, room 206"),
]
ENSEMBLES = [
    ("Electronic Music Ensemble", "Live electronics, laptops and modular synthesis."),
    ("Contemporary Jazz Ensemble", "Small-group jazz; engineers record every concert."),
    ("New Music Collective", "Premieres of student compositions with live sound."),
]
FACULTY = [
    ("amoreno", "Prof. Alicia Moreno"),
    ("bokafor", "Dr. Ben Okafor"),
    ("clindqvist", "Dr. Clara Lindqvist"),
]


@dataclass(frozen=True)
class DemoStudent:
    login: str
    name: str
    concentration: str
    track: str
    advisor: str
    start: int  # index into the three demo terms: 0 previous, 1 current, 2 next


STUDENTS = [
    DemoStudent("maya", "Maya Chen", "production", "thesis", "amoreno", 0),
    DemoStudent("ethan", "Ethan Brooks", "production", "thesis", "amoreno", 0),
    DemoStudent("jonah", "Jonah Park", "technical", "non_thesis", "bokafor", 1),
    DemoStudent("priya", "Priya Raman", "acoustical", "thesis", "bokafor", 0),
    DemoStudent("luis", "Luis Ortega", "education", "non_thesis", "clindqvist", 0),
    DemoStudent("sofia", "Sofia Rossi", "composition", "thesis", "clindqvist", 1),
    DemoStudent("amara", "Amara Nwosu", "technical", "thesis", "bokafor", 0),
    DemoStudent("daniel", "Daniel Kim", "production", "non_thesis", "amoreno", 2),
]


def semester_terms(today: date) -> list[tuple[str, date, date]]:
    """The term before the one in progress (or last ended), that term, and the next: spring and fall semesters."""
    terms = []
    for year in range(today.year - 2, today.year + 2):
        terms.append((f"Spring {year}", date(year, 1, 12), date(year, 5, 8)))
        terms.append((f"Fall {year}", date(year, 8, 24), date(year, 12, 18)))
    current = max(i for i, (_, start, _end) in enumerate(terms) if start <= today)
    return terms[current - 1: current + 2]


def _get_or_create(model, where: dict, **values):
    obj = db.session.scalar(sa.select(model).filter_by(**where))
    if obj is None:
        obj = model(**where, **values)
        db.session.add(obj)
        db.session.flush()
        return obj, True
    return obj, False


def seed(today: date | None = None) -> str:
    """Load everything; existing rows (matched by name or email) are kept, so running twice changes nothing."""
    from .services.programs import load_program_text

    today = today or date.today()
    program, _ = load_program_text(DEMO_PROGRAM_FILE.read_text(encoding="utf-8"), actor=None)
    created = {"terms": 0, "studios": 0, "ensembles": 0, "accounts": 0}

    terms = []
    for name, start, end in semester_terms(today):
        term, new = _get_or_create(Term, {"name": name}, start_date=start, end_date=end)
        terms.append(term)
        created["terms"] += new
    studios = []
    for name, location in STUDIOS:
        studio, new = _get_or_create(Studio, {"name": name}, location=location)
        studios.append(studio)
        created["studios"] += new
    ensembles = []
    for name, description in ENSEMBLES:
        ensemble, new = _get_or_create(Ensemble, {"name": name}, description=description)
        ensembles.append(ensemble)
        created["ensembles"] += new

    password_hash = hash_password(DEMO_PASSWORD)
    admin, new = _get_or_create(User, {"email": f"director@{DOMAIN}"}, display_name="Dr. Helena Voss",
                                role=Role.ADMIN, password_hash=password_hash)
    created["accounts"] += new
    faculty = {}
    for login, name in FACULTY:
        user, new = _get_or_create(User, {"email": f"{login}@{DOMAIN}"}, display_name=name, role=Role.FACULTY,
                                   password_hash=password_hash)
        faculty[login] = user
        created["accounts"] += new

    catalog = _Catalog(program)
    for spec in STUDENTS:
        student, new = _get_or_create(User, {"email": f"{spec.login}@{DOMAIN}"}, display_name=spec.name,
                                      role=Role.STUDENT, password_hash=password_hash)
        if not new:
            continue
        created["accounts"] += 1
        conc = db.session.scalar(sa.select(Concentration).where(
            Concentration.program_id == program.id, Concentration.code == spec.concentration))
        db.session.add(Enrollment(student_id=student.id, program_id=program.id, concentration_id=conc.id,
                                  track=spec.track, advisor_id=faculty[spec.advisor].id,
                                  start_term_id=terms[spec.start].id))
        _Records(student, spec, catalog, terms, studios, ensembles, faculty, today).build()
    history.record(admin, "demo.seeded", "program", program.id, summary="Loaded the demo program and accounts",
                   changes=created)
    db.session.commit()
    return ("Demo data ready: " + ", ".join(f"{n} new {k}" for k, n in created.items())
            + f". Log in as director@{DOMAIN} (password {DEMO_PASSWORD}).")


class _Catalog:
    """The demo program's courses by role, looked up by category so the seed follows the TOML file."""

    def __init__(self, program: Program):
        self.program = program
        courses = db.session.scalars(
            sa.select(Course).where(Course.program_id == program.id).order_by(Course.code)).all()
        self.core = [c for c in courses if c.category == CourseCategory.CORE]
        self.electives = [c for c in courses if c.category == CourseCategory.ELECTIVE and not c.pass_fail]
        self.thesis = [c for c in courses if c.category == CourseCategory.THESIS]
        self.capstone = [c for c in courses if c.category == CourseCategory.CAPSTONE]
        self.by_concentration: dict[str, list[Course]] = {}
        for c in courses:
            if c.category == CourseCategory.CONCENTRATION and c.concentration is not None:
                self.by_concentration.setdefault(c.concentration.code, []).append(c)


class _Records:
    """One demo student's courses, ensembles, studio sessions and milestones."""

    def __init__(self, student, spec, catalog, terms, studios, ensembles, faculty, today):
        self.student, self.spec, self.catalog = student, spec, catalog
        self.terms, self.studios, self.ensembles = terms, studios, ensembles
        self.faculty, self.today = faculty, today
        self.advisor = faculty[spec.advisor]

    def event(self, actor, action, entity_type, entity_id, summary, changes, at):
        """A history event dated when the demo change would have happened, so record pages show a history."""
        event = history.record(actor, action, entity_type, entity_id, subject_id=self.student.id, summary=summary,
                               changes=changes)
        event.created_at = at

    def course(self, course, term_index, status, grade=None):
        term = self.terms[term_index]
        record = CourseRecord(student_id=self.student.id, course_id=course.id, term_id=term.id,
                              status=CourseStatus(status), grade=grade)
        db.session.add(record)
        db.session.flush()
        self.event(self.student, "course_record.added", "course_record", record.id,
                   f"Added {course.code} in {term.name} ({record.status.label.lower()})",
                   {"course": course.code, "term": term.name, "status": status, "grade": grade},
                   datetime.combine(min(term.start_date, self.today), time(10), tzinfo=timezone.utc))

    def ensemble(self, index, term_index, role):
        term, ensemble = self.terms[term_index], self.ensembles[index]
        record = EnsembleRecord(student_id=self.student.id, ensemble_id=ensemble.id, term_id=term.id,
                                role=EnsembleRole(role))
        db.session.add(record)
        db.session.flush()
        self.event(self.student, "ensemble_record.added", "ensemble_record", record.id,
                   f"Added {ensemble.name} in {term.name} ({record.role.label.lower()})",
                   {"ensemble": ensemble.name, "term": term.name, "role": role},
                   datetime.combine(min(term.start_date, self.today), time(11), tzinfo=timezone.utc))

    def sessions(self, term_index, count, hours, status, first_day=3, studio=0, project="Thesis EP"):
        """`count` sessions of `hours` each, every third day of the term, never after today."""
        term = self.terms[term_index]
        day = term.start_date + timedelta(days=first_day)
        made = 0
        activities = list(StudioActivity)
        while made < count and day <= min(term.end_date, self.today - timedelta(days=1)):
            if day.weekday() < 5:
                start = time(13, 0) if self.spec.login < "m" else time(9, 0)
                end = (datetime.combine(day, start) + timedelta(hours=hours)).time()
                reviewed = status != SessionStatus.PENDING
                logged_at = datetime.combine(day, end, tzinfo=timezone.utc) + timedelta(hours=3)
                db.session.add(StudioSession(
                    student_id=self.student.id, studio_id=self.studios[(studio + made) % len(self.studios)].id,
                    term_id=term.id, date=day, start_time=start, end_time=end, minutes=int(hours * 60),
                    activity=activities[made % len(activities)], project=project,
                    role=StudioRole.ENGINEER if made % 3 else StudioRole.ASSISTANT_ENGINEER,
                    supervisor_id=self.advisor.id, notes="", status=status,
                    review_note="Please add the session's track list." if status == SessionStatus.NEEDS_CHANGES
                    else ("Overlaps a booking by another class; not supervised." if status == SessionStatus.REJECTED
                          else ""),
                    reviewer_id=self.advisor.id if reviewed else None,
                    reviewed_at=logged_at + timedelta(days=2) if reviewed else None,
                    submitted_at=logged_at, created_at=logged_at,
                ))
                db.session.flush()
                session = db.session.scalar(sa.select(StudioSession).where(
                    StudioSession.student_id == self.student.id, StudioSession.date == day,
                    StudioSession.start_time == start))
                self.event(self.student, "studio_session.logged", "studio_session", session.id,
                           f"Logged {session.hours} h in {session.studio.name} on {day:%Y-%m-%d}",
                           {"date": day, "hours": str(session.hours), "project": project}, logged_at)
                if reviewed:
                    action = {SessionStatus.APPROVED: "approved", SessionStatus.REJECTED: "rejected",
                              SessionStatus.NEEDS_CHANGES: "sent_back"}[status]
                    self.event(self.advisor, f"studio_session.{action}", "studio_session", session.id,
                               f"{action.replace('_', ' ').capitalize()} the session of {day:%Y-%m-%d}",
                               {"status": ["pending", status.value], "review_note": session.review_note},
                               session.reviewed_at)
                made += 1
            day += timedelta(days=3)

    def milestone(self, kind, days_ago):
        record = MilestoneRecord(student_id=self.student.id, kind=kind,
                                 completed_on=self.today - timedelta(days=days_ago),
                                 note="Signed off at the committee meeting.", signed_by_id=self.advisor.id,
                                 signed_at=datetime.combine(self.today - timedelta(days=days_ago), time(15),
                                                            tzinfo=timezone.utc))
        db.session.add(record)
        db.session.flush()
        label = self.catalog.program.vocabulary.milestone_label(kind)
        self.event(self.advisor, "milestone.signed_off", "milestone_record", record.id,
                   f"Signed off “{label}” for {self.student.display_name}",
                   {"kind": kind, "completed_on": record.completed_on, "note": record.note}, record.signed_at)

    def build(self) -> None:
        c, login = self.catalog, self.spec.login
        conc = c.by_concentration.get(self.spec.concentration, [])
        A, P = SessionStatus.APPROVED, SessionStatus.PENDING
        if login == "maya":
            self.course(c.core[0], 0, "completed", "A")
            self.course(c.core[1], 0, "completed", "B+")
            self.course(conc[0], 0, "completed", "A-")
            self.course(c.core[2], 1, "in_progress")
            self.course(c.core[3], 1, "in_progress")
            self.course(conc[1], 1, "in_progress")
            self.course(c.thesis[0], 2, "planned")
            self.ensemble(0, 0, "engineer")
            self.ensemble(0, 1, "engineer")
            self.sessions(0, 11, 4, A)
            self.sessions(1, 7, 4, A)
            self.sessions(1, 2, 3, P, first_day=40)
            self.milestone("proposal", 20)
        elif login == "ethan":
            for i, grade in enumerate(["A", "A-", "B+", "A"]):
                self.course(c.core[i], 0, "completed", grade)
            self.course(conc[0], 0, "completed", "A")
            self.course(conc[1], 0, "completed", "B+")
            self.course(conc[2], 1, "in_progress")
            if len(conc) > 3:
                self.course(conc[3], 1, "in_progress")
            self.course(c.thesis[0], 1, "in_progress")
            self.course(c.electives[0], 1, "in_progress")
            self.course(c.thesis[1], 2, "planned")
            self.ensemble(1, 0, "engineer")
            self.ensemble(1, 1, "engineer")
            self.sessions(0, 11, 4, A, project="Band record: The Lanterns")
            self.sessions(1, 10, 4, A, project="Band record: The Lanterns")
            self.sessions(1, 1, 2.5, P, first_day=50, project="Mix revisions")
            self.milestone("proposal", 120)
            self.milestone("committee", 45)
        elif login == "jonah":
            self.course(c.core[0], 1, "in_progress")
            self.course(conc[0], 1, "in_progress")
            self.course(c.electives[1 % len(c.electives)], 1, "in_progress")
            self.sessions(1, 2, 4, P, project="Console recap project")
            self.sessions(1, 1, 2, SessionStatus.NEEDS_CHANGES, first_day=20, project="Console recap project")
        elif login == "priya":
            self.course(c.core[0], 0, "completed", "B")
            self.course(c.core[1], 0, "completed", "C+")
            self.course(conc[0], 0, "completed", "A")
            self.course(c.core[1], 1, "in_progress")
            self.course(c.core[2], 1, "in_progress")
            self.course(conc[1], 1, "in_progress")
            self.ensemble(2, 0, "performer")
            self.sessions(0, 10, 4, A, project="Concert hall impulse responses")
            self.sessions(1, 1, 5, SessionStatus.REJECTED, project="Concert hall impulse responses")
            self.sessions(1, 3, 4, A, first_day=15, project="Diffuser measurements")
        elif login == "luis":
            self.course(c.core[0], 0, "completed", "A-")
            self.course(c.core[3], 0, "completed", "B")
            self.course(conc[0], 0, "completed", "A")
            self.course(c.electives[0], 0, "withdrawn")
            self.course(c.core[1], 1, "in_progress")
            self.course(conc[1], 1, "in_progress")
            self.course(c.capstone[0], 2, "planned")
            self.ensemble(1, 0, "directors_assistant")
            self.sessions(0, 6, 4, A, project="Teaching-studio recordings")
            self.sessions(1, 2, 3, P, project="Teaching-studio recordings")
        elif login == "sofia":
            self.course(c.core[1], 1, "in_progress")
            self.course(conc[0], 1, "in_progress")
            self.ensemble(2, 1, "composer")
            self.sessions(1, 3, 3, A, project="String quartet session")
            self.sessions(1, 1, 3, P, first_day=30, project="String quartet session")
        elif login == "amara":
            self.course(c.core[0], 0, "completed", "A")
            self.course(c.core[2], 0, "completed", "A-")
            self.course(conc[1], 0, "completed", "B+")
            self.course(c.core[1], 1, "in_progress")
            self.course(conc[0], 1, "in_progress")
            self.ensemble(0, 0, "engineer")
            self.sessions(0, 10, 4.5, A, project="Modular synth library")
            self.sessions(1, 4, 4, A, project="Modular synth library")
        # daniel starts next term: nothing logged yet.
        db.session.flush()

"""Accounts run by the program office: create users and students, import students from CSV, one-time reset links,
advisors, concentration and track changes."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..domain import DEFAULT_VOCABULARY
from ..extensions import db
from ..models import Concentration, Enrollment, PasswordResetToken, Program, Role, Term, User, utcnow
from ..security import hash_password, password_problem
from . import Problems, ServiceError, history, mail, unique_or_refuse
from .accounts import find_user_by_email, normalise_email

RESET_LINK_LIFETIME = timedelta(hours=72)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_IMPORT_ROWS = 2000


def users_query(role: str | None = None, search: str | None = None) -> sa.Select:
    """Users filtered by role and a name/email search, with what the list shows eager-loaded."""
    query = sa.select(User).options(
        joinedload(User.enrollment).joinedload(Enrollment.concentration),
        joinedload(User.enrollment).joinedload(Enrollment.advisor),
    ).order_by(User.display_name, User.id)
    if role:
        query = query.where(User.role == Role(role))
    if search and search.strip():
        needle = search.strip()
        query = query.where(sa.or_(User.display_name.icontains(needle, autoescape=True),
                                   User.email.icontains(needle.lower(), autoescape=True)))
    return query


# ---------------------------------------------------------------- one-time reset links

def hash_reset_token(raw: str) -> str:
    """Only this hash is stored, so a database leak reveals no usable link."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _new_reset_token(user: User, actor: User | None, *, replace_older: bool = True) -> str:
    """Add a reset token for the user (in the caller's transaction); older unused links stop working."""
    now = utcnow()
    if replace_older:
        db.session.execute(
            sa.update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None),
                   PasswordResetToken.expires_at > now)
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )
    raw = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(
        user_id=user.id, token_hash=hash_reset_token(raw), created_by_id=actor.id if actor else None,
        created_at=now, expires_at=now + RESET_LINK_LIFETIME,
    ))
    return raw


def issue_reset_link(user: User, *, actor: User, reset_link: Callable[[str], str] | None = None) -> str:
    """A new one-time password link for the user (valid 72 hours); returns the token to put in the URL. With
    `reset_link` (token -> the link, built by the view) the link is also e-mailed to the user."""
    if not user.active:
        raise ServiceError("This account is deactivated; reactivate it before sending a reset link.")
    raw = _new_reset_token(user, actor)
    history.record(actor, "user.reset_link_issued", "user", user.id,
                   subject_id=user.id if user.is_student else None,
                   summary=f"Issued a password reset link for {user.email}")
    if reset_link is not None:
        mail.password_link(user, reset_link(raw), int(RESET_LINK_LIFETIME.total_seconds() // 3600))
    db.session.commit()
    return raw


def find_reset_token(raw: str) -> PasswordResetToken:
    """The usable token row for a link, or ServiceError saying plainly why the link does not work."""
    token = db.session.scalar(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_reset_token(raw or ""))
        .options(joinedload(PasswordResetToken.user))
    )
    if token is None:
        raise ServiceError("This password link is not valid. Check that you copied the whole link, "
                           "or ask the program office for a new one.")
    if token.used_at is not None:
        raise ServiceError("This password link has already been used. If you need to set your password again, "
                           "ask the program office for a new link.")
    if token.expires_at <= utcnow():
        raise ServiceError("This password link has expired or was replaced by a newer one. "
                           "Ask the program office for a new link.")
    if not token.user.active:
        raise ServiceError("This account is deactivated. Ask the program office to reactivate it.")
    return token


def reset_password(raw: str, new_password: str) -> User:
    """Set a password through a one-time link; the link is spent and every session of the user ends."""
    token = find_reset_token(raw)
    user = token.user
    problem = password_problem(new_password, user.email)
    if problem:
        raise ServiceError(problem, "new_password")
    # Spend the token with a guarded UPDATE, so two simultaneous submissions cannot both use it.
    spent = db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.id == token.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        db.session.rollback()
        raise ServiceError("This password link has already been used.")
    user.password_hash = hash_password(new_password)
    user.rotate_session_token()
    history.record(user, "user.password_reset", "user", user.id, subject_id=user.id if user.is_student else None,
                   summary=f"{user.email} set a password with a one-time link")
    db.session.commit()
    return user


# ---------------------------------------------------------------- creating accounts

@dataclass
class EnrollmentInput:
    """A student's place in a program, as ids and values from a form."""

    program_id: int | None
    concentration_id: int | None
    track: str | None
    start_term_id: int | None
    advisor_id: int | None


def active_faculty() -> list[User]:
    """Faculty who may advise: active faculty accounts, by name."""
    return list(db.session.scalars(
        sa.select(User).where(User.role == Role.FACULTY, User.active.is_(True)).order_by(User.display_name)))


def _advisor(advisor_id: int | None, field_name: str = "advisor_id") -> User:
    advisor = db.session.get(User, int(advisor_id)) if advisor_id else None
    if advisor is None:
        raise ServiceError("Choose the student's advisor.", field_name)
    if advisor.role != Role.FACULTY or not advisor.active:
        raise ServiceError("The advisor must be an active faculty member.", field_name)
    return advisor


def _enrollment_values(data: EnrollmentInput, problems: Problems | None = None) -> dict:
    """Check a new student's program, concentration, track, start term and advisor, every field at once.

    Given `problems`, the refusals are added there for the caller to raise with its own (and the values are
    incomplete when there are any).
    """
    own = problems is None
    problems = Problems() if own else problems
    program = db.session.get(Program, int(data.program_id)) if data.program_id else None
    if program is None:
        problems.add("program_id", "Choose the program.")
    conc = db.session.get(Concentration, int(data.concentration_id)) if data.concentration_id else None
    if program is not None:
        if conc is None or conc.program_id != program.id:
            problems.add("concentration_id", "Choose a concentration of this program.")
        elif not conc.active:
            problems.add("concentration_id", f"The {conc.name} concentration is retired.")
    track = problems.check(_track_of, program, data.track) if program is not None else None
    term = db.session.get(Term, int(data.start_term_id)) if data.start_term_id else None
    if term is None:
        problems.add("start_term_id", "Choose the term the student starts.")
    advisor = problems.check(_advisor, data.advisor_id)
    if own:
        problems.raise_any()
    return {"program": program, "concentration": conc, "track": track, "start_term": term, "advisor": advisor}


def _track_of(program: Program, track: str | None) -> str:
    """A track code the program declares, or a refusal at the track field naming the program's tracks."""
    vocabulary = program.vocabulary
    if track not in vocabulary.track_codes:
        raise ServiceError(f"Choose a track of this program: {_track_words(vocabulary)}.", "track")
    return track


def _track_words(vocabulary) -> str:
    labels = [t.label.lower() for t in vocabulary.tracks]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def program_tracks(program: Program | None) -> list[tuple[str, str]]:
    """(code, label) of a program's tracks (the default tracks when there is no program yet)."""
    tracks = program.vocabulary.tracks if program is not None else DEFAULT_VOCABULARY.tracks
    return [(t.code, t.label) for t in tracks]


def _check_identity(email: str, display_name: str, problems: Problems) -> tuple[str, str]:
    """The normalised email and the name; their refusals go to `problems`."""
    email = normalise_email(email or "")
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        problems.add("email", "Enter a valid email address.")
    elif find_user_by_email(email) is not None:
        problems.add("email", "An account with this email already exists.")
    display_name = (display_name or "").strip()
    if not display_name:
        problems.add("display_name", "Enter the person's name.")
    elif len(display_name) > 120:
        problems.add("display_name", "Use at most 120 characters.")
    return email, display_name


def _add_student(email: str, name: str, values: dict, actor: User, summary: str) -> tuple[User, str]:
    """Add a student, their enrollment, a reset link and the history event (no commit)."""
    user = User(email=email, display_name=name, role=Role.STUDENT, password_hash=None, active=True)
    db.session.add(user)
    db.session.flush()
    db.session.add(Enrollment(student_id=user.id, program_id=values["program"].id,
                              concentration_id=values["concentration"].id, track=values["track"],
                              start_term_id=values["start_term"].id, advisor_id=values["advisor"].id))
    raw = _new_reset_token(user, actor, replace_older=False)
    history.record(actor, "user.created", "user", user.id, subject_id=user.id, summary=summary, changes={
        "email": email, "display_name": name, "role": Role.STUDENT, "program": values["program"].code,
        "concentration": values["concentration"].code, "track": values["track"],
        "start_term": values["start_term"].name, "advisor": values["advisor"].email,
    })
    return user, raw


def create_account(email: str, display_name: str, role: str, *, actor: User,
                   enrollment: EnrollmentInput | None = None) -> tuple[User, str]:
    """Create a user without a password (students with their enrollment); returns the user and a reset token."""
    problems = Problems()
    email, display_name = _check_identity(email, display_name, problems)
    try:
        role = Role(role)
    except ValueError:
        problems.add("role", "Choose a role.")
    if role == Role.STUDENT:
        if enrollment is None:
            problems.add("program_id", "Choose the program.")
        else:
            values = _enrollment_values(enrollment, problems)
    problems.raise_any()
    with unique_or_refuse("An account with this email already exists.", "email"):
        if role == Role.STUDENT:
            user, raw = _add_student(email, display_name, values, actor, f"Created student {email}")
        else:
            user = User(email=email, display_name=display_name, role=role, password_hash=None, active=True)
            db.session.add(user)
            db.session.flush()
            raw = _new_reset_token(user, actor, replace_older=False)
            history.record(actor, "user.created", "user", user.id, summary=f"Created {role.label.lower()} {email}",
                           changes={"email": email, "display_name": display_name, "role": role})
        db.session.commit()
    return user, raw


# ---------------------------------------------------------------- advisors, concentration, track

def _enrollment_of(student: User) -> Enrollment:
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.student_id == student.id))
    if enrollment is None:
        raise ServiceError(f"{student.display_name} is not enrolled in a program.")
    return enrollment


def assign_advisor(student: User, advisor_id: int | None, *, actor: User) -> None:
    """Give a student an advisor (an active faculty member)."""
    enrollment = _enrollment_of(student)
    advisor = _advisor(advisor_id, "advisor_id")
    if enrollment.advisor_id == advisor.id:
        return
    old = enrollment.advisor
    enrollment.advisor_id = advisor.id
    history.record(actor, "enrollment.advisor_changed", "enrollment", enrollment.id, subject_id=student.id,
                   summary=f"Advisor of {student.email}: {old.display_name if old else 'none'} → "
                           f"{advisor.display_name}",
                   changes={"advisor": [old.email if old else None, advisor.email]})
    db.session.commit()


def change_enrollment(student: User, concentration_id: int | None, track: str | None, *, actor: User) -> None:
    """Move a student to another concentration and/or track of their program."""
    enrollment = _enrollment_of(student)
    problems = Problems()
    conc = db.session.get(Concentration, int(concentration_id)) if concentration_id else None
    if conc is None or conc.program_id != enrollment.program_id:
        problems.add("concentration_id", "Choose a concentration of the student's program.")
    elif not conc.active and conc.id != enrollment.concentration_id:
        problems.add("concentration_id", f"The {conc.name} concentration is retired.")
    new_track = problems.check(_track_of, enrollment.program, track)
    problems.raise_any()
    changes = {}
    if conc.id != enrollment.concentration_id:
        changes["concentration"] = [enrollment.concentration.code, conc.code]
    if new_track != enrollment.track:
        changes["track"] = [enrollment.track, new_track]
    if not changes:
        return
    enrollment.concentration_id, enrollment.track = conc.id, new_track
    words = ", ".join(f"{k} {old} → {new}" for k, (old, new) in changes.items())
    history.record(actor, "enrollment.changed", "enrollment", enrollment.id, subject_id=student.id,
                   summary=f"Changed {student.email}: {words}", changes=changes)
    db.session.commit()


# ---------------------------------------------------------------- CSV import

IMPORT_COLUMNS = ("email", "name", "concentration", "track", "start term", "advisor")
_HEADER_ALIASES = {
    "e-mail": "email", "email address": "email", "display name": "name", "full name": "name",
    "start": "start term", "start_term": "start term", "term": "start term", "advisor email": "advisor",
    "advisor_email": "advisor",
}


def _track_names(program: Program) -> dict[str, str]:
    """What a CSV may write for each of the program's tracks: its code or label, any case, '-', '_' or ' ' alike."""
    names: dict[str, str] = {}
    for t in program.vocabulary.tracks:
        for name in (t.code, t.label):
            key = _track_key(name)
            names.setdefault(key, t.code)
            names.setdefault(key.replace(" ", ""), t.code)
    return names


def _track_key(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


@dataclass
class RowProblem:
    """One thing wrong with the file: the row as a spreadsheet numbers it (header = 1), the column, the problem."""

    row: int
    column: str
    problem: str


@dataclass
class ImportRow:
    """A good row, resolved to the database objects it names."""

    row: int
    email: str
    name: str
    concentration: Concentration
    track: str  # a track code of the program
    track_label: str
    start_term: Term
    advisor: User


@dataclass
class ImportPlan:
    """The dry run: the rows that would be created and every problem found."""

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    total_rows: int = 0

    @property
    def ok(self) -> bool:
        """True when the file may be imported: some rows and no problem."""
        return not self.problems and bool(self.rows)


class ImportRefused(ServiceError):
    """The file has problems; nothing was written."""

    def __init__(self, plan: ImportPlan):
        super().__init__(f"The file has {len(plan.problems)} problem(s); nothing was imported.", "csv_file")
        self.plan = plan


def _header_name(raw: str) -> str:
    name = re.sub(r"\s+", " ", (raw or "").strip().lower().replace("_", " "))
    return _HEADER_ALIASES.get(name, name)


def plan_import(text: str, program: Program | None) -> ImportPlan:
    """Check a CSV of students without writing anything; a constant number of queries whatever its length."""
    plan = ImportPlan()
    if program is None:
        plan.problems.append(RowProblem(1, "program", "choose the program the students join"))
        return plan
    reader = csv.reader(io.StringIO(text or ""))
    try:
        header = next(reader, None)
        raw_rows = list(reader)
    except csv.Error as err:
        plan.problems.append(RowProblem(1, "file", f"not a readable CSV file ({err})"))
        return plan
    if not header or not any(cell.strip() for cell in header):
        plan.problems.append(RowProblem(1, "file", "the file is empty; the first row must name the columns"))
        return plan
    names = [_header_name(h) for h in header]
    index = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)
    missing = [c for c in IMPORT_COLUMNS if c not in index]
    for column in missing:
        plan.problems.append(RowProblem(1, column, f"missing column “{column}”"))
    if missing:
        return plan
    rows = [(n, r) for n, r in enumerate(raw_rows, start=2) if any(cell.strip() for cell in r)]
    plan.total_rows = len(rows)
    if not rows:
        plan.problems.append(RowProblem(2, "file", "the file has a header but no students"))
        return plan
    if len(rows) > MAX_IMPORT_ROWS:
        plan.problems.append(RowProblem(1, "file", f"at most {MAX_IMPORT_ROWS} students per file"))
        return plan

    def cell(r: list[str], column: str) -> str:
        position = index[column]
        return r[position].strip() if position < len(r) else ""

    emails = {normalise_email(cell(r, "email")) for _, r in rows}
    advisor_emails = {normalise_email(cell(r, "advisor")) for _, r in rows}
    existing = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    advisors = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(advisor_emails)))}
    concentrations = list(db.session.scalars(sa.select(Concentration).where(Concentration.program_id == program.id)))
    by_code = {c.code.lower(): c for c in concentrations}
    track_names = _track_names(program)
    by_name = {c.name.lower(): c for c in concentrations}
    terms = {t.name.lower(): t for t in db.session.scalars(sa.select(Term))}
    seen: dict[str, int] = {}

    for number, r in rows:
        problems: list[RowProblem] = []

        def problem(column: str, message: str) -> None:
            problems.append(RowProblem(number, column, message))

        values = {c: cell(r, c) for c in IMPORT_COLUMNS}
        for column in IMPORT_COLUMNS:
            if not values[column]:
                problem(column, "missing value")
        email = normalise_email(values["email"])
        if email:
            if not EMAIL_PATTERN.match(email) or len(email) > 254:
                problem("email", f"“{values['email']}” is not a valid email address")
            elif email in seen:
                problem("email", f"{email} appears twice in the file (also row {seen[email]})")
            elif email in existing:
                problem("email", f"an account with {email} already exists")
            seen.setdefault(email, number)
        if len(values["name"]) > 120:
            problem("name", "longer than 120 characters")
        conc = None
        if values["concentration"]:
            key = values["concentration"].lower()
            conc = by_code.get(key) or by_name.get(key)
            if conc is None:
                problem("concentration", f"unknown concentration “{values['concentration']}” in {program.code}")
            elif not conc.active:
                problem("concentration", f"the {conc.name} concentration is retired")
        track = None
        if values["track"]:
            key = _track_key(values["track"])
            track = track_names.get(key) or track_names.get(key.replace(" ", ""))
            if track is None:
                problem("track", f"“{values['track']}” is not a track of {program.code}; write "
                                 f"{_track_words(program.vocabulary)}")
        term = None
        if values["start term"]:
            term = terms.get(values["start term"].lower())
            if term is None:
                problem("start term", f"unknown term “{values['start term']}”")
        advisor = None
        if values["advisor"]:
            advisor = advisors.get(normalise_email(values["advisor"]))
            if advisor is None:
                problem("advisor", f"no account with the email {values['advisor']}")
            elif advisor.role != Role.FACULTY or not advisor.active:
                problem("advisor", f"{advisor.email} is not an active faculty member")
        if problems:
            plan.problems.extend(problems)
        else:
            plan.rows.append(ImportRow(number, email, values["name"], conc, track,
                                       program.vocabulary.track_label(track), term, advisor))
    return plan


def apply_import(text: str, program: Program | None, *, actor: User) -> list[tuple[User, str]]:
    """Create every student of a checked CSV in one transaction, or nothing when any row is bad."""
    plan = plan_import(text, program)
    if not plan.ok:
        raise ImportRefused(plan)
    created = []
    with unique_or_refuse("Another account with one of these emails was created meanwhile; nothing was imported. "
                          "Check the file again.", "csv_file"):
        for row in plan.rows:
            values = {"program": program, "concentration": row.concentration, "track": row.track,
                      "start_term": row.start_term, "advisor": row.advisor}
            created.append(_add_student(row.email, row.name, values, actor,
                                        f"Created student {row.email} (CSV import, row {row.row})"))
        db.session.commit()
    return created

"""Program setup by an administrator: terms, studios, ensembles, concentrations and the course catalog."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    Concentration,
    Course,
    CourseCategory,
    Ensemble,
    EnsembleRecord,
    EnsembleRole,
    HistoryEvent,
    Studio,
    Term,
)


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def events(action: str) -> list[HistoryEvent]:
    return list(db.session.scalars(sa.select(HistoryEvent).where(HistoryEvent.action == action)))


def gone(model, object_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(model, object_id) is None


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# ---------------------------------------------------------------- terms

def test_add_a_term(client, admin):
    response = client.post_form("/admin/terms", {"name": "Fall 2030", "start_date": "2030-08-26",
                                                  "end_date": "2030-12-13"})
    assert response.status_code == 302
    term = db.session.scalar(sa.select(Term).where(Term.name == "Fall 2030"))
    assert term.start_date == date(2030, 8, 26) and not term.closed
    page = client.get("/admin/terms").get_data(as_text=True)
    assert "Fall 2030" in page and "Added Fall 2030." in page
    [event] = events("term.created")
    assert event.actor_id == admin.id and event.changes["name"] == "Fall 2030"


@pytest.mark.parametrize("data, message", [
    ({"name": "Spring 2031", "start_date": "2031-05-01", "end_date": "2031-01-10"}, "must end after it starts"),
    ({"name": "fall 2030", "start_date": "2031-01-01", "end_date": "2031-05-01"}, "already a term called Fall 2030"),
    ({"name": "Overlap", "start_date": "2030-12-01", "end_date": "2031-02-01"}, "overlap Fall 2030"),
    ({"name": "", "start_date": "2031-01-01", "end_date": "2031-05-01"}, "This field is required"),
])
def test_term_refusals_keep_the_input(client, admin, make_term, data, message):
    make_term("Fall 2030", date(2030, 8, 26), date(2030, 12, 13))
    response = client.post_form("/admin/terms", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Term.id))) == 1
    assert not events("term.created")


def test_edit_a_term_records_old_and_new(client, admin, make_term):
    term = make_term("Fall 2030", date(2030, 8, 26), date(2030, 12, 13))
    response = client.post_form(f"/admin/terms/{term.id}/edit", {"name": "Autumn 2030", "start_date": "2030-08-26",
                                                                  "end_date": "2030-12-20"})
    assert response.status_code == 302
    assert reload(term).name == "Autumn 2030"
    [event] = events("term.updated")
    assert event.changes == {"name": ["Fall 2030", "Autumn 2030"], "end_date": ["2030-12-13", "2030-12-20"]}


def test_term_dates_must_keep_its_sessions(client, admin, make_term, make_student, make_user, make_session):
    term = make_term()
    session = make_session(make_student(), make_user("faculty"), term=term)
    response = client.post_form(f"/admin/terms/{term.id}/edit", {
        "name": term.name, "start_date": (session.date + timedelta(days=1)).isoformat(),
        "end_date": term.end_date.isoformat()})
    assert response.status_code == 200
    assert "the term&#39;s dates must include them" in response.get_data(as_text=True)


def test_close_and_reopen_a_term(client, admin, make_term):
    term = make_term()
    page = client.get("/admin/terms").get_data(as_text=True)
    assert f'action="/admin/terms/{term.id}/close"' in page and "data-confirm=" in page
    assert client.post_form(f"/admin/terms/{term.id}/close").status_code == 302
    term = reload(term)
    assert term.closed and term.closed_at is not None
    assert client.post_form(f"/admin/terms/{term.id}/close").status_code == 302  # refused, flashed
    assert "already closed" in client.get("/admin/terms").get_data(as_text=True)
    assert client.post_form(f"/admin/terms/{term.id}/reopen").status_code == 302
    term = reload(term)
    assert not term.closed and term.closed_at is None
    assert [e.changes for e in events("term.closed")] == [{"closed": [False, True]}]
    assert [e.changes for e in events("term.reopened")] == [{"closed": [True, False]}]


def test_close_is_post_only(client, admin, make_term):
    term = make_term()
    assert client.get(f"/admin/terms/{term.id}/close").status_code == 405


def test_delete_an_unused_term(client, admin, make_term):
    term = make_term()
    assert client.post_form(f"/admin/terms/{term.id}/delete").status_code == 302
    assert gone(Term, term.id)
    assert events("term.deleted")


@pytest.mark.parametrize("use", ["course", "ensemble", "studio", "start"])
def test_a_term_with_records_is_never_deleted(client, admin, make_term, make_student, make_user, make_course,
                                              make_course_record, make_ensemble, make_session, use):
    term = make_term()
    if use == "course":
        make_course_record(make_student(), make_course(), term)
    elif use == "ensemble":
        db.session.add(EnsembleRecord(student_id=make_student().id, ensemble_id=make_ensemble().id, term_id=term.id,
                                      role=EnsembleRole.PERFORMER))
        db.session.commit()
    elif use == "studio":
        make_session(make_student(), make_user("faculty"), term=term)
    else:
        make_student(start_term=term)
    page = client.get("/admin/terms").get_data(as_text=True)
    assert f"/admin/terms/{term.id}/delete" not in page
    client.post_form(f"/admin/terms/{term.id}/delete")
    assert reload(term) is not None
    assert "cannot be deleted" in client.get("/admin/terms").get_data(as_text=True)
    assert not events("term.deleted")


def test_unknown_term_is_404(client, admin):
    assert client.get("/admin/terms/9999/edit").status_code == 404
    assert client.post_form("/admin/terms/9999/close").status_code == 404


# ---------------------------------------------------------------- studios and ensembles

def test_studio_add_edit_retire_reactivate(client, admin):
    client.post_form("/admin/studios", {"name": "Studio A", "location": "Room 101"})
    studio = db.session.scalar(sa.select(Studio))
    assert studio.name == "Studio A" and studio.active
    client.post_form(f"/admin/studios/{studio.id}/edit", {"name": "Studio A", "location": "Room 102"})
    assert reload(studio).location == "Room 102"
    page = client.get("/admin/studios").get_data(as_text=True)
    assert "data-confirm=" in page
    client.post_form(f"/admin/studios/{studio.id}/retire")
    assert reload(studio).active is False
    client.post_form(f"/admin/studios/{studio.id}/reactivate")
    assert reload(studio).active is True
    actions = [e.action for e in db.session.scalars(sa.select(HistoryEvent).order_by(HistoryEvent.id))]
    assert actions == ["studio.created", "studio.updated", "studio.retired", "studio.reactivated"]


def test_duplicate_studio_name_is_refused(client, admin, make_studio):
    make_studio("Studio A")
    response = client.post_form("/admin/studios", {"name": "studio a", "location": ""})
    assert response.status_code == 200
    assert "already a studio with this name" in response.get_data(as_text=True)


def test_studio_in_use_cannot_be_deleted(client, admin, make_studio, make_student, make_user, make_session):
    used = make_studio("Used")
    unused = make_studio("Unused")
    make_session(make_student(), make_user("faculty"), studio=used)
    client.post_form(f"/admin/studios/{used.id}/delete")
    assert reload(used) is not None
    assert "retire it instead" in client.get("/admin/studios").get_data(as_text=True)
    client.post_form(f"/admin/studios/{unused.id}/delete")
    assert gone(Studio, unused.id)


def test_ensemble_add_edit_retire_delete(client, admin, make_ensemble, make_student, make_term):
    client.post_form("/admin/ensembles", {"name": "Jazz Orchestra", "description": "Big band"})
    ensemble = db.session.scalar(sa.select(Ensemble).where(Ensemble.name == "Jazz Orchestra"))
    client.post_form(f"/admin/ensembles/{ensemble.id}/edit", {"name": "Jazz Orchestra I", "description": "Big band"})
    assert reload(ensemble).name == "Jazz Orchestra I"
    client.post_form(f"/admin/ensembles/{ensemble.id}/retire")
    assert reload(ensemble).active is False
    db.session.add(EnsembleRecord(student_id=make_student().id, ensemble_id=ensemble.id, term_id=make_term().id,
                                  role=EnsembleRole.PERFORMER))
    db.session.commit()
    client.post_form(f"/admin/ensembles/{ensemble.id}/delete")
    assert reload(ensemble) is not None
    spare = make_ensemble("Spare")
    client.post_form(f"/admin/ensembles/{spare.id}/delete")
    assert gone(Ensemble, spare.id)
    assert events("ensemble.deleted") and events("ensemble.retired")


# ---------------------------------------------------------------- concentrations

def test_add_rename_and_retire_a_concentration(client, admin, make_program):
    program = make_program()
    client.post_form("/admin/concentrations", {"program_id": program.id, "code": "film", "name": "Film Scoring"})
    conc = db.session.scalar(sa.select(Concentration).where(Concentration.code == "film"))
    assert conc.name == "Film Scoring" and conc.active
    client.post_form(f"/admin/concentrations/{conc.id}/edit", {"name": "Scoring for Media"})
    assert reload(conc).name == "Scoring for Media" and conc.code == "film"
    client.post_form(f"/admin/concentrations/{conc.id}/retire")
    assert reload(conc).active is False
    [renamed] = events("concentration.renamed")
    assert renamed.changes == {"name": ["Film Scoring", "Scoring for Media"]}


@pytest.mark.parametrize("data, message", [
    ({"code": "production", "name": "Other"}, "already has a concentration with the code production"),
    ({"code": "Bad Code!", "name": "Other"}, "Use lower-case letters"),
    ({"code": "other", "name": "production"}, "already has a concentration called production"),
])
def test_concentration_refusals(client, admin, make_program, data, message):
    program = make_program()
    response = client.post_form("/admin/concentrations", {"program_id": program.id, **data})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert not events("concentration.created")


# ---------------------------------------------------------------- courses

def test_add_a_course(client, admin, make_program):
    program = make_program()
    production = db.session.scalar(sa.select(Concentration).where(Concentration.code == "production"))
    response = client.post_form("/admin/catalog/new", {
        "program_id": program.id, "code": "mpt  699", "title": "Immersive Audio", "credits": "3",
        "category": "concentration", "concentration_id": production.id, "description": "Atmos and beyond"})
    assert response.status_code == 302
    course = db.session.scalar(sa.select(Course).where(Course.code == "MPT 699"))
    assert course.category == CourseCategory.CONCENTRATION and course.concentration_id == production.id
    assert "MPT 699" in client.get("/admin/catalog").get_data(as_text=True)


@pytest.mark.parametrize("data, field_message", [
    ({"category": "concentration", "concentration_id": ""}, "needs its concentration"),
    ({"credits": "0"}, "positive number"),
    ({"code": "MPT 601"}, "already has a course MPT 601"),
])
def test_course_refusals(client, admin, make_program, make_course, data, field_message):
    program = make_program()
    make_course("MPT 601", program=program)
    form = {"program_id": program.id, "code": "MPT 700", "title": "New", "credits": "3", "category": "elective",
            "concentration_id": ""}
    form.update(data)
    response = client.post_form("/admin/catalog/new", form)
    assert response.status_code == 200
    assert field_message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 1


def test_edit_retire_and_reactivate_a_course(client, admin, make_course):
    course = make_course("MPT 610", title="Old title", credits=3, category="elective")
    client.post_form(f"/admin/catalog/{course.id}/edit", {"title": "New title", "credits": "2", "category": "elective",
                                                           "concentration_id": "", "description": ""})
    course = reload(course)
    assert course.title == "New title" and course.credits == 2 and course.code == "MPT 610"
    [event] = events("course.updated")
    assert event.changes["title"] == ["Old title", "New title"]
    client.post_form(f"/admin/catalog/{course.id}/retire")
    assert reload(course).active is False
    assert "Retired" in client.get("/admin/catalog?state=retired").get_data(as_text=True)
    client.post_form(f"/admin/catalog/{course.id}/reactivate")
    assert reload(course).active is True


def test_a_course_with_records_is_never_deleted(client, admin, make_course, make_course_record, make_student,
                                                make_term):
    taken = make_course("MPT 620")
    make_course_record(make_student(), taken, make_term())
    spare = make_course("MPT 621")
    assert f"/admin/catalog/{taken.id}/delete" not in client.get("/admin/catalog").get_data(as_text=True)
    client.post_form(f"/admin/catalog/{taken.id}/delete")
    assert reload(taken) is not None
    client.post_form(f"/admin/catalog/{spare.id}/delete")
    assert gone(Course, spare.id)


def test_course_list_filters(client, admin, make_course):
    make_course("MPT 601", title="Record Analysis")
    make_course("MPT 602", title="Music Style", active=False)
    page = client.get("/admin/catalog?q=record").get_data(as_text=True)
    assert "Record Analysis" in page and "Music Style" not in page
    page = client.get("/admin/catalog?state=retired").get_data(as_text=True)
    assert "Music Style" in page and "Record Analysis" not in page


@pytest.mark.parametrize("url", ["/admin/terms", "/admin/studios", "/admin/ensembles", "/admin/concentrations",
                                 "/admin/catalog"])
def test_list_pages_cost_the_same_at_any_size(client, admin, make_program, make_term, make_studio, make_ensemble,
                                              make_course, count_queries, url):
    program = make_program()

    def add(n: int) -> None:
        base = date(2000, 1, 1) + timedelta(days=400 * db.session.scalar(sa.select(sa.func.count(Term.id))))
        for i in range(n):
            make_term(start=base + timedelta(days=i * 10), end=base + timedelta(days=i * 10 + 5))
            make_studio()
            make_ensemble()
            make_course(program=program)
            db.session.add(Concentration(program_id=program.id, code=f"c{db.session.scalar(sa.select(sa.func.count(Concentration.id)))}",
                                         name=f"Conc {i} {url}"))
            db.session.commit()

    add(3)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    add(30)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert large.count == small.count

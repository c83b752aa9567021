"""The query-argument parsers, the NUL guard, the bounded id converter and url_with's allow-list."""
from __future__ import annotations

from datetime import date

import pytest
from flask import url_for

from tracker.query_args import (
    MAX_ID,
    MAX_PAGE,
    filter_args,
    id_arg,
    page_arg,
    parse_count,
    parse_date,
    parse_id,
    parse_text,
)
from tracker.templating import url_with


@pytest.mark.parametrize("raw, expected", [
    ("1", 1), ("42", 42), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), (str(10**30), None), ("0", None),
    ("-1", None), (" 1", None), ("1 ", None), ("", None), (None, None), ("²", None), ("١٢", None), ("1\x00", None),
    ("1e3", None), ("0x10", None), (5, 5), (True, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("0", 0), ("7", 7), (str(MAX_ID + 1), None), ("-1", None), ("", None), ("x", None),
])
def test_parse_count(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("2026-03-01", date(2026, 3, 1)), ("9999-12-31", None), ("0001-01-01", None), ("99999-01-01", None),
    ("2026-02-30", None), ("2026-3-1", None), ("", None), (None, None), ("2026-03-01\x00", None),
    (date(2026, 3, 1), date(2026, 3, 1)), (date.max, None),
])
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_parse_text_strips_nul_and_bounds_length():
    assert parse_text("  a\x00b  ") == "ab"
    assert len(parse_text("x" * 5000)) == 200
    assert parse_text(None) == ""


@pytest.mark.parametrize("query, expected", [
    ("", 1), ("page=3", 3), ("page=0", 1), ("page=-2", 1), ("page=x", 1), ("page=%C2%B2", 1),
    ("page=9223372036854775807", MAX_PAGE), ("page=99999999999999999999999", MAX_PAGE),
])
def test_page_arg(app, query, expected):
    with app.test_request_context(f"/?{query}"):
        assert page_arg() == expected


def test_id_arg_and_filter_args(app):
    with app.test_request_context(f"/review?student_id={2**63}&studio_id=3&_method=DELETE&_external=1&evil=1"
                                  "&page=2"):
        assert id_arg("student_id") is None
        assert id_arg("studio_id") == 3
        assert filter_args() == {"studio_id": "3", "student_id": str(2**63), "page": "2"}


def test_url_with_drops_url_for_keywords(app):
    with app.test_request_context("/review?_method=DELETE&_external=1&_anchor=x&studio_id=3&page=2",
                                  headers={"Host": "evil.example"}):
        app.preprocess_request()
        url = url_with(page=3)
    assert url.startswith("/review?")
    assert "_method" not in url and "_external" not in url and "evil" not in url and "#" not in url
    assert "studio_id=3" in url and "page=3" in url


def test_url_with_ignores_a_query_argument_named_like_a_path_variable(app):
    with app.test_request_context("/progress/students/5/what-if?student_id=7&track=thesis"):
        app.preprocess_request()
        assert url_with() == url_for("progress.student_what_if", student_id=5, track="thesis")


@pytest.mark.parametrize("path", ["/courses/9223372036854775808/edit", f"/studio/sessions/{10**30}",
                                  f"/progress/students/{2**63}", f"/admin/users/{2**64}"])
def test_impossible_path_ids_are_404(client, login_as, path):
    login_as("admin")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("url, status", [
    ("/auth/reset/abc%00def", 404), ("/auth/login?next=%00", 400), ("/review?student_id=1%00", 400),
    ("/admin/history?q=%00", 400),
])
def test_nul_in_path_or_query_is_refused(client, url, status):
    assert client.get(url).status_code == status


def test_student_sent_to_own_what_if_keeps_only_the_form_arguments(client, login_as):
    student = login_as("student")
    response = client.get(f"/progress/students/{student.id}/what-if?track=thesis&_external=1&_method=DELETE")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/progress/what-if?") and "_method" not in location and "_external" not in location

"""A service refusal carries one problem or several; attach_error puts each next to its field, the rest on top."""
from flask_wtf import FlaskForm
from wtforms import StringField

from tracker.forms import attach_error
from tracker.services import Problems, ServiceError


class _Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        csrf = False

    title = StringField("Title")
    code = StringField("Code")


def test_one_message_is_one_problem():
    err = ServiceError("Enter the title.", field="title")
    assert err.problems == [("title", "Enter the title.")]
    assert (err.field, err.message, str(err)) == ("title", "Enter the title.", "Enter the title.")
    assert ServiceError("Refused.").problems == [(None, "Refused.")]


def test_many_problems_keep_their_order_and_the_first_is_the_message():
    err = ServiceError.many([("code", "Enter the code."), (None, "Nothing was saved."), ("title", "Too long.")])
    assert err.problems == [("code", "Enter the code."), (None, "Nothing was saved."), ("title", "Too long.")]
    assert (err.field, err.message) == ("code", "Enter the code.")
    assert str(err) == "Enter the code. Nothing was saved. Too long."


def test_problems_raise_nothing_when_empty_and_everything_at_once_otherwise():
    problems = Problems()
    problems.raise_any()
    problems.add("title", "Enter the title.")
    problems.add("code", "Enter the code.")
    assert problems.has("code") and not problems.has("other")
    try:
        problems.raise_any()
    except ServiceError as err:
        assert err.problems == [("title", "Enter the title."), ("code", "Enter the code.")]
    else:
        raise AssertionError("no refusal")


def test_attach_error_puts_every_problem_at_its_field_and_unknown_or_none_on_top(app):
    with app.test_request_context(method="POST", data={"title": "x", "code": "y"}):
        form = _Form()
        form.validate()
        attach_error(form, ServiceError.many([
            ("title", "Too short."), ("code", "Taken."), ("title", "Odd."), (None, "Refused."), ("nope", "Lost?"),
        ]))
        assert form.title.errors == ["Too short.", "Odd."]
        assert form.code.errors == ["Taken."]
        assert form.form_errors == ["Refused.", "Lost?"]
        assert form.title.data == "x" and form.code.data == "y"

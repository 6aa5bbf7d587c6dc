"""A comment the response page refuses says what is wrong with the comment, beside its box, and
leaves the page as the counsellor was reading it (the participant's language beside theirs)."""

from __future__ import annotations

import html as html_lib
import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Comment, Participant

from .conftest import csrf_token, mapping_sent

BESIDE = 'class="second-lang" lang="fa" dir="rtl"'


def _persian_participant_sent_the_mapping(app, world) -> str:
    with app.app_context():
        db.session.get(Participant, world.p1).language = "fa"
        db.session.commit()
    return mapping_sent(app, world.p1)


def _comment_form_action(page: str) -> str:
    """Where the page's comment form posts to, as a browser reads it."""
    match = re.search(r'<form method="post" action="([^"]*/comments[^"]*)"', page)
    assert match, "no comment form"
    return html_lib.unescape(match.group(1))


def _comment_field(page: str) -> str:
    start = page.index('<form method="post" action="', page.index('id="comments"'))
    return page[start : page.index("</form>", start)]


def test_an_empty_comment_is_refused_beside_its_box_and_the_page_stays_side_by_side(
    app, world, as_actor
):
    rid = _persian_participant_sent_the_mapping(app, world)
    client = as_actor(app, "c1")
    page_url = f"/responses/{rid}?beside=1"
    page = client.get(page_url).get_data(as_text=True)
    assert BESIDE in page and "Show only my language" in page

    action = _comment_form_action(page)
    token = csrf_token(client, page_url)
    refused = client.post(action, data={"csrf_token": token, "kind": "note", "body": "  \n "})
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    # The page as it was: Persian beside English, and the link to show one language only.
    assert BESIDE in shown and "Show only my language" in shown
    # The summary names what was refused, not "answers" (the questionnaire's heading), and
    # the comment box carries the reason.
    summary = shown[shown.index('class="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "The comment was not added" in summary and "Please check these answers" not in summary
    field = _comment_field(shown)
    assert 'id="body-error"' in field and 'aria-invalid="true"' in field
    assert "A comment cannot be empty: write it in the box." in field
    with app.app_context():
        assert db.session.scalars(sa.select(Comment)).all() == []

    # Written, it is added, and the page comes back side by side.
    token = csrf_token(client, page_url)
    added = client.post(action, data={"csrf_token": token, "kind": "note", "body": "Ring tolk"})
    assert added.status_code == 302 and "beside=1" in added.headers["Location"]
    after = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Ring tolk" in after and BESIDE in after


def test_emptying_a_comment_while_changing_it_is_refused_with_the_same_words(app, world, as_actor):
    rid = _persian_participant_sent_the_mapping(app, world)
    client = as_actor(app, "c1")
    page_url = f"/responses/{rid}?beside=1"
    action = _comment_form_action(client.get(page_url).get_data(as_text=True))
    client.post(action, data={"csrf_token": csrf_token(client, page_url), "body": "Ring tolk"})
    page = client.get(page_url).get_data(as_text=True)
    edit_url = html_lib.unescape(re.search(r'href="([^"]*/comments/\d+[^"]*)"', page).group(1))
    assert "beside=1" in edit_url  # the way back to the answers keeps the view as well
    token = csrf_token(client, edit_url)
    refused = client.post(edit_url, data={"csrf_token": token, "body": ""})
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert "The comment was not changed" in shown and "Please check these answers" not in shown
    assert "A comment cannot be empty: write it in the box." in shown
    back = re.search(r'href="([^"]*)">Back to the answers', shown).group(1)
    assert "beside=1" in html_lib.unescape(back)
    with app.app_context():
        assert db.session.scalars(sa.select(Comment.body)).all() == ["Ring tolk"]

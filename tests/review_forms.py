"""The counsellor's review form as a browser posts it: read from the page as rendered (the
status it starts from, the note, the follow-up message, the state it was opened on), changed
where a test says so, and sent."""

from __future__ import annotations

import re
from html import unescape


def review_form(client, rid: str) -> dict[str, str]:
    """Return what the review form on the response page would send, unchanged."""
    html = client.get(f"/responses/{rid}").get_data(as_text=True)
    return form_fields(html)


def form_fields(html: str) -> dict[str, str]:
    """The review form's fields in a response page (its last form, after the comments)."""
    form = html[html.index('id="review-heading"') :]
    form = form[: form.index("</form>")]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', form)
    seen = re.search(r'name="seen"[^>]*value="([^"]*)"', form)
    status = re.search(r'<option selected value="([^"]+)"', form)
    note = re.search(r'<textarea[^>]*name="note"[^>]*>(.*?)</textarea>', form, re.S)
    message = re.search(r'<textarea[^>]*name="message"[^>]*>(.*?)</textarea>', form, re.S)
    fields = {
        "csrf_token": token.group(1),
        "seen": unescape(seen.group(1)) if seen else "",
        "status": status.group(1),
        "note": unescape(note.group(1)).strip("\r\n") if note else "",
    }
    if message:  # not on the counsellor's own questionnaires
        fields["message"] = unescape(message.group(1)).strip("\r\n")
    return fields


def post_review(client, rid: str, fields: dict[str, str] | None = None, **changes: str):
    """Post the review form: ``fields`` as read earlier (an older tab), or as the page shows it
    now, with ``changes`` typed in."""
    data = dict(fields if fields is not None else review_form(client, rid))
    data.update(changes)
    return client.post(f"/responses/{rid}", data=data)

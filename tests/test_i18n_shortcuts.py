"""The pages' quicker ways to Flask-Babel's texts and dates (webapp/i18n.py) say exactly what
Flask-Babel says, in every shipped language, also inside ``force_locale``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import render_template_string
from flask_babel import force_locale, format_date, format_datetime, gettext, lazy_gettext, ngettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp import i18n
from webapp.config import LANGUAGES
from webapp.counsellor.forms import CaseloadForm

PAGE = "{{ _('Never') }}|{{ _('Participants found: %(count)s', count=3) }}|{{ ngettext('%(num)s day', '%(num)s days', 2) }}"  # noqa: E501


def expected_page() -> str:
    return "|".join(
        (
            gettext("Never"),
            gettext("Participants found: %(count)s", count=3),
            ngettext("%(num)s day", "%(num)s days", 2),
        )
    )


def test_the_pages_use_the_quicker_filters(base_app):
    assert base_app.jinja_env.filters["dateformat"] is i18n.date_filter
    assert base_app.jinja_env.filters["datetimeformat"] is i18n.datetime_filter


def test_a_page_is_in_the_request_language_and_in_a_forced_one_and_back(base_app):
    for lang in LANGUAGES:
        other = "ar" if lang != "ar" else "uk"
        asked = {"Accept-Language": lang.replace("_", "-")}
        with base_app.test_request_context("/", headers=asked):
            page = render_template_string(PAGE)  # the catalog is now remembered
            assert page == expected_page()
            assert "Never" not in page or lang == "en", lang
            with force_locale(other):
                forced = render_template_string(PAGE)
                assert forced == expected_page() and forced != page
            assert render_template_string(PAGE) == page


moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))
# Around the nights the clocks change, where a time zone's offset is easiest to get wrong.
changes = st.sampled_from(
    [datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]
).flatmap(lambda at: st.integers(-180, 180).map(lambda m: at + timedelta(minutes=m)))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lang=st.sampled_from(LANGUAGES),
    name=st.sampled_from(i18n.NAMED_FORMATS),
    moment=moments | changes,
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
)
def test_dates_and_times_read_as_flask_babel_writes_them(base_app, lang, name, moment, day):
    """As Flask-Babel writes them in the language, or in the locale that writes the language's
    dates as Norway does: English as en_NO; the short ones (digits only) of the languages the
    browser has no formats for as bokmål's, as the app writes them."""
    bokmal = lang in i18n.SHORT_AS_BOKMAL and name == "short"
    like = {"en": "en_NO"}.get(lang, "nb" if bokmal else lang)
    with base_app.test_request_context("/"), force_locale(lang):
        ours = (
            i18n.datetime_filter(moment, name),
            i18n.date_filter(moment, name),
            i18n.date_filter(day, name),
        )
    with base_app.test_request_context("/"), force_locale(like):
        theirs = (
            format_datetime(moment, name),
            format_date(moment, name),
            format_date(day, name),
        )
    assert ours == theirs


#: How each shipped language writes 09:05 on the 4th of December 2026 in Oslo (short): day
#: first or year first, never month first, and as the app on the phone writes it (in bokmål's
#: way where the browser has no formats for the language; tests/browser/test_features.py).
SHORT_DATES = {
    "nb": "04.12.2026, 09:05",
    "nn": "04.12.2026, 09:05",
    "en": "04/12/2026, 09:05",
    "ar": "4\u200f/12\u200f/2026\u060c 9:05 \u0635",
    "ti": "04.12.2026, 09:05",
    "so": "04.12.2026, 09:05",
    "uk": "04.12.26, 09:05",
    "fa": "2026/12/4\u060c\u200f 9:05",
    "fa_AF": "2026/12/4\u060c\u200f 9:05",
    "ps": "04.12.2026, 09:05",
    "ckb": "04.12.2026, 09:05",
}


def test_no_language_writes_a_date_month_first(base_app):
    """Plain English (12/4/26, 9:05 AM) and Tigrinya (12/4/26) would: a counsellor in Norway
    reads the 12th of April."""
    assert sorted(SHORT_DATES) == sorted(LANGUAGES)
    moment = datetime(2026, 12, 4, 8, 5, tzinfo=UTC)
    for lang, expected in SHORT_DATES.items():
        with base_app.test_request_context("/"), force_locale(lang):
            assert i18n.datetime_filter(moment, "short") == expected, lang
            assert expected.startswith(i18n.date_filter(moment.date(), "short")), lang
    with base_app.test_request_context("/"), force_locale("en"):
        assert i18n.date_filter(moment, "long") == "4 December 2026"
        today = i18n.date_filter(None, "short")  # no value: today, as Flask-Babel's
    with base_app.test_request_context("/"), force_locale("en_NO"):
        assert today == format_date(None, "short")


def test_other_formats_and_no_value_are_flask_babels(base_app):
    moment = datetime(2026, 12, 3, 23, 5, tzinfo=UTC)
    with base_app.test_request_context("/"), force_locale("nb"):
        assert i18n.datetime_filter(moment, "d. MMM HH:mm") == "4. des. 00:05"
        assert i18n.date_filter(moment, "yyyy-MM-dd") == "2026-12-04"
        assert i18n.date_filter(None, "short") == format_date(None, "short")


LAZY = [("Never", {}), ("Participants found: %(count)s", {"count": 3}), ("Sort by", {})]


def test_lazy_texts_read_as_flask_babels_in_every_language_and_a_forced_one(base_app):
    for lang in LANGUAGES:
        asked = {"Accept-Language": lang.replace("_", "-")}
        with base_app.test_request_context("/", headers=asked):
            for text, variables in LAZY:
                ours, theirs = i18n.lazy_gettext(text, **variables), lazy_gettext(text, **variables)
                assert str(ours) == str(theirs) and ours == theirs, (lang, text)
                assert i18n.gettext(text, **variables) == gettext(text, **variables)
            before = str(i18n.lazy_gettext("Never"))
            with force_locale("ar" if lang != "ar" else "uk"):
                forced = str(i18n.lazy_gettext("Never"))
                assert forced == str(lazy_gettext("Never")) == gettext("Never") != before
            assert str(i18n.lazy_gettext("Never")) == str(lazy_gettext("Never"))


def test_the_forms_labels_are_the_quicker_lazy_texts(base_app):
    with base_app.test_request_context("/", headers={"Accept-Language": "nb"}):
        form = CaseloadForm(meta={"csrf": False})
        assert form.sort.label.text._func is i18n.gettext
        assert str(form.sort.label.text) == gettext(form.sort.label.text._args[0])

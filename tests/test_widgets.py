"""The quick select widget writes exactly what WTForms' own would (webapp/rendering/widgets.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from wtforms import Form, SelectChoice, SelectField
from wtforms.fields.choices import Choice
from wtforms.widgets import Select as WTFormsSelect

from webapp.rendering.widgets import Select

texts = st.text(alphabet=st.sampled_from("ab\"<>&'\u0627 -_"), max_size=6)
attribute_names = st.sampled_from(["lang", "dir", "class_", "data_code", "aria_label", "title"])
attribute_values = st.one_of(texts, st.booleans(), st.integers(-3, 3))
options = st.builds(
    Choice,
    value=st.one_of(texts, st.integers(-5, 5), st.booleans()),
    label=st.one_of(st.none(), texts),
    selected=st.booleans(),
    render_kw=st.one_of(st.none(), st.dictionaries(attribute_names, attribute_values, max_size=3)),
)


@given(options)
def test_an_option_is_written_as_wtforms_writes_it(choice):
    assert Select.render_option(choice) == WTFormsSelect.render_option(choice)


@given(options, st.dictionaries(attribute_names, attribute_values, max_size=2))
def test_extra_attributes_from_the_caller_take_wtforms_own_path(choice, extra):
    assert Select.render_option(choice, **extra) == WTFormsSelect.render_option(choice, **extra)


CHOICES = [SelectChoice("", "Any"), SelectChoice("a&b", 'Say "hi"'), SelectChoice("c", "<c>")]


def test_a_whole_select_is_the_same_and_keeps_the_choice_and_escapes_labels():
    class Quick(Form):
        pick = SelectField(choices=CHOICES, widget=Select())

    class Plain(Form):
        pick = SelectField(choices=CHOICES)

    quick, plain = Quick(data={"pick": "a&b"}), Plain(data={"pick": "a&b"})
    html = quick.pick(**{"aria-describedby": "help"})
    assert html == plain.pick(**{"aria-describedby": "help"})
    assert '<option selected value="a&amp;b">Say &#34;hi&#34;</option>' in html
    assert "&lt;c&gt;" in html and "<c>" not in html

"""What the builder tells an administrator, in their language: problems and refused edits.

The checker (``webapp/questionnaires/check.py``) names its rules with a code; here each code
becomes a sentence that says what to fix, with what it is about (a question's name, a value)
from the problem's params. Every rule of the checker has a code with a sentence here
(``tests/test_problem_messages.py``); a problem from a rule added later without one would be
shown with the checker's technical reason, so nothing is hidden. A refused answer pattern
(``questionnaires/patterns.py``) brings its own hint, a sentence marked with ``N_`` there that
names the regular expression's construct and what to write instead; it is translated here.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from ..i18n import language_name, own_name
from ..i18n import lazy_gettext as _l
from ..questionnaires import Problem
from ..questionnaires.editing import EditError, element_of
from ..questionnaires.pictograms import PICTOGRAMS

# Sentences both a refused edit and a problem in a document use.
BAD_ID = _l("A name must start with a letter a–z and have only letters a–z, digits and _ .")
GROUP_IN_GROUP = _l("A group of questions cannot contain another group.")
CONDITION_IN_GROUP = _l(
    "A question inside a group cannot have a condition of its own. Put the condition on the group."
)
SOURCE_LANGUAGE_NEEDED = _l(
    "The language the questionnaire is written in must stay among its languages."
)
EDITS_UNKNOWN_WIDGET = _l("“%(widget)s” is not a question type here.")
OPERATOR_NOT_FOR_WIDGET = _l("This kind of rule does not fit the question “%(question)s”.")
PROBLEMS_UNKNOWN_LANGUAGE = _l(
    "“%(lang)s” is not a language code Løype knows. Use a code such as nb, en, ar or fa_AF."
)
TOO_MANY_OPTIONS = _l(
    "A question can have at most %(limit)s answer options. For a long list, use the "
    "question type Country or Language, or a text answer."
)

PROBLEMS = {
    "condition_unknown_question": _l(
        "This condition uses the question “%(question)s”, which does not exist any more. "
        "Choose another question or remove the condition."
    ),
    "condition_cycle": _l(
        "These conditions depend on each other in a circle (%(cycle)s). Remove one of them."
    ),
    "no_title": _l("This question has no text. Write the question."),
    "option_no_title": _l("An answer option has no text. Write it or remove the option."),
    "duplicate_option": _l(
        "The question “%(question)s” has two answer options with the same value, %(value)s. "
        "Give each option its own value."
    ),
    "same_option_text": _l(
        "The question “%(question)s” has two answer options with the same text, “%(option)s”. "
        "Participants cannot tell them apart: change one of them."
    ),
    "same_option_text_translated": _l(
        "In %(language)s, the question “%(question)s” has two answer options with the same "
        "text, “%(option)s”. Participants cannot tell them apart: change one of the translations."
    ),
    "duplicate_id": _l("The name “%(id)s” is used twice. Each one needs its own name."),
    "empty_section": _l("This section has no questions yet."),
    "no_options": _l("This question needs at least one answer option."),
    "no_questions": _l("The questionnaire has no questions yet."),
    "json": _l(
        "The JSON text cannot be read (line %(line)s, column %(column)s). "
        "It is kept as you wrote it: correct it to go on."
    ),
    "json_object": _l("The JSON text must be one questionnaire: an object in curly braces."),
    "audience": _l(
        "“audience” must stay “%(audience)s”: a questionnaire cannot change who fills it in. "
        "For the other audience, import the file as a new questionnaire."
    ),
    "too_many_options": TOO_MANY_OPTIONS,
    "unknown_language": PROBLEMS_UNKNOWN_LANGUAGE,
    "option_value": _l(
        "The value of this answer option, %(value)s, cannot be stored with an answer. Use a "
        "text, or a whole number when the question's answers are numbers."
    ),
    "value_never_answer": _l(
        "%(value)s can never be an answer to this question: it does not fit the question's own "
        "type, length, pattern, range or date format. Remove it, or change those rules."
    ),
    "pattern": _l("This answer pattern cannot be used on every phone: %(reason)s"),
    "unreadable": _l(
        "This text holds a character that cannot be stored (a NUL or a lone surrogate, "
        "\\u0000 or \\ud800–\\udfff). Remove it."
    ),
    "ref_remote": _l(
        "The $ref “%(ref)s” points outside this questionnaire. A $ref must start with #, for "
        "example #/$defs/name."
    ),
    "ref_percent": _l(
        "The $ref “%(ref)s” contains %%. Name the definition without %% and refer to it plainly."
    ),
    "ref_nowhere": _l(
        "The $ref “%(ref)s” points nowhere. Point it to a schema, for example #/$defs/name."
    ),
    "ref_cycle": _l(
        "These $refs lead back to where they start without describing an answer. Point one of "
        "them at a schema that describes the answer."
    ),
    "ref_siblings": _l(
        "Keywords beside a $ref (%(keywords)s) are not read. Move them into the definition the "
        "$ref points to."
    ),
    "required_unknown": _l(
        "“%(id)s” is required, but there is no question of that name here. Remove it from required."
    ),
    "inexact_number": _l(
        "A phone cannot hold the number %(number)s exactly. Use whole numbers between "
        "-%(limit)s and %(limit)s."
    ),
    "multiple_of": _l(
        "Write multipleOf as the whole number %(number)s, without a decimal point or exponent."
    ),
    "unknown_keyword": _l(
        "“%(keyword)s” is not among the JSON Schema keywords Løype supports. Remove it, or see "
        "the questionnaire format for the ones it supports."
    ),
    "nested_keyword": _l(
        "%(keyword)s may only be written at the top of the schema. Remove it here."
    ),
    "additional_properties": _l(
        "additionalProperties may only be false: every answer must belong to a question."
    ),
    "unknown_format": _l("The format “%(format)s” is not supported. Only date is."),
    "question_object": _l("A question must be a JSON Schema object, in curly braces."),
    "no_widget": _l(
        "It is not clear which type of question “%(id)s” is. Name its type (widget) in ui."
    ),
    "unknown_widget": EDITS_UNKNOWN_WIDGET,
    "info_widget": _l("Info texts belong in ui.info, not among the questions."),
    "widget_schema": _l(
        "The schema of this question does not fit its type, “%(widget)s”. See the "
        "questionnaire format for what each type of question needs."
    ),
    "group_in_group": GROUP_IN_GROUP,
    "icons_no_options": _l(
        "The question “%(question)s” has no answer options to put pictograms on."
    ),
    "no_such_option": _l("The question “%(question)s” has no answer option “%(value)s”."),
    "operator_not_for_widget": OPERATOR_NOT_FOR_WIDGET,
    "never_answer": _l(
        "The question “%(question)s” can never have the answer %(value)s, so this condition "
        "never holds."
    ),
    "too_few_options": _l(
        "The question “%(question)s” asks for at least %(min)s choices but has only "
        "%(count)s answer options. Lower the fewest choices or add options."
    ),
    "limits_crossed": _l(
        "“%(low_name)s” (%(low)s) and “%(high_name)s” (%(high)s) leave no answer that fits. "
        "Change one of them."
    ),
    "unknown_pictogram": _l("There is no pictogram called “%(icon)s”."),
    "layout_unknown": _l(
        "“%(id)s” is placed in the layout, but there is no question with that name."
    ),
    "bad_id": BAD_ID,
    "condition_in_group": CONDITION_IN_GROUP,
    "question_and_info": _l("The name “%(id)s” is used by a question and by an info text."),
    "not_placed": _l("The question “%(id)s” is in no section. Place it in a section."),
    "info_not_placed": _l("The info text “%(id)s” is in no section. Place it in a section."),
    "source_language_needed": SOURCE_LANGUAGE_NEEDED,
    "translation_unlisted": _l(
        "There are translations into “%(lang)s”, which is not among the questionnaire's "
        "languages. Add the language or remove the translations."
    ),
    "translation_of_source": _l(
        "The language the questionnaire is written in has no translations: its texts are "
        "written in place."
    ),
    "translation_unknown_text": _l(
        "This translation is of a text the questionnaire does not have (any more). Remove it."
    ),
    # The meta-schema's rules (``structure.<keyword>``), chosen by ``_code`` below.
    "structure.required": _l("“%(name)s” is missing here. Add it."),
    "structure.additionalProperties": _l(
        "“%(name)s” does not belong here. Remove it, or check how it is spelt."
    ),
    "structure.type": _l("This is not the kind of value that belongs here."),
    "structure.type.object": _l("This must be an object, in curly braces { }."),
    "structure.type.array": _l("This must be a list, in square brackets [ ]."),
    "structure.type.string": _l("This must be a text, in double quotes."),
    "structure.type.integer": _l("This must be a whole number."),
    "structure.type.boolean": _l("This must be true or false."),
    "structure.type.string|number|boolean": _l("This must be a text, a number, or true or false."),
    "structure.type.string|number": _l("This must be a text or a number."),
    "structure.const": _l("This must be %(value)s."),
    "structure.enum": _l("This must be one of %(values)s."),
    "structure.pattern.id": _l(
        "“%(value)s” cannot be a name. A name must start with a letter a–z and have only "
        "letters a–z, digits and _ ."
    ),
    "structure.pattern.language": PROBLEMS_UNKNOWN_LANGUAGE,
    "structure.pattern.slug": _l(
        "“%(value)s” cannot be the questionnaire's short name (slug). Use 2 to 63 letters a–z, "
        "digits and -, starting with a letter."
    ),
    "structure.pattern.tag": _l(
        "“%(value)s” cannot be a resource tag. Use letters a–z, digits and -, starting with a "
        "letter."
    ),
    "structure.pattern.text_pointer": _l(
        "“%(value)s” is not the place of a text: it must start with /, for example /title."
    ),
    "structure.pattern.other": _l("“%(value)s” is not written as it must be here."),
    "structure.minItems": _l("This list cannot be empty."),
    "structure.minLength": _l("This text cannot be empty."),
    "structure.minimum": _l("This must be %(limit)s or more."),
    "structure.uniqueItems": _l("Each entry of this list may appear only once."),
    "structure.oneOf": _l(
        "This is not a condition. Write all, any or not, or a question with equals, in, "
        "contains or answered."
    ),
    # The answers' JSON Schema itself (``schema.<keyword>``): one sentence for all of them.
    "schema": _l(
        "The answers' JSON Schema is not valid at “%(keyword)s”. See the questionnaire format "
        "for what may be written there."
    ),
}
OTHER = _l("This is not as the questionnaire format expects: %(reason)s")
# Said beside a file's problems when the check stopped at some of them (``stopped_early``
# in questionnaires/check.py): the rules after them have not looked at the file yet.
CHECK_STOPPED = _l(
    "Some of these problems keep the rest of the file from being checked. More problems may "
    "appear once they are fixed."
)

EDITS = {
    "id_taken": _l("The name “%(id)s” is taken. Choose another one."),
    "bad_id": BAD_ID,
    "id_published": _l(
        "This question has been published, so its name cannot change any more: answers are "
        "stored under it."
    ),
    "value_taken": _l("Another option has the value “%(value)s”."),
    "value_published": _l(
        "This question has been published, so the values of its answer options cannot change "
        "any more: answers are stored with them."
    ),
    "cannot_move": _l("It cannot move further that way."),
    "condition_on_itself": _l("A question cannot be shown or hidden by its own answer."),
    "no_question": _l("That question does not exist any more. Reload the page."),
    "no_section": _l("That section does not exist any more. Reload the page."),
    "title_needed": _l("Please write a text."),
    "group_in_group": GROUP_IN_GROUP,
    "group_has_children": _l("Remove the questions in the group before changing its type."),
    "json_pending": _l("Correct the JSON text first; it has not been read yet."),
    "wrong_shape": _l(
        "Parts of the JSON text are not of the kind the builder can change (see Problems). "
        "Correct them in the JSON text first. Nothing was saved."
    ),
    "too_large": _l("The questionnaire would be too large. Nothing was saved."),
    "po_unreadable": _l(
        "This is not a PO file (the translation files made with “Download PO file”). "
        "Nothing was changed."
    ),
    "no_text": _l("That text does not exist any more. Reload the page."),
    "unknown_language": PROBLEMS["unknown_language"],
    "source_language_needed": SOURCE_LANGUAGE_NEEDED,
    "option_value": _l("The value of an answer option must be a text or a whole number."),
    "too_many_options": TOO_MANY_OPTIONS,
    "no_option": _l("That answer option does not exist any more. Reload the page."),
    "no_options": _l("This question has no answer options."),
    "no_such_option": _l(
        "The question “%(question)s” has no answer option “%(value)s” any more. Reload the page."
    ),
    "bad_condition": _l("This condition is not complete: choose a question and an answer."),
    "operator_not_for_widget": OPERATOR_NOT_FOR_WIDGET,
    "condition_in_group": CONDITION_IN_GROUP,
    "limit_not_for_widget": _l("This limit does not fit this type of question."),
    "not_a_group": _l("“%(question)s” is not a group of questions."),
    "unknown_widget": EDITS_UNKNOWN_WIDGET,
    "bad_value": _l("This value cannot be used for “%(field)s”. Nothing was saved."),
    "not_editable": _l(
        "The JSON text has no layout (“ui”) that the builder can change. Correct it in the "
        "JSON text first."
    ),
    "unknown_field": _l("“%(field)s” cannot be changed here. Nothing was saved."),
    "stale": _l(
        "Someone saved this questionnaire since you opened it. Your change was not saved. "
        "Here is what changed; reload to see it and make your change again."
    ),
}
UPLOADS = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is too large for one questionnaire. Nothing was changed."),
    "encoding": _l("The file is not text in UTF-8. Save it as UTF-8 and try again."),
    "json": _l(
        "The file is not valid JSON (line %(line)s, column %(column)s). Nothing was changed."
    ),
    "json_object": _l("The file must hold one questionnaire: a JSON object in curly braces."),
    "not_questionnaire": _l(
        "The file is JSON, but not a questionnaire: it has no “schema” and “ui”. Nothing was "
        "changed."
    ),
    "xls": _l("This is an old Excel file (.xls). Save it as .xlsx and try again."),
    "not_spreadsheet": _l(
        "The file is not a spreadsheet that can be read (.xlsx). Nothing was imported."
    ),
    "no_survey": _l("The spreadsheet has no “survey” sheet, so it is not an XLSForm."),
    "no_type_column": _l("The “survey” sheet has no “type” column, so it is not an XLSForm."),
    "audience": _l(
        "The file is for the other kind of questionnaire (filled in by the participant or by "
        "the counsellor). Import it as a new questionnaire instead."
    ),
}


XLSFORM_REPORT = {
    "column": _l("Column “%(column)s” is not imported."),
    "setting": _l("Setting “%(column)s” is not imported."),
    "metadata": _l("“%(type)s” is filled in by ODK itself, not asked: not imported."),
    "type": _l("The question type “%(type)s” has no counterpart here: the row is not imported."),
    "relevant": _l(
        "The condition “%(expression)s” cannot be written as “Show only when”: the question "
        "is always shown. Add the condition in the builder."
    ),
    "constraint": _l(
        "The rule “%(expression)s” is not a limit the questionnaire has: not imported."
    ),
    "required": _l("“required” is “%(expression)s”, not yes or no: the answer is not required."),
    "renamed": _l("The name “%(name)s” became “%(id)s”."),
    "no_choices": _l("The list “%(list)s” has no choices: the question is not imported."),
    "choice_incomplete": _l("A choice without a list name or a name: not imported."),
    "nested_group": _l(
        "A group inside a group or a repeat: its questions are imported into the page around it."
    ),
    "nested_repeat": _l(
        "A repeat inside a repeat: its questions are imported into the repeat around it."
    ),
    "note_in_repeat": _l("A note inside a repeat: not imported."),
    "unbalanced": _l("A group or repeat that begins or ends without its pair."),
}


def report_line(line: Any) -> str:
    """Return one line of an XLSForm import report in words."""
    message = XLSFORM_REPORT.get(line.code)
    return str(message) % dict(line.params) if message is not None else line.code


def upload_message(code: str, params: dict[str, Any] | None = None) -> str:
    message = UPLOADS.get(code)
    if message is None:
        return str(EDIT_OTHER)
    return str(message) % params if params else str(message)


EDIT_OTHER = _l("This change cannot be made here. Nothing was saved.")


def _code(problem: Problem) -> str:
    if problem.code == "structure.minItems" and problem.pointer.endswith("/items"):
        return "empty_section"
    if problem.code in ("structure.minItems", "structure.minProperties") and (
        problem.pointer in ("/ui/sections", "/schema/properties")
    ):
        return "no_questions"
    if problem.code == "schema.minItems" and problem.pointer.endswith(("/oneOf", "/anyOf")):
        return "no_options"
    if problem.code.startswith("schema."):
        return "schema"
    params = dict(problem.params)
    if problem.code == "structure.type":
        specific = f"structure.type.{params.get('expected')}"
        return specific if specific in PROBLEMS else problem.code
    if problem.code == "structure.pattern":
        return f"structure.pattern.{params.get('what', 'other')}"
    return problem.code


def _pattern_hint(params: dict[str, str]) -> str:
    """Return a refused answer pattern's hint in the reader's language (else in English)."""
    try:
        return _(params["hint"]) % params
    except (KeyError, TypeError, ValueError):
        return params.get("reason", "")


def problem_message(problem: Problem) -> str:
    """Return a problem as a sentence in the reader's language (its params filled in)."""
    message = PROBLEMS.get(_code(problem))
    if message is not None:
        params = dict(problem.params)
        if problem.code == "pattern":
            params["reason"] = _pattern_hint(params)
        if "lang" in params:
            # A language by its name in the reader's language ("engelsk", not "en").
            params["language"] = language_name(params["lang"], str(get_locale() or "en"))
        if problem.code == "limits_crossed":
            # The limits by the names the builder's fields give them (a keyword without one,
            # such as exclusiveMinimum, by itself).
            labels = page_strings()
            for key in ("low_name", "high_name"):
                params[key] = labels.get(f"limit_{params.get(key)}", params.get(key, ""))
        try:
            return str(message) % params
        except (KeyError, TypeError, ValueError):
            pass  # a sentence whose params the problem lacks: say the reason rather than fail
    return str(OTHER) % {"reason": problem.reason}


def problem_view(problem: Problem) -> dict[str, Any]:
    """Return a problem as the builder shows it: where, at which element, and what to do."""
    return {
        "pointer": problem.pointer,
        "element": element_of(problem.pointer),
        "message": problem_message(problem),
    }


def _title(node: Any) -> str:
    title = node.get("title") if isinstance(node, dict) else None
    return title.strip() if isinstance(title, str) else ""


def place_name(document: Any, element: dict[str, str]) -> str:
    """Return the name an administrator knows an element by: a question's or a section's
    title (its id when it has none), the questionnaire's title for the rest. The JSON text
    may have given any part another shape: what cannot be read is named by its id."""
    document = document if isinstance(document, dict) else {}
    schema = document.get("schema") if isinstance(document.get("schema"), dict) else {}
    ui = document.get("ui") if isinstance(document.get("ui"), dict) else {}
    if element.get("kind") == "question":
        parent, _slash, child = element.get("id", "").partition("/")
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        node = properties.get(parent)
        if child:
            items = node.get("items") if isinstance(node, dict) else None
            children = items.get("properties") if isinstance(items, dict) else None
            node = children.get(child) if isinstance(children, dict) else None
        return _title(node) or element.get("id", "")
    if element.get("kind") == "section":
        sections = ui.get("sections") if isinstance(ui.get("sections"), list) else []
        try:
            section = sections[int(element.get("index", ""))]
        except (ValueError, IndexError):
            section = None
        if not isinstance(section, dict):
            return ""
        return _title(section) or str(section.get("id", ""))
    if element.get("kind") == "translation":
        return own_name(element.get("lang", ""))
    title = document.get("title")
    return title.strip() if isinstance(title, str) else ""


def problem_views(problems: list[Problem], document: Any) -> list[dict[str, Any]]:
    """Return a document's problems as the builder and the publish page show them: each
    sentence once per element (a questionnaire without questions breaks two rules, no
    question in the schema and no section in the layout, that say the same), with the name
    of the element it is in (``place``) for the administrator, and their JSON Pointers
    (``pointers``) for the JSON text."""
    views: dict[tuple[str, str], dict[str, Any]] = {}
    for problem in problems:
        view = problem_view(problem)
        key = (view["message"], json.dumps(view["element"], sort_keys=True))
        if key in views:
            if problem.pointer not in views[key]["pointers"]:
                views[key]["pointers"].append(problem.pointer)
            continue
        view["pointers"] = [problem.pointer]
        view["place"] = place_name(document, view["element"])
        views[key] = view
    return list(views.values())


def edit_message(error: EditError | str) -> str:
    code = error if isinstance(error, str) else error.code
    params = {} if isinstance(error, str) else {k: str(v) for k, v in error.params.items()}
    message = EDITS.get(code)
    if message is None:
        return str(EDIT_OTHER)
    try:
        return str(message) % params if "%(" in str(message) else str(message)
    except KeyError:
        return str(EDIT_OTHER)


def change_words(summary: dict[str, Any]) -> str:
    """Return one saved change in words, for the list shown when an edit came too late."""
    if summary.get("op") == "json":
        return _("The JSON text was edited.")
    return _("Changed: %(target)s", target=summary.get("target") or "")


def widget_names() -> list[tuple[str, str]]:
    """Return the question types the builder offers, by their name for administrators."""
    return [
        ("text", _("Short text")),
        ("textarea", _("Long text")),
        ("number", _("Number")),
        ("date", _("Date")),
        ("choice", _("One of several options")),
        ("multichoice", _("Several options")),
        ("yesno", _("Yes or no")),
        ("scale", _("Scale")),
        ("country", _("Country")),
        ("language", _("Language")),
        ("group", _("Group of questions (repeatable)")),
    ]


def pictogram_names() -> list[tuple[str, str]]:
    """Return the shipped pictograms by their names in the administrator's language, in the
    order of those names (their keys are the file names, in English)."""
    names = {
        "car": _("Car"),
        "certificate": _("Certificate"),
        "check": _("Tick"),
        "children": _("Children"),
        "computer": _("Computer"),
        "document": _("Document"),
        "education": _("Education"),
        "family": _("Family"),
        "goal": _("Goal"),
        "health": _("Health"),
        "heart": _("Heart"),
        "home": _("Home"),
        "info": _("Information"),
        "language": _("Language"),
        "map": _("Map"),
        "money": _("Money"),
        "norwegian": _("Norwegian"),
        "people": _("People"),
        "phone": _("Phone"),
        "question": _("Question"),
        "school": _("School"),
        "time": _("Time"),
        "tools": _("Tools"),
        "work": _("Work"),
    }
    # A pictogram added without a name here is still offered, by its key.
    named = [(key, names.get(key, key)) for key in PICTOGRAMS]
    return sorted(named, key=lambda pair: (pair[1].casefold(), pair[0]))


def page_strings() -> dict[str, str]:
    """Return the texts the builder's script shows, in the administrator's language."""
    return {
        "saved": _("Saved."),
        "offline": _("The server cannot be reached. Nothing was saved; try again."),
        "failed": _("Something went wrong. Nothing was saved; try again."),
        "reload": _("Reload"),
        "questionnaire": _("Questionnaire"),
        "up": _("Move up"),
        "down": _("Move down"),
        "moved_up": _("Moved up: %(name)s"),
        "moved_down": _("Moved down: %(name)s"),
        "duplicate": _("Duplicate"),
        "delete": _("Delete"),
        "deleted": _("Deleted: %(name)s"),
        "added": _("Added: %(name)s"),
        "confirm_delete": _("Delete “%(name)s”?"),
        "gone": _("This element does not exist any more."),
        "check_stopped": str(CHECK_STOPPED),
        "add_question": _("Add question"),
        "add_to_group": _("Add a question to the group"),
        "type": _("Question type"),
        "type_published": _(
            "This question is published: a type whose answers look different cannot be "
            "published under the same name."
        ),
        "question_text": _("Question"),
        "title_needed": _("Please write a text."),
        "title": _("Title"),
        "description": _("Description"),
        "languages": _("Languages"),
        "icon": _("Pictogram"),
        "none": _("None"),
        "help": _("Help text"),
        "placeholder": _("Example in the empty field"),
        "required": _("An answer is required"),
        "name": _("Name (used to store the answers)"),
        "name_published": _("Published: the name cannot change any more."),
        "rename": _("Change name"),
        "limit_minimum": _("Smallest number"),
        "limit_maximum": _("Largest number"),
        "limit_minLength": _("Fewest characters"),
        "limit_maxLength": _("Most characters"),
        "limit_minItems": _("Fewest choices or entries"),
        "limit_maxItems": _("Most choices or entries"),
        "pattern": _("Answer pattern (regular expression)"),
        "pattern_help": _("For example ^[0-9]{4}$ for four digits. Leave empty for any answer."),
        "pattern_try": _("Type an example answer"),
        "pattern_yes": _("The phone accepts this answer."),
        "pattern_no": _("The phone does not accept this answer."),
        "min_label": _("Text at the lowest value"),
        "max_label": _("Text at the highest value"),
        "yes": _("Yes"),
        "no": _("No"),
        "move_to": _("Move to section"),
        "move": _("Move"),
        "resource_tags": _("Resource tags"),
        "tags_for": _("Resource tags for “%(option)s”"),
        "tags_help": _("Separate tags with commas."),
        "options": _("Answer options"),
        "option_legend": _("Option %(number)s: %(option)s"),
        "option_text": _("Text"),
        "option_value": _("Value (stored with the answer)"),
        "new_option": _("New option"),
        "add_option": _("Add option"),
        "no_problems": _("No problems."),
        "condition": _("Show only when"),
        "condition_json": _("This condition can only be changed in the JSON text."),
        "condition_none": _("There is no earlier question to depend on."),
        "condition_remove_all": _("Remove the condition"),
        "condition_combine": _("Combine the rules"),
        "condition_all": _("All rules hold"),
        "condition_any": _("At least one rule holds"),
        "condition_rule": _("Rule"),
        "condition_not": _("Turn this rule around (not)"),
        "condition_question": _("Earlier question"),
        "condition_operator": _("Is"),
        "condition_value": _("Answer"),
        "condition_values": _("Any of these answers"),
        "condition_remove": _("Remove rule %(number)s"),
        "condition_add": _("Add a rule"),
        "op_equals": _("equal to"),
        "op_in": _("one of"),
        "op_contains": _("chosen among the answers"),
        "op_answered": _("answered or not"),
        "is_answered": _("answered"),
        "is_not_answered": _("not answered"),
        "preview_unavailable": _(
            "The preview appears when the questionnaire has a section with a question."
        ),
        "preview_problems": _(
            "The preview cannot be drawn until the problems listed under Problems are fixed."
        ),
        "preview_hidden": _("With the answers given in the preview, this page is skipped."),
        "preview_empty": _("This page has no questions yet."),
        "option_needed": _("Write the text of the new answer option in the box first."),
        "preview_page": _("Page %(position)s of %(count)s"),
        "json_show": _("Show the JSON text"),
        "json_hide": _("Hide the JSON text"),
        "json_label": _("The questionnaire as JSON"),
        "json_unavailable": _("The code editor is not installed here (make static/vendor)."),
        "json_saved_problems": _("Saved, with problems: %(count)s."),
    }


CHANGES = {
    "section_added": _l("Section added: %(where)s"),
    "section_removed": _l("Section removed: %(where)s"),
    "section_text": _l("Section title changed: %(where)s"),
    "question_added": _l("Question added: %(where)s"),
    "question_removed": _l("Question removed: %(where)s"),
    "question_moved": _l("Question moved to section %(detail)s: %(where)s"),
    "question_reordered": _l("Question moved within its section: %(where)s"),
    "type": _l("Question type changed (%(detail)s): %(where)s"),
    "rule": _l("Limit changed (%(detail)s): %(where)s"),
    "required": _l("Required changed: %(where)s"),
    "condition": _l("Condition changed: %(where)s"),
    "option_added": _l("Option %(detail)s added: %(where)s"),
    "option_removed": _l("Option %(detail)s removed: %(where)s"),
    "option_text": _l("Text of option %(detail)s changed: %(where)s"),
    "text": _l("Texts changed in %(detail)s: %(where)s"),
}


def change_sentence(change: Any) -> str:
    """Return one difference between two versions as a sentence: limits and question types
    by the names the builder's fields give them, a limit that is not there as "no limit"."""
    detail = change.detail
    if change.kind == "text":
        detail = own_name(detail)
    elif change.kind == "rule":
        labels = page_strings()
        name = labels.get(f"limit_{detail}") or labels.get(detail) or detail
        before, after = (
            _("no limit") if v is None else str(v) for v in (change.before, change.after)
        )
        detail = f"{name}: {before} → {after}"
    elif change.kind == "type":
        names = dict(widget_names())
        detail = " → ".join(names.get(w, str(w)) for w in (change.before, change.after))
    return str(CHANGES[change.kind]) % {"where": change.where, "detail": detail}


def type_change_message(change: Any) -> str:
    """Return why publishing is refused for a question whose answers would change form."""
    names = dict(widget_names())
    return _(
        "The question “%(question)s” was published as %(before)s and is now %(after)s. Answers "
        "already given would not fit. Keep the type, or make a new question with a new name.",
        question=change.question, before=names.get(change.before, change.before),
        after=names.get(change.after, change.after),
    )  # fmt: skip

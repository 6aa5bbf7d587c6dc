"""Write tests/shared/codes.json: the country and language codes the server accepts.

The JavaScript engine's tests read them, so both sides check codes against the same lists.
Run ``.venv/bin/python tests/shared/make_codes.py`` after upgrading Babel;
tests/test_shared_cases.py fails while the file is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path

from webapp.questionnaires.names import country_codes, language_codes

PATH = Path(__file__).with_name("codes.json")


def codes() -> dict[str, list[str]]:
    return {"country": sorted(country_codes()), "language": sorted(language_codes())}


def render() -> str:
    return json.dumps(codes(), indent=1) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), "utf-8")

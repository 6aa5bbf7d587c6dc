"""The names of the shipped pictograms (``static/icons/pictograms/<name>.svg``).

Sections, information blocks and answer options may carry one, shown beside their text for
participants who read little. A test keeps this list and the files in step.
"""

from __future__ import annotations

PICTOGRAMS = frozenset(
    {
        "car", "certificate", "check", "children", "computer", "document", "education",
        "family", "goal", "health", "heart", "home", "info", "language", "map", "money",
        "norwegian", "people", "phone", "question", "school", "time", "tools", "work",
    }
)  # fmt: skip

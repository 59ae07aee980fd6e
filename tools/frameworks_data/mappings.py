"""Check mappings per framework: {framework id: {requirement id: [check ids]}}.

Filled in once the checks exist; an empty mapping leaves every requirement
manual.
"""


def build() -> dict[str, dict[str, list[str]]]:
    return {}

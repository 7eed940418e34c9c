"""The published JSON Schema of rule files, generated from :mod:`perfrules.engine.rulebook.model`."""

from __future__ import annotations

import json
from typing import Any

from perfrules.engine.rulebook.model import RuleFile
from perfrules.engine.settings import PROJECT_ROOT

SCHEMA_PATH = PROJECT_ROOT / "schema" / "perfrules-rules.schema.json"
SCHEMA_ID = "https://perfrules.dev/schema/perfrules-rules.schema.json"


def rules_schema() -> dict[str, Any]:
    schema = RuleFile.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "perfrules rule file",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(rules_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

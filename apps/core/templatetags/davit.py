"""Template helpers shared by every app: {% load davit %}."""

import json

from django import template

register = template.Library()


@register.filter
def as_json(value) -> str:
    """Compact JSON (non-ASCII kept readable) for showing structured data such as an audit summary."""
    if value in (None, "", {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str, separators=(", ", ": "))

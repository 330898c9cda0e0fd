"""`{% highlight text spans side %}`: a scrubbed line with each replacement highlighted (the
original value on the original side, the placeholder on the scrubbed side)."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def highlight(text, spans, side):
    parts, cursor = [], 0
    for span in spans:
        start, end = (span.start, span.end) if side == "original" else (span.new_start, span.new_end)
        parts.append(conditional_escape(text[cursor:start]))
        parts.append(format_html('<mark class="scrub scrub-{}" title="{}">{}</mark>', span.kind.lower(),
                                 span.placeholder, text[start:end]))
        cursor = end
    parts.append(conditional_escape(text[cursor:]))
    return mark_safe("".join(str(p) for p in parts))

"""Read an admin change form back as the data a browser would post (to change one field and save)."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}  # every <option> value per <select>
        self._select = None
        self._multiple = False
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside or (tag in ("input", "select", "textarea") and not attrs.get("name")):
            return
        name = attrs.get("name")
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
            self._multiple = "multiple" in attrs
            self.options.setdefault(name, [])
            self.data.setdefault(name, [])
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            self.options[self._select].append(value)
            if "selected" in attrs:
                self.data[self._select].append(value)
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            if not self.data[self._select] and not self._multiple and self.options[self._select]:
                self.data[self._select].append(self.options[self._select][0])  # what a browser sends
            self._select = None
        elif tag == "textarea":
            if self._textarea and self.data[self._textarea][0].startswith("\n"):
                self.data[self._textarea][0] = self.data[self._textarea][0][1:]
            self._textarea = None


def read_admin_form(html: str, model_name: str):
    """(post data, options per select) of the admin form `<model_name>_form` in `html`."""
    reader = _FormReader(f"{model_name}_form")
    reader.feed(html)
    data = {name: values if len(values) != 1 else values[0] for name, values in reader.data.items() if values}
    return data, reader.options

"""Forms of the cabin pages: a scenario with its customer turns, an assignment, an answer, a grade,
a certification requirement, the offline-course CSV import."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from portal.formatting import person_name
from portal.forms import BoundedDateTimeField
from portal.inputs import whole_number
from portal.models import ProductLine, Team
from portal.permissions import restrict
from tickets.models import Category
from training.models import CertificationRequirement, Rubric, Scale, Scenario
from training.services import MAX_TEXT


def _lines(value):
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class RowsField(forms.ModelMultipleChoiceField):
    """Rows chosen by id: an id that is not a whole number of at most 18 digits is not a choice (a
    30-digit one overflowed SQLite's integer in the IN query: a 500)."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            if whole_number(str(pk)) is None:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                            params={"pk": pk})
        return super()._check_values(value)


class ScenarioForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    product_line = forms.ModelChoiceField(label=_("Product line"), queryset=ProductLine.objects.all(), required=False)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices], required=False)
    difficulty = forms.ChoiceField(label=_("Difficulty"), choices=Scenario.Difficulty.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Scenario.Channel.choices)
    persona_mood = forms.CharField(label=_("Customer's mood"), max_length=200, required=False)
    persona_background = forms.CharField(label=_("Customer's background"), required=False, max_length=MAX_TEXT,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    context = forms.CharField(label=_("Context (order and parcel)"), required=False, max_length=MAX_TEXT,
                              widget=forms.Textarea(attrs={"rows": 2}))
    pass_mark = forms.IntegerField(label=_("Pass mark"), min_value=0, max_value=100, initial=80)
    tags = forms.CharField(label=_("Tags (comma-separated)"), required=False, max_length=400)
    rubric = forms.ModelChoiceField(label=_("Rubric"), queryset=Rubric.objects.filter(is_current=True))
    status = forms.ChoiceField(label=_("Status"), choices=Scenario.Status.choices)

    def clean_tags(self):
        tags = [t.strip() for t in self.cleaned_data["tags"].replace("，", ",").split(",") if t.strip()]
        if len(tags) > 20 or any(len(t) > 200 for t in tags):
            raise forms.ValidationError(_("At most 20 tags."))
        return tags


class TurnForm(forms.Form):
    text = forms.CharField(label=_("Customer says"), widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_TEXT)
    points = forms.CharField(label=_("Points a good answer covers (one per line)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    forbidden = forms.CharField(label=_("Phrases that must not appear (one per line)"), required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))
    time_limit = forms.IntegerField(label=_("Time limit (seconds)"), min_value=0, max_value=3600, initial=120)
    model_answer = forms.CharField(label=_("Model answer"), required=False, max_length=MAX_TEXT,
                                   widget=forms.Textarea(attrs={"rows": 2}))

    def turn(self):
        data = self.cleaned_data
        return {"text": data["text"], "points": _lines(data["points"]), "forbidden": _lines(data["forbidden"]),
                "time_limit": data["time_limit"], "model_answer": data["model_answer"]}


TurnFormSet = forms.formset_factory(TurnForm, extra=1, max_num=30, validate_max=True, min_num=1, validate_min=True,
                                    can_delete=True)


def turn_initial(turns):
    return [{"text": t.get("text", ""), "points": "\n".join(t.get("points") or []),
             "forbidden": "\n".join(t.get("forbidden") or []), "time_limit": t.get("time_limit", 120),
             "model_answer": t.get("model_answer", "")} for t in turns]


def formset_turns(formset):
    return [form.turn() for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def scenario_initial(scenario):
    return {"title": scenario.title, "product_line": scenario.product_line_id, "category": scenario.category,
            "difficulty": scenario.difficulty, "channel": scenario.channel, "persona_mood": scenario.persona_mood,
            "persona_background": scenario.persona_background, "context": scenario.context,
            "pass_mark": scenario.pass_mark, "tags": ", ".join(scenario.tags or []), "rubric": scenario.rubric_id,
            "status": scenario.status}


class AssignForm(forms.Form):
    agents = RowsField(label=_("Agents"), queryset=get_user_model().objects.none(),
                       required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    team = forms.ModelChoiceField(label=_("Or a whole team"), queryset=Team.objects.none(), required=False)
    due_at = BoundedDateTimeField(label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from portal.models import Membership
        from portal.roles import Role
        from training.permissions import sees_every_agent

        teams = Team.objects.filter(kind=Team.Kind.CUSTOMER_SERVICE)
        if not sees_every_agent(user):
            teams = restrict(teams, user, "view")
        self.fields["team"].queryset = teams
        self.fields["agents"].queryset = get_user_model().objects.filter(
            is_active=True, pk__in=Membership.objects.filter(team__in=teams, role=Role.AGENT).values("user_id"),
        ).order_by("username").distinct()
        self.fields["agents"].label_from_instance = person_name

    def clean(self):
        data = super().clean()
        if not data.get("agents") and not data.get("team"):
            self.add_error("agents", _("Choose the agents or a team."))
        return data


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Your answer"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class GradeForm(forms.Form):
    """One choice and one comment per rubric category (built from the attempt's rubric)."""

    feedback = forms.CharField(label=_("Feedback for the agent"), required=False, max_length=MAX_TEXT,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, categories, suggestions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        suggestions = suggestions or {}
        for category in self.categories:
            low, high = category.bounds
            if category.scale == Scale.BINARY:
                choices = [("0", _("No")), ("1", _("Yes"))]
            else:
                choices = [(str(v), str(v)) for v in range(low, high + 1)]
            suggested = suggestions.get(str(category.pk), {}).get("suggested")
            self.fields[f"category_{category.pk}"] = forms.ChoiceField(
                label=category.name, choices=[*choices, ("na", _("N/A"))],
                initial=str(suggested) if suggested is not None else None, widget=forms.RadioSelect)
            self.fields[f"comment_{category.pk}"] = forms.CharField(label=_("Comment"), required=False,
                                                                    max_length=2000)

    def rows(self):
        return [(category, self[f"category_{category.pk}"], self[f"comment_{category.pk}"])
                for category in self.categories]

    def grades(self):
        result = {}
        for category in self.categories:
            value = self.cleaned_data[f"category_{category.pk}"]
            result[category.pk] = (None if value == "na" else int(value), self.cleaned_data[f"comment_{category.pk}"])
        return result


class RequirementForm(forms.ModelForm):
    tags_text = forms.CharField(label=_("Tags covered (comma-separated)"), required=False, max_length=400)

    class Meta:
        model = CertificationRequirement
        fields = ["code", "name_zh", "name_en", "scenarios", "passes_needed", "min_score", "validity_days",
                  "is_active"]
        widgets = {"scenarios": forms.SelectMultiple(attrs={"size": 6})}
        field_classes = {"scenarios": RowsField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenarios"].required = False
        self.fields["scenarios"].queryset = Scenario.objects.filter(status=Scenario.Status.PUBLISHED)
        if self.instance.pk:
            self.fields["tags_text"].initial = ", ".join(self.instance.tags or [])

    def clean(self):
        data = super().clean()
        data["tags"] = [t.strip() for t in data.get("tags_text", "").replace("，", ",").split(",") if t.strip()]
        if not data.get("scenarios") and not data["tags"]:
            self.add_error("scenarios", _("Choose the scenarios or tags the certification covers."))
        return data

    def save(self, commit=True):
        self.instance.tags = self.cleaned_data["tags"]
        return super().save(commit)


class CourseImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("Columns: username, course, date (YYYY-MM-DD), hours, trainer, result."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("At most 2 MB."))
        return upload

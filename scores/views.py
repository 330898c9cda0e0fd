"""The scores pages: role dashboards with charts, a store's score (mirror, official, what moves it,
badges), the drill-down to the misses, official figures (form and CSV), the embed snippets."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from portal.models import Store
from portal.permissions import has_action, restrict
from portal.views import RestrictedViewMixin
from scores import dashboards
from scores.drilldown import misses
from scores.exports import csv_response, xlsx_response
from scores.forms import EmbedSettingsForm, OfficialImportForm, OfficialScoreForm
from scores.models import (
    OFFICIAL_FIGURES,
    RATE_METRICS,
    BadgeChange,
    EmbedSettings,
    Metric,
    OfficialScore,
    ScoreSnapshot,
    StoreBadge,
)
from scores.services import import_official_csv, projection, record_official, save_embed_settings


def score_widget(request):
    """Home page: the experience score of each store in scope (latest snapshot), for score readers."""
    user = request.user
    if not has_action(user, ScoreSnapshot, "view"):
        return None
    snapshots = restrict(ScoreSnapshot.objects.all(), user, "view")
    last = snapshots.order_by("-date").values_list("date", flat=True).first()
    if last is None:
        return None
    rows = list(snapshots.filter(date=last).select_related("store").order_by("store__code")[:50])
    return {"template": "scores/home_widget.html", "data": {"rows": rows}}


def viewable_store(user, code) -> Store:
    """The store `code` if the user may read its scores: 403 without the permission, 404 outside scope."""
    if not has_action(user, ScoreSnapshot, "view"):
        raise PermissionDenied(_("Your role does not allow this."))
    store = restrict(Store.objects.all(), user, "view").filter(code=code).first()
    if store is None:
        raise Http404
    return store


class ScoresView(RestrictedViewMixin, TemplateView):
    """A scores page: 403 for a role that may not read scores (the portal's one check)."""

    model = ScoreSnapshot


def display(metric, value):
    """A metric value as shown: rates in %, durations as they are."""
    if value is None:
        return None
    return f"{value * 100:.1f}%" if metric in RATE_METRICS else f"{value:.1f}"


class DashboardView(ScoresView):
    template_name = "scores/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, now = self.request.user, timezone.now()
        views = dashboards.views_for(user)
        view = self.request.GET.get("view") or (views[0] if views else "manager")
        if views and view not in views:
            raise PermissionDenied(_("Your role does not allow this."))
        if not views:
            view = "manager"
        store = self.request.GET.get("store") or None
        charts = dashboards.build(view, user, now=now, store_code=store)
        names = {"lead": _("Team lead"), "manager": _("Manager"), "executive": _("Executive")}
        context.update(
            title=_("Scores"), view=view, views=[(v, names[v]) for v in (views or ["manager"])],
            charts=charts, chart_specs={c.id: c.spec() for c in charts if c.kind != "table"},
            store=store, stores=restrict(Store.objects.order_by("code"), user, "view") if view == "manager" else [],
        )
        return context


class ChartExportView(ScoresView):
    """`/scores/export/<view>/<chart>.<csv|xlsx>`: the chart's table with the page's parameters."""

    def get(self, request, view, chart, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        user = request.user
        views = dashboards.views_for(user) or ["manager"]
        if view not in views:
            raise PermissionDenied(_("Your role does not allow this."))
        charts = dashboards.build(view, user, now=timezone.now(), store_code=request.GET.get("store") or None)
        found = next((c for c in charts if c.id == chart), None)
        if found is None:
            raise Http404
        filename = f"{view}-{chart}-{timezone.localdate().isoformat()}"
        if fmt == "xlsx":
            return xlsx_response(filename, found.id, found.columns, found.rows)
        return csv_response(filename, found.columns, found.rows)


class StoreScoreView(ScoresView):
    template_name = "scores/store.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, now = self.request.user, timezone.now()
        store = viewable_store(user, self.kwargs["code"])
        snapshots = list(restrict(ScoreSnapshot.objects.all(), user, "view").filter(store=store).order_by("-date")[:30])
        official = {row.date: row for row in restrict(OfficialScore.objects.all(), user, "view").filter(
            store=store, date__gte=timezone.localdate(now) - timedelta(days=30))}
        rows = []
        for snap in snapshots:
            off = official.get(snap.date)
            mirror, platform = snap.overall, off.experience_overall if off else None
            rows.append({"date": snap.date, "mirror": mirror, "official": platform,
                         "deviation": round(mirror - platform, 2) if mirror is not None and platform is not None
                         else None, "logistics": snap.logistics, "installation": snap.installation,
                         "service": snap.service,
                         "official_logistics": off.experience_logistics if off else None,
                         "official_service": off.experience_service if off else None})
        today = projection(store.pk, now=now)
        for row in today["metrics"]:
            row["shown"] = display(row["metric"], row["value"])
            row["next_shown"] = display(row["metric"], row["next_value"])
            row["enough"] = row["score"] is not None
        badges = restrict(StoreBadge.objects.all(), user, "view").filter(store=store).select_related("badge")
        changes = restrict(BadgeChange.objects.all(), user, "view").filter(
            store_badge__store=store).select_related("store_badge__badge")[:30]
        context.update(
            title=_("Score of %(store)s") % {"store": store.name}, store=store, rows=rows, today=today,
            mad=dashboards.deviation(user, [store.pk], now=now).get(store.pk), badges=badges, changes=changes,
            language=get_language() or "zh-hans",
            may_record=has_action(user, OfficialScore, "add"),
        )
        return context


class MissesView(ScoresView):
    template_name = "scores/misses.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, now = self.request.user, timezone.now()
        store = viewable_store(user, self.kwargs["code"])
        try:
            metric = Metric(self.kwargs["metric"])
        except ValueError:
            raise Http404 from None
        kind, items = misses(metric, store, user=user, now=now)
        context.update(title=_("%(metric)s: what counts as a miss") % {"metric": metric.label}, store=store,
                       metric=metric, kind=kind, items=items)
        return context


class OfficialScoreView(ScoresView):
    """The platform's figures by hand (one store and day) or as a CSV file; a repeat replaces the day."""

    template_name = "scores/official.html"
    model = OfficialScore
    permission_action = "add"

    def stores(self):
        return restrict(Store.objects.order_by("code"), self.request.user, "view")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", OfficialScoreForm(stores=self.stores()))
        context.setdefault("import_form", OfficialImportForm())
        context["title"] = _("Official figures")
        context["figures"] = OFFICIAL_FIGURES
        context["recent"] = restrict(OfficialScore.objects.all(), self.request.user, "view").select_related(
            "store")[:20]
        return context

    def post(self, request):
        now = timezone.now()
        if "file" in request.FILES:
            import_form = OfficialImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                try:
                    result = import_official_csv(import_form.cleaned_data["file"].read(), stores=self.stores(),
                                                 actor=request.user, now=now)
                except ValidationError as error:
                    for message in error.message_dict.get("file", []):
                        import_form.add_error("file", message)
                else:
                    messages.success(request, _("%(n)s days of figures imported.") % {"n": result["rows"]})
                    return redirect("scores:official")
            return self.render_to_response(self.get_context_data(import_form=import_form))
        form = OfficialScoreForm(request.POST, stores=self.stores())
        if form.is_valid():
            record_official(store=form.cleaned_data["store"], on=form.cleaned_data["date"], figures=form.figures(),
                            source=OfficialScore.Source.FORM, actor=request.user, now=now)
            messages.success(request, _("Figures recorded."))
            return redirect("scores:official")
        return self.render_to_response(self.get_context_data(form=form))


class EmbedView(ScoresView):
    """The snippets to copy for a storefront, a live preview, and the origins allowed to frame."""

    template_name = "scores/embed.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        store = viewable_store(self.request.user, self.kwargs["code"])
        row = restrict(EmbedSettings.objects.all(), self.request.user, "view").filter(store=store).first()
        base = self.request.build_absolute_uri("/").rstrip("/")
        script_url = base + reverse("scores_embed_js", args=[store.code])
        frame_url = base + reverse("scores_embed_frame", args=[store.code])
        svg_url = base + reverse("scores_embed_svg", args=[store.code])
        api_url = base + reverse("scores_public_badges", args=[store.code])
        context.update(
            title=_("Badges on the storefront: %(store)s") % {"store": store.name}, store=store,
            script_snippet=f'<div id="service-badges"></div>\n<script src="{escape(script_url)}" '
                           f'data-target="service-badges" data-lang="zh-hans" async></script>',
            frame_snippet=f'<iframe src="{escape(frame_url)}?lang=zh-hans" title="{escape(store.name)}" width="100%" '
                          f'height="48" style="border:0" loading="lazy"></iframe>',
            svg_snippet=f'<img src="{escape(svg_url)}?lang=zh-hans" alt="{escape(store.name)}">',
            api_url=api_url, frame_url=frame_url, svg_url=svg_url, script_url=script_url,
            form=kwargs.get("form") or EmbedSettingsForm(initial={"frame_origins": row.frame_origins if row else ""}),
            may_change=has_action(self.request.user, EmbedSettings, "change"),
        )
        return context

    def post(self, request, code):
        store = viewable_store(request.user, code)
        if not has_action(request.user, EmbedSettings, "change"):
            raise PermissionDenied(_("Your role does not allow this."))
        form = EmbedSettingsForm(request.POST)
        if form.is_valid():
            try:
                save_embed_settings(store=store, frame_origins=form.cleaned_data["frame_origins"],
                                    actor=request.user, now=timezone.now())
            except ValidationError as error:
                for message in error.message_dict.get("frame_origins", error.messages):
                    form.add_error("frame_origins", message)
            else:
                messages.success(request, _("Saved."))
                return redirect("scores:embed", code=store.code)
        return self.render_to_response(self.get_context_data(form=form))

"""Base classes for UI views (the same `restrict` as the API and admin) and the shell pages."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from portal import pii, registry
from portal.filtersets import NotificationFilterSet
from portal.forms import AccountSettingsForm, PiiRevealForm
from portal.inputs import whole_number
from portal.models import Membership, Notification, PiiAccess, Profile, Store, Team
from portal.notifications import mark_read
from portal.permissions import has_action, restrict
from portal.tables import NotificationTable


def safe_next(request, default, url=None):
    """Where to go back to: `url` (by default the posted `next`) when it stays on this site, else
    `default` (a path or URL name). Django's own check: it refuses `//host` and `/\\host` too."""
    if url is None:
        url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return url
    return default


class RestrictedViewMixin(LoginRequiredMixin):
    """A view over `model` rows narrowed by `restrict(user, permission_action)`.

    A user whose roles lack the verb gets 403; a row outside their scope is simply not found (404).
    """

    permission_action = "view"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_action(request.user, self.model, self.permission_action):
            raise PermissionDenied(_("Your role does not allow this."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return restrict(super().get_queryset(), self.request.user, self.permission_action)


class RestrictedListView(RestrictedViewMixin, SingleTableMixin, FilterView):
    """A django-tables2 list with a django-filter form; subclasses set model, table_class, filterset_class."""

    paginate_by = 50
    template_name = "portal/object_list.html"
    title = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title or self.model._meta.verbose_name_plural.capitalize()
        return context


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["memberships"] = (
            restrict(Membership.objects.filter(user=user), user, "view").select_related("team", "team__parent")
        )
        context["teams"] = restrict(Team.objects.all(), user, "view").select_related("parent")
        context["stores"] = restrict(Store.objects.all(), user, "view")
        context["home_widgets"] = [w for w in (widget(self.request) for widget in registry.home_widgets()) if w]
        return context


class InboxView(RestrictedListView):
    model = Notification
    table_class = NotificationTable
    filterset_class = NotificationFilterSet
    template_name = "portal/inbox.html"

    def get_queryset(self):
        return (
            super().get_queryset()
            .filter(recipient=self.request.user, channel=Notification.Channel.IN_APP)
            .order_by("-created_at", "-id")
        )


class InboxReadView(LoginRequiredMixin, View):
    """Mark one message (`id`) or all of the user's messages read; then follow its link if asked."""

    def post(self, request):
        inbox = Notification.objects.unread_inbox(request.user)
        raw = request.POST.getlist("id")
        ids = [whole_number(value) for value in raw]
        if None in ids:
            return HttpResponseBadRequest(_("Give the message ids as whole numbers."))
        ids = ids or list(inbox.values_list("id", flat=True))
        mark_read(request.user, ids, now=timezone.now())
        return redirect(safe_next(request, "inbox"))


class ApprovalsView(LoginRequiredMixin, TemplateView):
    """Everything waiting for the user's approval (`portal.registry.approvals_for`: compensation
    offers, refund decisions above a limit, ...), oldest first, approved or rejected in place."""

    template_name = "portal/approvals.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Approvals"), approvals=registry.approvals_for(self.request.user),
                                        **kwargs)


class InboxOpenView(LoginRequiredMixin, View):
    """A message's link: marks the user's own message read, then goes where it points. Another
    user's message is not found (404)."""

    def get(self, request, pk):
        notification = (Notification.objects.filter(recipient=request.user, channel=Notification.Channel.IN_APP)
                        .filter(pk=pk).only("pk", "link", "read_at").first())
        if notification is None:
            raise Http404
        if notification.read_at is None:
            mark_read(request.user, [notification.pk], now=timezone.now())
        return redirect(safe_next(request, "inbox", url=notification.link))


class InboxUnreadView(LoginRequiredMixin, View):
    """`{"unread": n}`: what static/portal/inbox.js polls to keep the header's count current."""

    def get(self, request):
        response = JsonResponse({"unread": Notification.objects.unread_inbox(request.user).count()})
        response["Cache-Control"] = "no-store"
        return response


def with_language(response, language: str):
    """The pages follow `language` from the next request on (the same cookie as the header's switch)."""
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax")
    return response


class LoginView(auth_views.LoginView):
    """Django's sign-in page; after signing in the pages are in the language the user chose in their
    settings, on any browser (a user without saved settings keeps the browser's language)."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = Profile.objects.filter(user=form.get_user()).values_list("language", flat=True).first()
        return with_language(response, language) if language else response


class AccountSettingsView(LoginRequiredMixin, FormView):
    """The user's own settings: language (pages, e-mail, text messages) and mobile number."""

    form_class = AccountSettingsForm
    template_name = "portal/account_settings.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Profile.objects.get_or_create(user=self.request.user)[0]
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("My settings"), **kwargs)

    def form_valid(self, form):
        profile = form.save()
        translation.activate(profile.language)
        messages.success(self.request, _("Your settings are saved."))
        return with_language(redirect("account_settings"), profile.language)


class PiiRevealView(View):
    """The "show" button (static/portal/pii.js): POST `model`, `id`, `field` and `page`; answers
    `{"value": ...}` and writes the audit row (`portal.pii.reveal`). Bad input or an object not in
    the user's scope: 400 with field errors; the rule says no: 403. JSON only; CSRF applies."""

    def post(self, request):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": _("Log in first.")}, status=403)
        form = PiiRevealForm(request.POST)
        if not form.is_valid():
            return JsonResponse({name: list(errors) for name, errors in form.errors.items()}, status=400)
        data = form.cleaned_data
        page = data["page"]
        if not page.startswith("/") or page.startswith("//"):
            page = urlsplit(request.META.get("HTTP_REFERER", "")).path
        channel = PiiAccess.Channel.ADMIN if page.startswith(reverse("admin:index")) else PiiAccess.Channel.PAGE
        try:
            value = pii.reveal(request.user, label=data["model"], pk=data["id"], field=data["field"],
                               channel=channel, source=page, now=timezone.now())
        except ValidationError as exc:
            return JsonResponse(exc.message_dict, status=400)
        except pii.RevealRefused as exc:
            return JsonResponse({"detail": str(exc)}, status=403)
        return JsonResponse({"value": value})


def _api(request) -> bool:
    return request.path.startswith("/api/")


def error_400(request, exception=None):
    if _api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    if _api(request):  # API clients get JSON, as from the API views themselves
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    if _api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def error_500(request):
    # No request context: the page must render even when the database is what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: the portal's own page, 429 with Retry-After."""
    cooloff = settings.AXES_COOLOFF_TIME
    seconds = int(cooloff.total_seconds()) if cooloff else 0
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": max(1, round(seconds / 60)) if seconds else 0}
    response = render(request, "registration/locked_out.html", context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response

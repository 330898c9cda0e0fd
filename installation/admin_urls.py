"""The admin addresses the installation models had in the logistics app
(`/admin/logistics/<model>/...`), redirected for good to `/admin/installation/<model>/...` with the
rest of the path and the query string. Mounted by portal/urls.py before the admin itself."""

from django.http import HttpResponsePermanentRedirect
from django.urls import re_path, reverse

MOVED_MODELS = ["product", "installationpartner", "installationjob", "installationevent", "installationalert",
                "installationticketlink"]


def moved_admin_page(request, model, rest):
    url = f"{reverse('admin:index')}installation/{model}/{rest}"
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


urlpatterns = [
    re_path(rf"^(?P<model>{'|'.join(MOVED_MODELS)})/(?P<rest>.*)$", moved_admin_page),
]

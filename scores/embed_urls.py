"""The storefront embeds (no login), mounted at /embed/ by portal/urls.py: scores/public.py."""

from django.urls import path

from scores import public

urlpatterns = [
    path("stores/<str:code>/badges.js", public.badges_script, name="scores_embed_js"),
    path("stores/<str:code>/badges.svg", public.badges_svg, name="scores_embed_svg"),
    path("stores/<str:code>/badges/", public.badges_frame, name="scores_embed_frame"),
]

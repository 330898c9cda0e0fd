"""The tickets staff UI, one module per page family (tickets/urls.py maps them):

- `queues`: the queue pages, their column choice and bulk assign/transfer;
- `export`: the queue pages' CSV export;
- `ticket`: the ticket page;
- `actions`: the ticket page's work forms, the edit page and opening a ticket by hand;
- `escalations`: the escalations page and acknowledging;
- `metrics`: the home page's service-metrics widget.

Every queryset goes through `restrict(queryset, user, verb)` (portal.permissions), the same rule
the API and admin apply: a ticket outside the user's scope is not found (404); a verb the user's
roles lack is refused (403). Writes call the domain functions in tickets/services.py.
"""

"""The escalation ladder (docs/escalation.md), one module per concern:

- `ladders`: publishing a policy's levels as an immutable version, starting a cycle's ladder;
- `sweep`: `escalate_due_tickets(now=...)`, firing every level that came due, and the levels' actions;
- `sql`: the sweep's hand-written SQL (the INSERT ... SELECT per group of levels, the fired masks);
- `recipients`: who a level reaches, one notification per recipient and channel, the deliveries;
- `acknowledge`: taking ownership, which halts the ladder for the level's window;
- `permissions`: who sees and acknowledges escalations; `admin`: policies, versions, escalations;
- `demo`: the standard demo ladder.

The models are in tickets/models/escalation.py, the pages in tickets/views/escalations.py, the API
in tickets/api/escalation.py.
"""

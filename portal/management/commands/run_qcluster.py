"""`manage.py run_qcluster`: django-q2's `qcluster` with stop semantics a supervisor can rely on.

django-q2's cluster stops cleanly when its master alone gets SIGTERM, but not when the whole process
group does (what systemd's default KillMode and `kill -TERM -PGID` send): the sentinel and the
workers die at once (their SIGTERM is the default action) and the master then waits forever in
`stop_event.set()` for the dead sentinel to wake up (django-q2 issue #346). This command runs the
real `qcluster` in a session of its own and passes SIGTERM/SIGINT to its master only, so the
cluster always takes its graceful path: the pusher stops, the workers finish the tasks they hold,
and it exits. If this command dies, the kernel sends the cluster SIGTERM (PR_SET_PDEATHSIG).
deploy/portal-qcluster.service runs it with KillMode=mixed, a stop timeout, then SIGKILL.
"""

import ctypes
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: the supervisor's final SIGKILL still reaches the cluster
        pass


class Command(BaseCommand):
    help = "Run the django-q2 cluster; SIGTERM (to this process or its process group) stops it gracefully."

    def handle(self, *args, **options):
        cluster = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"], start_new_session=True, preexec_fn=_die_with_parent,
        )

        def forward(signum, frame):
            if cluster.poll() is None:
                cluster.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGHUP, forward)
        code = cluster.wait()
        if code:
            sys.exit(code)

"""Runs cinder-volume in one process.

Cinder's entry point starts every backend under oslo.service's
ProcessLauncher, a master process that forks one child per backend; with the
demo's single backend the master alone costs about 140 MiB.  This calls
Cinder's unchanged ``main()`` with ``cinder.service.process_launcher``
returning oslo.service's ServiceLauncher, which runs the one backend's
service in this process (as ``cinder.service.serve`` runs cinder-scheduler).

    python cinder_one_process.py --config-file FILE [--log-file FILE]
"""
import sys


def main():
    # Importing the entry point applies Cinder's own monkey patching first.
    from cinder.cmd import volume as entry
    from cinder import service
    from oslo_service import service as oslo_service

    def process_launcher():
        return oslo_service.ServiceLauncher(service.CONF, restart_method="mutate")

    service.process_launcher = process_launcher
    sys.argv[0] = "cinder-volume"
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())

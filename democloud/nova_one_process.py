"""Runs nova-conductor or nova-scheduler in one process.

Nova's own entry points always fork one worker below a master process, even
with ``workers = 1``; that costs about 120 MiB per service on a machine where
the whole demo stack has 2.5 GB.  This calls Nova's unchanged ``main()`` with
``service.serve`` pinned to one worker and no fork, exactly how Nova itself
starts nova-compute (``service.serve(server, workers=1, no_fork=True)``).

    python nova_one_process.py conductor|scheduler --config-file FILE
"""
import importlib
import sys


def main():
    which = sys.argv.pop(1)
    if which not in ("conductor", "scheduler"):
        raise SystemExit("usage: nova_one_process.py conductor|scheduler ...")
    # Importing the entry point applies Nova's own monkey patching first.
    entry = importlib.import_module("nova.cmd.%s" % which)
    from nova import service

    real_serve = service.serve

    def serve(server, workers=None, no_fork=False):
        return real_serve(server, workers=1, no_fork=True)

    service.serve = serve
    sys.argv[0] = "nova-%s" % which
    return entry.main()


if __name__ == "__main__":
    sys.exit(main())

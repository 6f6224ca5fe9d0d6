"""Runs nova-conductor and nova-scheduler together in one process.

Nova's own entry points always fork one worker below a master process, even
with ``workers = 1``, which costs about 120 MiB per service; and each
service is a Python process of its own with Nova and its libraries loaded
(about 130 MiB).  Both are ordinary oslo.service services: this builds them
exactly as ``nova.cmd.conductor.main`` and ``nova.cmd.scheduler.main`` do
and serves both as one service with one worker and no fork, which is how
Nova itself starts nova-compute (``service.serve(server, workers=1,
no_fork=True)``).

    python nova_one_process.py conductor scheduler --config-file FILE

Naming only one of them runs that one alone.
"""
import sys

BINARIES = {"conductor": ("nova-conductor", "nova.conductor.rpcapi"),
            "scheduler": ("nova-scheduler", "nova.scheduler.rpcapi")}


def together(base):
    """A service that starts, waits for and stops the given services."""
    class Together(base):
        def __init__(self, services):
            super().__init__()
            self.services = services

        def start(self):
            for one in self.services:
                one.start()

        def wait(self):
            for one in self.services:
                one.wait()

        def stop(self):
            for one in self.services:
                one.stop()

        def reset(self):
            for one in self.services:
                one.reset()
    return Together


def main():
    which = []
    while len(sys.argv) > 1 and sys.argv[1] in BINARIES:
        which.append(sys.argv.pop(1))
    if not which:
        raise SystemExit("usage: nova_one_process.py conductor|scheduler... --config-file FILE")
    import importlib
    # Importing an entry point applies Nova's own monkey patching first.
    importlib.import_module("nova.cmd.%s" % which[0])
    from oslo_log import log as logging
    from oslo_reports import guru_meditation_report as gmr
    from oslo_reports import opts as gmr_opts
    from oslo_service import service as oslo_service

    from nova import config
    from nova import objects
    from nova import service
    from nova import thread_pool_factory
    from nova import version

    conf = config.CONF
    sys.argv[0] = "nova-%s" % "-".join(which)
    config.parse_args(sys.argv)
    logging.setup(conf, "nova")
    objects.register_all()
    gmr_opts.set_defaults(conf)
    objects.Service.enable_min_version_cache()
    gmr.TextGuruMeditation.setup_autorun(version, conf=conf)
    Together = together(oslo_service.ServiceBase)
    servers = []
    for name in which:
        binary, rpcapi = BINARIES[name]
        servers.append(service.Service.create(
            binary=binary, topic=importlib.import_module(rpcapi).RPC_TOPIC))
    thread_pool_factory.reset_all_executors()
    service.serve(servers[0] if len(servers) == 1 else Together(servers),
                  workers=1, no_fork=True)
    service.wait()

if __name__ == "__main__":
    sys.exit(main())

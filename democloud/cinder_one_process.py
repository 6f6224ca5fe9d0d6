"""Runs Cinder's api, scheduler and volume services in one process.

Each of Cinder's entry points is a process of its own (cinder-api under a
WSGI server, cinder-scheduler, and cinder-volume, which even forks one child
per backend below a master): about 540 MiB RSS for the demo's one backend.
The three are ordinary oslo.service services, and oslo.service's
ServiceLauncher runs any number of them in one process (one eventlet hub),
as ``cinder.service.serve`` runs cinder-scheduler alone.  This builds them
exactly as Cinder's ``main()`` functions do (cinder/cmd/api.py,
scheduler.py, volume.py) and launches all three: about 200 MiB.

    python cinder_one_process.py --config-file FILE [--log-file FILE]

The API listens on ``[DEFAULT] osapi_volume_listen`` and
``osapi_volume_listen_port`` with ``osapi_volume_workers = 1`` (Cinder's own
eventlet WSGI server, as the ``cinder-api`` command serves it).
"""
import sys


def main():
    # Cinder's monkey patching first, as each of its entry points does.
    from cinder import monkey_patch
    monkey_patch.patch()

    import logging as python_logging
    import shlex

    import os_brick
    from oslo_config import cfg
    from oslo_log import log as logging
    from oslo_privsep import priv_context
    from oslo_reports import guru_meditation_report as gmr
    from oslo_reports import opts as gmr_opts
    from oslo_service import service as oslo_service

    from cinder.cmd import volume as volume_cmd  # registers its options
    from cinder.common import config
    from cinder.common import constants
    from cinder import coordination
    from cinder import i18n
    i18n.enable_lazy()
    from cinder import objects
    from cinder import rpc
    from cinder import service
    from cinder import utils
    from cinder import version

    conf = cfg.CONF
    objects.register_all()
    gmr_opts.set_defaults(conf)
    conf(sys.argv[1:], project="cinder", version=version.version_string())
    config.set_middleware_defaults()
    logging.setup(conf, "cinder")
    python_logging.captureWarnings(True)
    priv_context.init(root_helper=shlex.split(utils.get_root_helper()))
    gmr.TextGuruMeditation.setup_autorun(version, conf=conf)
    os_brick.setup(conf)
    coordination.COORDINATOR.start()
    rpc.init(conf)

    launcher = oslo_service.ServiceLauncher(conf, restart_method="mutate")
    launcher.launch_service(service.Service.create(binary="cinder-scheduler"))
    for backend in filter(None, conf.enabled_backends):
        conf.register_opt(volume_cmd.host_opt, group=backend)
        host = "%s@%s" % (getattr(conf, backend).backend_host or conf.host, backend)
        launcher.launch_service(service.Service.create(
            host=host, service_name=backend, binary=constants.VOLUME_BINARY,
            coordination=True, cluster=None))
    launcher.launch_service(service.WSGIService("osapi_volume"))
    launcher.wait()


if __name__ == "__main__":
    sys.argv[0] = "cinder-all"
    sys.exit(main())

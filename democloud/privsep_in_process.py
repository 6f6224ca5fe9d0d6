"""oslo.privsep's entrypoints called in the service's own process.

Nova and Cinder run each privileged function through oslo.privsep: the first
call of a context (``nova.privsep.sys_admin_pctxt``,
``os_brick.privileged.default``, ``cinder.privsep.sys_admin_pctxt``...)
starts a ``privsep-helper`` daemon for it, a Python process with the
service's libraries loaded (32-45 MiB RSS each), which then stays for the
life of the service.  The demo's nova-compute starts two and Cinder one or
two as soon as guests boot from volumes.

Everything in the demo already runs as root, so the helpers add no
separation here, only memory.  A context whose client mode is off calls
the function directly in the caller (``PrivContext._wrap`` in
oslo_privsep/priv_context.py: ``if self.client_mode: ... remote_call ...
else: return func(*args, **kwargs)``), the same function with the same
arguments, as root.  ``in_process()`` turns client mode off for every
context, those created before it runs and those created after.

    python privsep_in_process.py nova.cmd.compute:main --config-file FILE

runs a console entry point that way (``sys.argv[0]`` becomes the entry
point's command name, here ``nova-compute``).
"""
import gc
import importlib
import sys


def in_process():
    from oslo_privsep import priv_context

    cls = priv_context.PrivContext
    if getattr(cls, "_demo_in_process", False):
        return
    init = cls.__init__

    def init_in_process(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.set_client_mode(False)

    cls.__init__ = init_in_process
    cls._demo_in_process = True
    for obj in gc.get_objects():
        if isinstance(obj, cls):
            obj.set_client_mode(False)


def main():
    if len(sys.argv) < 2 or ":" not in sys.argv[1]:
        raise SystemExit("usage: privsep_in_process.py MODULE:FUNCTION [ARGS...]")
    module, func = sys.argv.pop(1).split(":")
    # Importing the entry point's module applies its own monkey patching
    # first, as its console script does.
    entry = getattr(importlib.import_module(module), func)
    in_process()
    parts = module.split(".")
    sys.argv[0] = "%s-%s" % (parts[0], parts[-1])
    return entry()


if __name__ == "__main__":
    sys.exit(main())

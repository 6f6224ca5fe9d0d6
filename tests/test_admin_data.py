"""Test data for the Admin > Snapshot Consistency panel: servers of many
projects as the 2.98 all-projects list returns them, projects as Keystone
lists them.  (No tests here.)"""
import types

from tests import fixtures

GOOD = {"hw_qemu_guest_agent": "yes", "os_require_quiesce": "yes"}


def project(project_id, name):
    return types.SimpleNamespace(id=project_id, name=name, enabled=True)


def admin_server(name, project_id, image_id=None, captured=None,
                 host="compute-1", **kwargs):
    """A server of any project as an admin sees it at 2.98: with
    ``tenant_id`` and ``OS-EXT-SRV-ATTR:host``."""
    server = fixtures.server_dict(name, image_id, captured, **kwargs)
    server["tenant_id"] = project_id
    server["OS-EXT-SRV-ATTR:host"] = host
    server["OS-EXT-SRV-ATTR:hypervisor_hostname"] = host + ".example.org"
    return server


def fleet(instances, projects=10, images=4):
    """``(projects, images, servers)``: ``instances`` servers spread over
    ``projects`` projects and ``images`` images, every third booted before
    its image was fixed, every seventh volume-backed."""
    project_list = [project("p%03d" % i, "project-%03d" % i)
                    for i in range(projects)]
    image_list = [fixtures.make_image("image-%d" % i, owner="p000",
                                      visibility="public", **GOOD)
                  for i in range(images)]
    servers = []
    for i in range(instances):
        owner = project_list[i % projects].id
        if i % 7 == 6:
            servers.append(admin_server("vm-%05d" % i, owner))
            continue
        image = image_list[i % images]
        servers.append(admin_server("vm-%05d" % i, owner, image.id,
                                    {} if i % 3 == 0 else GOOD))
    return project_list, image_list, servers

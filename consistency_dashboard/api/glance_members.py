"""Image Service calls that ``openstack_dashboard.api.glance`` does not
make: the members of a shared image.

An administrator's Glance image list (``visibility=all``) holds every
project's images, shared ones included whether or not they are shared with
the current project; a member's list holds only those shared with it.  To
show an admin what a member of the current project can use, the members of
a shared image of another project are read (Glance ``GET
/v2/images/{id}/members``)."""

from openstack_dashboard.api import glance


def member_status(request, image_id, member_id):
    """The membership status (``accepted``, ``pending``, ``rejected``) of
    ``member_id`` on the image, or None when it is not a member."""
    for member in glance.glanceclient(request).image_members.list(image_id):
        found = member.get("member_id") if isinstance(member, dict) else \
            getattr(member, "member_id", None)
        if found == member_id:
            return (member.get("status") if isinstance(member, dict)
                    else getattr(member, "status", None))
    return None

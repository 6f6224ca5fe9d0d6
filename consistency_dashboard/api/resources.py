"""What the clients return, as the plain dicts the core reads.

Horizon wraps novaclient, glanceclient and cinderclient resources
(``APIResourceWrapper._apiresource``); novaclient keeps a resource's body in
``_info``.  Every module turns them into dicts with ``plain``, the one way.
"""


def plain(resource):
    """A Horizon/novaclient/glanceclient resource as a plain dict (None
    stays None, a dict is copied)."""
    if resource is None:
        return None
    if isinstance(resource, dict):
        return dict(resource)
    inner = getattr(resource, "_apiresource", None)
    if inner is None:
        inner = getattr(resource, "_info", None)
        if inner is None:
            inner = getattr(getattr(resource, "_server", None), "_info", {})
    if isinstance(inner, dict):
        return dict(inner)
    return dict(inner.to_dict()) if hasattr(inner, "to_dict") else {}

"""Fixtures for the end-to-end tests against the embedded demo cloud.

Start the cloud first: `democloud/demo.sh up`.  Without it these tests skip,
unless CONSISTENCY_REQUIRE_CLOUD=1 (as CI sets), where they fail.
"""

import pytest

from tests.cloud import cloudlib


@pytest.fixture(scope="session")
def cloud():
    try:
        env = cloudlib.demo_env()
    except Exception as exc:  # demo.sh missing or broken
        cloudlib.require_cloud_or_skip("cannot read the demo cloud's settings: %s" % exc)
    try:
        c = cloudlib.Cloud(env)
        c.max_microversion()
    except Exception as exc:
        cloudlib.require_cloud_or_skip(
            "the embedded cloud is not reachable at %s (%s)"
            % (env["demo"].get("OS_AUTH_URL"), exc.__class__.__name__))
    return c


@pytest.fixture
def cleanup(cloud):
    """Register ("server"|"image", id) to delete after the test."""
    items = []
    yield items
    for kind, ident in reversed(items):
        try:
            if kind == "server":
                cloud.delete_server(ident, wait=True)
            elif kind == "volume":
                cloud.wait_volume_available(ident)
                cloud.delete_volume(ident)
            else:
                cloud.delete_image(ident)
        except Exception:
            pass

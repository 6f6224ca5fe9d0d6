import pytest


def pytest_collection_modifyitems(config, items):
    # Horizon's helpers mark TestCase subclasses "selenium"/"plugin_test";
    # nothing to do with them here, the markers are registered in setup.cfg.
    return

"""Run a page through Django's test client with OpenStack replaced at the
``openstack_dashboard.api`` boundary, and time it: what the benchmarks in
this folder share.  Not a test: it prints figures and never fails on a slow
machine."""
import os
import statistics
import sys
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def time_get(client, url, runs=7, warmup=2):
    """Median and all wall times (ms) of GET url; the response of the last
    run for checks."""
    times = []
    response = None
    for i in range(warmup + runs):
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise RuntimeError("GET %s: %s" % (url, response.status_code))
        if i >= warmup:
            times.append(elapsed)
    return statistics.median(times), times, response


def count_calls(mocks):
    return sum(m.call_count for m in mocks)


def run_case(case_class):
    """Run one horizon TestCase subclass's test methods with a test database
    and the test environment, printing what they print."""
    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        suite = unittest.TestLoader().loadTestsFromTestCase(case_class)
        result = unittest.TextTestRunner(verbosity=0,
                                         stream=sys.stderr).run(suite)
    finally:
        runner.teardown_databases(old)
    return result.wasSuccessful()

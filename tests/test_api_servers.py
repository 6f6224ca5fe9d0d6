"""consistency_dashboard.api.servers against a real HTTP server on
loopback that answers like Nova: the microversion header, the query and the
pagination are checked on the wire."""
import http.server
import json
from urllib import parse

import pytest

from consistency_dashboard.api import servers as server_calls
from tests import wire


class FakeNova(http.server.BaseHTTPRequestHandler):
    requests = []
    servers = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = parse.urlsplit(self.path)
        FakeNova.requests.append((url.path, parse.parse_qs(url.query),
                                  dict(self.headers)))
        if url.path == "/v2.1/":
            body = {"version": {"id": "v2.1", "version": "2.104",
                                "min_version": "2.1"}}
        elif url.path == "/v2.1/servers/detail":
            limit = int(parse.parse_qs(url.query)["limit"][0])
            body = {"servers": FakeNova.servers[:limit]}
        elif url.path.startswith("/v2.1/servers/"):
            body = {"server": {"id": url.path.rsplit("/", 1)[1]}}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def nova():
    FakeNova.requests = []
    with wire.serve(FakeNova) as port:
        yield "http://127.0.0.1:%d/v2.1" % port


def Request(endpoint):
    return wire.Request(endpoint, "compute", "nova")


def test_version_range_is_read_once_per_session(nova):
    request = Request(nova)
    assert server_calls.compute_version_range(request) == ("2.1", "2.104")
    assert server_calls.compute_version_range(request) == ("2.1", "2.104")
    assert [r[0] for r in FakeNova.requests] == ["/v2.1/"]
    assert FakeNova.requests[0][2]["X-Auth-Token"] == "tok-123"
    assert server_calls.property_version(
        server_calls.compute_version_range(request)[1])


def test_server_page_asks_for_2_98_and_one_more_than_the_page(nova):
    FakeNova.servers = [{"id": "s%d" % i} for i in range(5)]
    servers, more = server_calls.server_list_page(
        Request(nova), marker="m-1", search_opts={"image": "img-1"},
        page_size=3)
    assert [s["id"] for s in servers] == ["s0", "s1", "s2"]
    assert more is True
    path, query, headers = FakeNova.requests[-1]
    assert path == "/v2.1/servers/detail"
    assert headers["OpenStack-API-Version"] == "compute 2.98"
    assert query["limit"] == ["4"]
    assert query["marker"] == ["m-1"]
    assert query["image"] == ["img-1"]
    assert query["project_id"] == ["proj-1"]
    FakeNova.servers = FakeNova.servers[:2]
    servers, more = server_calls.server_list_page(Request(nova), page_size=3)
    assert len(servers) == 2 and more is False


def test_server_get_quotes_the_id(nova):
    server = server_calls.server_get(Request(nova), "abc def")
    assert server == {"id": "abc%20def"}
    assert FakeNova.requests[-1][0] == "/v2.1/servers/abc%20def"


def test_one_keystoneauth_session_per_request(nova):
    """Every call of one Django request shares one session (one connection
    pool); another request gets its own."""
    request = Request(nova)
    server_calls.compute_version_range(request)
    first = getattr(request, server_calls.REQUEST_SESSION_ATTR)
    server_calls.server_get(request, "a")
    server_calls.server_list_page(request, page_size=3)
    assert getattr(request, server_calls.REQUEST_SESSION_ATTR) is first
    other = Request(nova)
    server_calls.server_get(other, "a")
    assert getattr(other, server_calls.REQUEST_SESSION_ATTR) is not first

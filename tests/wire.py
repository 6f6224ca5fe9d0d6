"""For tests of our hand-written API calls on the wire: a real HTTP server
on loopback, and the bits of a Horizon request those calls read (the
user's token, project and service catalog)."""
import contextlib
import http.server
import threading


@contextlib.contextmanager
def serve(handler_class):
    """A ThreadingHTTPServer on 127.0.0.1 serving ``handler_class``;
    yields its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class User(object):
    def __init__(self, endpoint, service_type, name):
        self.token = type("Token", (), {"id": "tok-123"})()
        self.project_id = "proj-1"
        self.services_region = "RegionOne"
        self.service_catalog = [{
            "type": service_type, "name": name,
            "endpoints": [{"url": endpoint, "interface": "public",
                           "region": "RegionOne", "region_id": "RegionOne"}]}]


class Request(object):
    def __init__(self, endpoint, service_type, name):
        self.user = User(endpoint, service_type, name)
        self.session = {}
        self.COOKIES = {}

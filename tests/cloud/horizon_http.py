"""The plugin's real views in the real Horizon of the embedded cloud, driven
over HTTP as the browser does (Horizon's login form, its CSRF token, the
modal forms posted without ajax so the answer is the next page with its
messages, the Test snapshots tab's ajax row updates, the guided flow's JSON
steps).  Nothing is mocked: the Horizon process runs the plugin installed
by democloud/demo.sh from this checkout."""

import html
import json
import re

import requests

ROW_RE = re.compile(r'<tr[^>]*\bdata-object-id="([^"]+)"[^>]*>(.*?)</tr>',
                    re.S)
ALERT_RE = re.compile(r'<div class="alert alert-(info|warning|success|danger)'
                      r' alert-dismissable fade in">(.*?)</div>', re.S)
TAG_RE = re.compile(r"<[^>]+>")
INDEX = "/project/consistency/"
TEST_TAB = INDEX + "?tab=consistency__test_snapshots"


def text_of(fragment):
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(TAG_RE.sub(" ", fragment)).split())


class Horizon:
    def __init__(self, base, username, password):
        self.base = base.rstrip("/")
        self.username = username
        self.password = password
        self.http = requests.Session()

    # ------------------------------------------------------------ session
    def login(self, land=True):
        """Log in through Horizon's form.  ``land=False``: do not open the
        page Horizon sends the user to (no service sees the new token)."""
        self.http = requests.Session()
        page = self.http.get(self.base + "/auth/login/", timeout=120)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                          page.text).group(1)
        answer = self.http.post(
            self.base + "/auth/login/", timeout=120,
            data={"csrfmiddlewaretoken": token, "region": "default",
                  "username": self.username, "password": self.password},
            headers={"Referer": self.base + "/auth/login/"},
            allow_redirects=land)
        where = answer.headers.get("Location", "") if not land else answer.url
        assert answer.status_code in (200, 302) and \
            "/auth/login" not in where, "login failed: %s" % where
        return self

    def forget_session(self):
        """What a browser does when Horizon's session cookie expired: it
        sends none."""
        for cookie in list(self.http.cookies):
            if cookie.name == "sessionid":
                self.http.cookies.clear(cookie.domain, cookie.path,
                                        cookie.name)

    def _csrf(self):
        return self.http.cookies.get("csrftoken", "")

    # ------------------------------------------------------------ requests
    def get(self, path, ajax=False):
        headers = {"X-Requested-With": "XMLHttpRequest"} if ajax else {}
        return self.http.get(self.base + path, headers=headers, timeout=300,
                             allow_redirects=not ajax)

    def post(self, path, data, ajax=False):
        headers = {"Referer": self.base + path,
                   "X-CSRFToken": self._csrf()}
        if ajax:
            headers["X-Requested-With"] = "XMLHttpRequest"
        body = dict(data, csrfmiddlewaretoken=self._csrf())
        return self.http.post(self.base + path, data=body, headers=headers,
                              timeout=300, allow_redirects=not ajax)

    @staticmethod
    def messages(response):
        """Horizon's messages of an answer: [(level, text)], from the page
        (alerts) or, for an ajax answer, the X-Horizon-Messages header."""
        found = []
        header = response.headers.get("X-Horizon-Messages")
        if header:
            for level, text, _extra in json.loads(header):
                found.append((level, text_of(text)))
        for level, body in ALERT_RE.findall(response.text):
            said = text_of(body)
            for prefix in ("Info:", "Warning:", "Success:", "Error:"):
                if said.startswith(prefix):
                    said = said[len(prefix):].strip()
            found.append(({"danger": "error"}.get(level, level), said))
        return found

    @classmethod
    def said(cls, response):
        return " ".join(text for _level, text in cls.messages(response))

    # ------------------------------------------------------------ the plugin
    def test_snapshot_rows(self):
        """{row id: visible text} of the Test snapshots tab."""
        page = self.get(TEST_TAB)
        assert page.status_code == 200, page.status_code
        return rows_of(page.text, "test_snapshots")

    def start_test_snapshot(self, server_id, name):
        return self.post(INDEX + "instances/%s/test_snapshot/" % server_id,
                         {"name": name})

    def row_update(self, row_id):
        """One ajax row update of the Test snapshots tab, as Horizon's
        script sends it: (status, row html, visible text)."""
        r = self.get(TEST_TAB + "&action=row_update&table=test_snapshots"
                     "&obj_id=" + row_id, ajax=True)
        return r.status_code, r.text, text_of(r.text)

    def delete_test_snapshot(self, row_id):
        return self.post(TEST_TAB, {
            "action": "test_snapshots__delete__%s" % row_id})

    def advance(self, server_id, decision="continue", confirm_name=None):
        data = {"decision": decision}
        if confirm_name is not None:
            data["confirm_name"] = confirm_name
        r = self.post(INDEX + "instances/%s/rebuild_from_snapshot/advance/"
                      % server_id, data, ajax=True)
        try:
            body = r.json()
        except ValueError:
            body = None
        return r.status_code, body

    def apply_fix(self, fix, image_ids):
        return self.post(INDEX + "fix/%s/" % fix,
                         {"fix": fix, "image_ids": ",".join(image_ids)})


def rows_of(page, table):
    start = page.find('id="%s"' % table)
    found = {}
    for row_id, body in ROW_RE.findall(page[start:] if start >= 0 else ""):
        found[html.unescape(row_id)] = text_of(body)
    return found


def attr(fragment, name):
    """The first value of ``data-<name>`` in an HTML fragment."""
    m = re.search(r'data-%s="([^"]*)"' % name, fragment)
    return html.unescape(m.group(1)) if m else None

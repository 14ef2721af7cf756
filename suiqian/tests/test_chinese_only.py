"""Chinese only: every page reachable from the navigation, as the three demo users, shows no internal code —
no field or rule code (`snake_case`), no status value, no term code, no Python structure."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
from django.core.management import call_command

from suiqian.portal.demo.users import DEMO_UNITS

pytestmark = pytest.mark.django_db

# ASCII word edges: Chinese characters count as word characters to \b, and codes sit right beside them.
A, Z = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
IDENTIFIER = re.compile(A + r"(?:[a-z]+_[a-z_]+|[A-Z]+_[A-Z_]+)" + Z)  # field codes, rule codes
TERM_CODE = re.compile(A + r"(?:19|20)\d\d-(?:fall|spring)" + Z)
STATUS_VALUES = re.compile(A + r"(?:draft|submitted|approved|returned|published|withdrawn|pending|granted|refused|"
                           r"missing|queued|running|done|failed|new|open|closed|suspected|transferred|"
                           r"document|form|filler|reviewer|admin|viewer)" + Z)
STRUCTURE = re.compile(r"[{\[]\s*'[^']*'\s*[:,]|" + A + r"(?:None|True|False)" + Z)
SKIP = ("/logout/", "/admin/", "/api/", "/static/", "/media/", "/maps/")
DOWNLOADS = (".xlsx", ".csv", ".pdf", ".geojson", ".json", ".zip", "download", "/print/", "format=", "/attachments/")
MAX_PAGES = 150
PER_SHAPE = 3  # pages of one shape (/requirements/N/N/) to visit: enough to see each kind, not every unit


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside script/style, plus tooltips and placeholders."""

    def __init__(self):
        super().__init__()
        self.parts, self.links, self._hidden = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "placeholder", "aria-label"):
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def read(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def problems_in(text: str) -> list[str]:
    found = []
    for pattern in (IDENTIFIER, TERM_CODE, STATUS_VALUES, STRUCTURE):
        found += [m.group(0) for m in pattern.finditer(text)]
    # E-mail addresses and URLs printed on the page are what they are.
    return [f for f in found if not re.search(re.escape(f) + r"[^\s]*@|@[^\s]*" + re.escape(f), text)]


def crawl(client, start_paths):
    seen, queue, failures, shapes = set(), list(start_paths), [], {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", path)
        if path in seen or shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen.add(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(path)
        if response.status_code in (301, 302) and response["Location"].startswith("/"):
            queue.insert(0, response["Location"])
            continue
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        page = read(response.content.decode())
        text = " ".join(" ".join(page.parts).split())
        bad = problems_in(text)
        if bad:
            failures.append(f"{path}: {sorted(set(bad))[:8]}")
        for href in page.links:
            url = urlparse(urljoin(path, href))
            if url.netloc or url.scheme not in ("", "http", "https"):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target.startswith(SKIP) or any(d in target for d in DOWNLOADS) or target in seen:
                continue
            queue.append(target)
    return seen, failures


@pytest.fixture
def demo(shanxi, tmp_path):
    call_command("seed", "load", verbosity=0)
    call_command("demo", "data", verbosity=0)
    call_command("demo", "users", verbosity=0)
    # Two terms of rosters with a detection between them, so the roster pages have something to say.
    fall, spring = tmp_path / "fall.csv", tmp_path / "spring.csv"
    call_command("roster", "gen", rows=3000, term="2021-fall", seed=3, output=str(fall), bad_rate=0.01)
    call_command("roster", "gen", term="2022-spring", seed=4, output=str(spring), follow=str(fall), dropout_rate=0.05)
    call_command("roster", "import", str(fall), term="2021-fall", on_error="skip")
    call_command("roster", "import", str(spring), term="2022-spring", on_error="skip")
    call_command("roster", "detect", term="2022-spring")


def test_no_internal_code_reaches_a_user(client, demo):
    from suiqian.accounts.models import User

    report = []
    for code in DEMO_UNITS:
        client.force_login(User.objects.get(username=code))
        home = read(client.get("/").content.decode())
        start = ["/"] + [h for h in home.links if h.startswith("/") and not h.startswith(SKIP)]
        seen, failures = crawl(client, start)
        assert len(seen) > 15, f"{code} reached only {len(seen)} pages"
        print(code, len(seen), sorted(seen))
        report += [f"{code} {f}" for f in failures]
    assert not report, "internal codes on pages:\n" + "\n".join(report)

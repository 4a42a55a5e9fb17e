"""The demo shop walked as a visitor would (shared by the tests of this folder): pages viewed, buttons clicked, a
sign-up and a purchase, by the owner of a project of their own."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from playwright.sync_api import Page

from api import accounts, db
from tests.support.stack import Stack

WAIT_S = 60
PASSWORD = "password-123"
AMOUNT = 208.5  # the trail runner (119.00) and the rain shell (89.50)
# what a walk sends, not counting $pageleave (sent on pagehide, one per page left by navigation: 5)
EXPECTED = Counter({"$pageview": 6, "clicked": 6, "$identify": 1, "signed_up": 1, "purchase": 1})


@dataclass(frozen=True)
class Owner:
    """A project of its own: its owner's e-mail (password PASSWORD), its id, its project key (for the shop)
    and a personal key (for the query API)."""

    email: str
    project_id: int
    key: str
    personal_key: str


def owner(stack: Stack) -> Owner:
    name = uuid.uuid4().hex[:10]
    email = f"shop-{name}@example.com"
    with db.sessions(stack.settings)() as session:
        account = accounts.create_account(session, email, PASSWORD, name, name, name)
        credentials = accounts.owner_credentials(session, account.user, account.project, "shop test")
        session.commit()
    project_id, key = int(credentials["project_id"]), str(credentials["project_api_key"])
    return Owner(email, project_id, key, str(credentials["personal_api_key"]))


def ready(page: Page) -> None:
    page.wait_for_load_state("load")
    page.evaluate("window.shop.ready")


def walk(page: Page, shop: str, key: str, email: str) -> str:
    """View, click, sign up and buy; returns the anonymous id the visitor had before signing up."""
    page.goto(f"{shop}/index.html?{urlencode({'key': key})}")  # capture's address from /config.json
    ready(page)
    anonymous = str(page.evaluate("clickpath.distinctId()"))
    page.click("#shop-now")
    page.wait_for_url("**/products.html")
    ready(page)
    page.click('button[data-add="trail-runner"]')
    page.goto(f"{shop}/product.html?id=rain-shell")
    ready(page)
    page.click("#add")
    page.click("text=Go to checkout")
    page.wait_for_url("**/checkout.html")
    ready(page)
    page.goto(f"{shop}/signup.html")
    ready(page)
    page.fill("#name", "Ada Lovelace")
    page.fill("#email", email)
    page.select_option("#plan", "member")
    page.click("#sign-up")
    page.wait_for_selector("#signed-up", state="visible")
    page.goto(f"{shop}/checkout.html")
    ready(page)
    assert page.inner_text("#total") == "$208.50"
    page.click("#pay")
    page.wait_for_selector("#paid", state="visible")
    # everything the SDK queued was acknowledged by capture (the queue is kept until then)
    queue = f"cp_{key}_q"
    deadline = time.monotonic() + WAIT_S
    while page.evaluate("(name) => localStorage.getItem(name)", queue) not in ("[]", None):
        assert time.monotonic() < deadline, "the SDK's queue did not empty"
        page.wait_for_timeout(200)
    page.evaluate("clickpath.optOut()")  # so leaving the page sends no $pageleave after the checks
    return anonymous

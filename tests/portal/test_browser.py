"""A real browser logs in, sees the home page in Chinese and in English, and logs out."""

import pytest

from tests.browser import log_in, page  # noqa: F401  (fixture)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_home_in_both_languages_and_logout(page):  # noqa: F811
    from portal.demo import load_portal_demo

    load_portal_demo()
    log_in(page, "lead")
    assert page.locator("h1").inner_text().startswith("欢迎")
    assert page.get_by_role("heading", name="我的团队").is_visible()
    assert page.locator("td.store-code").all_inner_texts() == ["clouddry-tmall"]

    page.select_option("#language-select", "en")
    page.wait_for_load_state()
    page.get_by_role("heading", name="My teams").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "晾衣架客服组" in page.content()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    page.goto("/")
    assert "/login/" in page.url

"""Sending the same answers more than once stores them once."""

from .conftest import answer_survey_by_clicking

POST_CONCURRENTLY = """
async count => {
    const form = document.querySelector("form[method=post]");
    const send = () => fetch(location.href, {method: "POST", body: new FormData(form)})
        .then(r => ({status: r.status, path: new URL(r.url).pathname}));
    return Promise.all(Array.from({length: count}, send));
}
"""

SEND_FORM_AGAIN = """
async token => {
    const body = new URLSearchParams({csrf_token: token});
    const r = await fetch(location.pathname.replace(/done$/, "check-your-answers"),
                          {method: "POST", body});
    return {status: r.status, path: new URL(r.url).pathname};
}
"""


def test_one_response_is_stored_when_send_is_pressed_twice_quickly(site, live_server):
    before = live_server.response_ids()
    answer_survey_by_clicking(site, "en")
    site.tab_to("form button[type=submit]")
    posts = []
    site.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # The answer to the first send is held back, as on a slow connection, so the second press
    # comes while the page still shows the button.
    check = f"/s/{live_server.slug}/check-your-answers"
    with live_server.answers_held_back("POST", check, seconds=1.0):
        with site.page.expect_request(lambda r: r.method == "POST"):
            site.page.keyboard.press("Enter")
        site.page.keyboard.press("Enter")
        site.page.wait_for_url(f"**/s/{live_server.slug}/done", wait_until="load")
    site.audit.check()

    assert len(posts) == 2, posts
    assert len(live_server.responses_since(before)) == 1


def test_one_response_is_stored_when_going_back_and_sending_again(site, live_server):
    before = live_server.response_ids()
    answer_survey_by_clicking(site, "pl")
    token = site.page.input_value("input[name=csrf_token]")
    site.navigates(lambda: site.page.click("form button[type=submit]"))
    done = f"/s/{live_server.slug}/done"
    assert site.path == done

    # Back from the confirmation, check your answers now leads to the confirmation again.
    site.page.go_back(wait_until="load")
    site.audit.check()
    assert site.path == done
    # The form as it was before sending (a kept tab, a restored page), sent once more.
    again = site.page.evaluate(SEND_FORM_AGAIN, token)
    assert again == {"status": 200, "path": done}
    site.navigates(lambda: site.page.reload())
    assert site.path == done
    assert len(live_server.responses_since(before)) == 1


def test_one_response_is_stored_when_sends_arrive_together(site, live_server):
    before = live_server.response_ids()
    answer_survey_by_clicking(site, "ro")

    results = site.page.evaluate(POST_CONCURRENTLY, 4)

    done = f"/s/{live_server.slug}/done"
    assert results == [{"status": 200, "path": done}] * 4
    assert len(live_server.responses_since(before)) == 1
    site.goto(done)

from tests.browser.conftest import run_axe


def test_explore(site, browser, live_server):
    s = site
    s.page.goto(live_server.url + "/s/video-appointments?lang=ur"); s.audit.checked.add(1)
    s.tab_to("form button")
    s.press_to_next_page()
    print(s.page.url)
    s.page.keyboard.press("Tab")
    print(s.focused())
    s.tab_to("input[name=role]")
    print(s.focused())
    r = s.page.evaluate("""() => [...document.querySelectorAll('.nhsuk-radios__item')].map(it => {
        const i = it.querySelector('input').getBoundingClientRect();
        const l = it.querySelector('label');
        const rg = document.createRange(); rg.selectNodeContents(l);
        const t = rg.getBoundingClientRect();
        const before = getComputedStyle(l, '::before');
        return {input: [i.left, i.right], text: [t.left, t.right], label: [l.getBoundingClientRect().left, l.getBoundingClientRect().right], beforeLeft: before.left, beforeRight: before.right, pad: getComputedStyle(l).paddingLeft + '/' + getComputedStyle(l).paddingRight, dir: getComputedStyle(l).direction};
    })""")
    for x in r: print(x)
    s.page.screenshot(path="/tmp/ur_role.png")
    s.page.keyboard.press("Space")
    s.tab_to("form button")
    s.press_to_next_page()
    s.tab_to("form button")
    s.press_to_next_page()
    print(s.page.url, s.focused())
    print(s.page.evaluate("() => document.querySelector('.nhsuk-error-summary').outerHTML.slice(0,200)"))
    s.tab_to("a[href='#answer']")
    s.page.keyboard.press("Enter")
    s.page.wait_for_timeout(300)
    print("after link", s.focused(), s.page.url)
    ctx = browser.new_context(java_script_enabled=False)
    p = ctx.new_page()
    p.goto(live_server.url + "/?lang=cy")
    print("nojs axe", run_axe(p))
    ctx.close()

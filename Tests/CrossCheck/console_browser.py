"""The web console in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium, against a real `mpos-host serve`.

Run by Tests/EndToEndTests/ConsoleBrowserTests.swift, which starts the host and adds the
people and the operator; this script does everything a person would do in the browser, and
runs `mpos-terminal` for what a terminal does. Each check prints `ok` or raises with what did
not happen; every wait is bounded.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "correct horse battery"


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what, flush=True)


class Console:
    def __init__(self, url, screenshots, width, height=900):
        options = Options()
        options.binary_location = os.environ.get("MPOS_CHROMIUM", "/usr/bin/chromium")
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={width},{height}", "--force-device-scale-factor=1"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(os.environ.get("MPOS_CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(20)
        self.url = url.rstrip("/")
        self.screenshots = screenshots
        self.width = width

    def close(self):
        self.driver.quit()

    def get(self, path):
        self.driver.get(self.url + path)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css, what, seconds=10):
        try:
            return WebDriverWait(self.driver, seconds).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))
        except Exception:
            raise AssertionError(f"within {seconds} s: {what} (no {css} on {self.driver.current_url})")

    def sign_in(self, name):
        self.get("/console/sign-in")
        self.find("#name").send_keys(name)
        self.find("#password").send_keys(PASSWORD)
        self.find("#sign-in-button").click()
        self.wait_for("#signed-in-as", f"{name} is signed in")

    def sign_out(self):
        self.find("#sign-out").click()
        self.wait_for("#sign-in", "the sign-in page after signing out")

    def h1(self):
        return self.find("h1").text

    def shot(self, name):
        if self.screenshots:
            path = os.path.join(self.screenshots, f"{name}-{self.width}.png")
            # The whole page, not just the window.
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(self.width, min(max(height, 600), 4000))
            self.driver.save_screenshot(path)
            self.driver.set_window_size(self.width, 900)
            print("screenshot:", path, flush=True)

    def fits_width(self):
        return self.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")

    def csp_violations(self):
        return [entry["message"] for entry in self.driver.get_log("browser")
                if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]]

    def cookies(self):
        return {cookie["name"]: cookie["value"] for cookie in self.driver.get_cookies()}


def post(url, fields, cookies):
    """A POST outside the browser (a forged request): the status the host answers."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def terminal(args, command, *arguments, stdin=""):
    run = subprocess.run([args.terminal, command, *arguments, "--state-dir", args.state_dir], input=stdin, text=True,
                         capture_output=True, timeout=60)
    return run.returncode, run.stdout + run.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--terminal", required=True, help="the mpos-terminal binary")
    parser.add_argument("--host-port", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--screenshots", default="")
    parser.add_argument("--idle-seconds", type=int, required=True)
    args = parser.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)

    wide = Console(args.url, args.screenshots, 1280)
    try:
        # Signed out: every page leads to the sign-in page.
        wide.get("/console/terminals")
        wide.wait_for("#sign-in", "a signed-out visitor is sent to the sign-in page")
        check(wide.driver.current_url.endswith("/console/sign-in"), "the terminals page sends a signed-out visitor to sign in")

        # A wrong password: the same words whatever was wrong.
        wide.find("#name").send_keys("root")
        wide.find("#password").send_keys("not the password")
        wide.find("#sign-in-button").click()
        wide.wait_for(".notice.error", "a refusal after a wrong password")
        check("Wrong user name, password or code" in wide.find(".notice.error").text, "a wrong password is refused in plain words")

        wide.sign_in("root")
        check(wide.h1() == "Dashboard", "the administrator lands on the dashboard")
        check(wide.find("#signed-in-now").text == "0", "no terminal is signed in yet")

        # Add a terminal; read its one-time code off the page.
        wide.get("/console/terminals")
        check(wide.find("#terminals-empty").text.startswith("No terminals yet"), "an empty terminal list says what to do next")
        wide.find("#add-terminal summary").click()
        wide.find("#new-label").send_keys("Counter <1> & \"quotes\"")
        wide.find("#add-terminal-button").click()
        wide.wait_for("#enrollment-code", "the new terminal's enrollment code")
        code = wide.find("#enrollment-code").get_attribute("value")
        terminal_id = wide.find("#new-terminal-id").text
        check(len(code) >= 16 and terminal_id, "the one-time code is shown in a copyable field")
        check("Counter <1> & \"quotes\"" in wide.find("main").text, "a label with markup characters is shown as text")
        wide.find("#copy-code").click()
        WebDriverWait(wide.driver, 5).until(lambda driver: wide.find("#copy-code").text == "Copied")
        check(True, "the copy button copies the code")

        # The terminal enrolls with it and signs on; the dashboard shows it signed in.
        status, output = terminal(args, "enroll", "--terminal-id", terminal_id, "--host", "127.0.0.1", "--port", args.host_port, stdin=code + "\n")
        check(status == 0, f"mpos-terminal enrolls with the code read off the page ({output.strip()[-200:]})")
        status, output = terminal(args, "sign-on", "--operator", "01", stdin="111111\n")
        check(status == 0, f"mpos-terminal signs on ({output.strip()[-200:]})")
        status, output = terminal(args, "sign-on", "--operator", "01", stdin="999999\n")
        check(status != 0, "a wrong operator key is refused (a refusal for the dashboard's chart)")
        status, output = terminal(args, "sign-on", "--operator", "01", stdin="111111\n")
        check(status == 0, "and signs on again")
        wide.get("/console/")
        check(wide.find("#signed-in-now").text == "1", "the dashboard shows the terminal signed in")
        check(wide.find("#state-signed-in").text == "1", "terminals by state counts it signed in")
        check(len(wide.all("#requests-chart svg rect")) >= 1, "the requests chart is drawn by the server (SVG bars)")
        check(len(wide.all("#refusals-chart svg rect")) >= 1 and "A2" in wide.find("#refusal-codes").text,
              "the refusals chart shows A2 with its meaning")
        check("wrong operator number or key" in wide.find("#refusal-codes").text and "re-enter" in wide.find("#refusal-codes").text,
              "the refusal's meaning and the operator's action are in plain words")
        check("intact" in wide.find("#audit-chain").text, "the dashboard shows the audit chain intact")
        check(wide.fits_width(), "the dashboard fits 1280 px")
        wide.shot("dashboard")

        wide.get("/console/terminals/" + terminal_id)
        check("signed-in" in wide.find("#terminal-state").text, "the terminal page shows it signed in")
        check("sign-on.succeeded" in wide.find("#activity").text, "its recent activity lists the sign-on")
        check("A2" in wide.find("#activity").text, "and the refused sign-on with its code")
        wide.shot("terminal")

        # Filters.
        wide.get("/console/terminals?state=blocked")
        check(len(wide.all("#terminals-empty")) == 1, "filtering by a state with no terminal shows the empty state")
        wide.get("/console/terminals")
        wide.find("#filter-label").send_keys("counter <1")
        wide.find("#terminal-filters button").click()
        wide.wait_for("#terminals", "the filtered terminal list")
        check(terminal_id in wide.find("#terminals").text, "the filter form (a label with a space, other fields blank) finds the terminal")

        # A viewer sees the dashboard only: no terminal pages, no block button; a forged POST is refused.
        viewer = Console(args.url, "", 1280)
        try:
            viewer.sign_in("vera")
            check([a.text for a in viewer.all("header nav a")] == ["Dashboard"], "a viewer's navigation has the dashboard only")
            viewer.get("/console/terminals/" + terminal_id)
            check(viewer.h1().startswith("403") and len(viewer.all("#block")) == 0, "a viewer cannot open the terminal page or see a block button")
            cookies = viewer.cookies()
            viewer.get("/console/")
            csrf = viewer.find("form input[name=csrf]").get_attribute("value")
            status, _ = post(args.url + f"/console/terminals/{terminal_id}/block", {"csrf": csrf}, cookies)
            check(status == 403, f"a viewer's forged block, with a valid CSRF token, is refused with 403 (got {status})")
            status, _ = post(args.url + f"/console/terminals/{terminal_id}/block", {}, cookies)
            check(status == 403, f"a POST without the CSRF token is refused with 403 (got {status})")
            status, _ = post(args.url + f"/console/terminals/{terminal_id}/block", {"csrf": "0" * 64}, wide.cookies())
            check(status == 403, f"an administrator's session with a wrong CSRF token is refused with 403 (got {status})")
        finally:
            viewer.close()
        wide.get("/console/terminals/" + terminal_id)
        check("signed-in" in wide.find("#terminal-state").text, "the forged requests changed nothing")

        # The help desk blocks it; its next sign-on is refused.
        wide.sign_out()
        wide.sign_in("helen")
        wide.get("/console/terminals/" + terminal_id)
        check(len(wide.all("#unblock")) == 0, "the help desk sees no unblock button")
        wide.find("#block").click()
        wide.wait_for(".notice.ok", "a notice after blocking")
        check("blocked" in wide.find("#terminal-state").text, "the terminal page shows it blocked")
        status, output = terminal(args, "sign-on", "--operator", "01", stdin="111111\n")
        check(status != 0 and "58" in output, f"the blocked terminal's next sign-on is refused with 58 ({output.strip()[-160:]})")
        wide.sign_out()

        # A rotation needs a second custodian.
        wide.sign_in("kc1")
        wide.get("/console/keys")
        before = wide.find("#base-master-keys").text
        wide.find("#request-rotation").click()
        wide.wait_for(".notice.ok", "a notice after requesting a rotation")
        check("awaiting a second custodian" in wide.find("#approvals").text and len(wide.all("[id^=approve-]")) == 0,
              "the requester cannot approve their own rotation")
        check(wide.find("#base-master-keys").text == before, "nothing changed before the second custodian approves")
        wide.sign_out()
        wide.sign_in("kc2")
        wide.get("/console/keys")
        wide.find("[id^=approve-]").click()
        wide.wait_for(".notice.ok", "a notice after approving")
        check("v2" in wide.find("#base-master-keys").text, "the second custodian's approval puts v2 in force")
        wide.sign_out()

        # The administrator unblocks it; the dashboard says it runs an older key.
        wide.sign_in("root")
        wide.get("/console/terminals/" + terminal_id)
        wide.find("#unblock").click()
        wide.wait_for(".notice.ok", "a notice after unblocking")
        wide.get("/console/")
        check("1 terminals still run an older version" in wide.find("#older-keys").text, "the dashboard counts the terminal on the older key")
        for page in ["operators", "keys", "cards", "contracts", "outbox", "people"]:
            wide.get("/console/" + page)
            check(not wide.h1().startswith("4") and not wide.h1().startswith("5"), f"the {page} page opens for the administrator")
        check(wide.csp_violations() == [], f"no Content-Security-Policy violation on any page ({wide.csp_violations()})")

        # The audit trail names everyone; verify.
        wide.sign_out()
        wide.sign_in("audrey")
        wide.get("/console/audit?actor=kc2")
        check("user:kc2 (key-custodian)" in wide.find("#audit").text, "the audit page filters by person")
        wide.get("/console/audit?verify=1")
        check("Intact" in wide.find("#verification").text, "the auditor verifies the chain")
        check(code not in wide.driver.page_source, "the enrollment code is nowhere in the audit trail")

        # A session ends after the idle timeout.
        time.sleep(args.idle_seconds + 2)
        wide.get("/console/")
        wide.wait_for("#sign-in", "the sign-in page after the idle timeout", seconds=10)
        check("session has ended" in wide.find(".notice").text, "an idle session times out and the page says so")
    finally:
        wide.close()

    # At a phone's width: the same pages, no sideways scrolling.
    phone = Console(args.url, args.screenshots, 390, 844)
    try:
        phone.sign_in("root")
        check(phone.fits_width(), "the dashboard fits a 390 px screen")
        phone.shot("dashboard")
        phone.get("/console/terminals/" + terminal_id)
        check(phone.fits_width(), "the terminal page fits a 390 px screen")
        phone.shot("terminal")
        phone.get("/console/terminals")
        check(phone.fits_width(), "the terminal list fits a 390 px screen (its table scrolls inside its box)")
    finally:
        phone.close()
    print("all console checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print("FAILED:", failure, file=sys.stderr, flush=True)
        sys.exit(1)

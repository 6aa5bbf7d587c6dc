"""Drive the participant app in Chromium like a person would, and peek into its storage."""

from __future__ import annotations

import time

DB_MODULE = """
  const main = document.querySelector('script[type=module][src*="js/app/main.js"]').src;
  const db = await import(main.replace("main.js", "db.js"));
  const records = await import(main.replace("main.js", "records.js"));
"""


def press_join(page, code: str) -> None:
    """Open the invite link and press its button, as a participant does."""
    page.goto(f"/join/{code}")
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def join_in_browser(context, code: str):
    """Join with the invite code in a new page; return the page."""
    page = context.new_page()
    press_join(page, code)
    return page


def open_app(context, code: str):
    """Join with the invite code and wait until the app is installed and controls the page."""
    page = join_in_browser(context, code)
    return wait_for_app(page)


def wait_for_app(page):
    page.wait_for_url("**/app/**")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    page.wait_for_selector("#app .cards")
    return page


def open_app_as(context, signed_in) -> object:
    """Open the app in context with the session of the signed-in context: one person's
    account on a second device (a new invite would sign the first one out)."""
    context.add_cookies(signed_in.cookies())
    page = context.new_page()
    page.goto("/app/")
    return wait_for_app(page)


def outbox(page) -> list[dict]:
    return page.evaluate(f"async () => {{ {DB_MODULE} return await db.getAll('outbox'); }}")


def stored(page) -> list[dict]:
    """The participant's responses as the app reads them (decrypted)."""
    return page.evaluate(f"async () => {{ {DB_MODULE} return await records.responses(); }}")


DUMP = """async (only) => {
  const text = (value) => {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = new Uint8Array(value.buffer ?? value, value.byteOffset ?? 0, value.byteLength);
      return { bytes: Array.from(bytes, (b) => String.fromCharCode(b)).join("") };
    }
    if (value instanceof CryptoKey) return { cryptoKey: value.extractable ? "raw" : "sealed" };
    if (Array.isArray(value)) return value.map(text);
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, text(v)]));
    }
    return value;
  };
  const open = (name) => new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const all = (store) => new Promise((resolve, reject) => {
    const request = store.getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const dump = {};
  for (const { name } of await indexedDB.databases()) {
    if (only && name !== only) continue;
    const database = await open(name);
    dump[name] = {};
    for (const storeName of database.objectStoreNames) {
      const tx = database.transaction([storeName], "readonly");
      dump[name][storeName] = text(await all(tx.objectStore(storeName)));
    }
    database.close();
  }
  return dump;
}"""


def dump_indexeddb(page) -> dict:
    """Everything in the page's IndexedDB as stored (bytes as latin-1 text), per database."""
    return page.evaluate(DUMP, None)


def database_names(page) -> list[str]:
    """The IndexedDB databases the page's origin has (without opening any)."""
    return page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)")


def worker_registration_id(cdp, page) -> str:
    """The service worker's registration, as DevTools names it (to hand it events)."""
    found: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: found.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # Playwright hands over CDP events while the page waits
        if any(not r["isDeleted"] for r in found):
            break
        page.wait_for_timeout(100)
    return next(r for r in found if not r["isDeleted"])["registrationId"]


def hold_outbox_in_another_tab(context):
    """Open a tab that holds the outbox's lock, as a tab sending at that moment does; return
    it (``tab.evaluate("window.releaseOutbox()")`` lets go)."""
    tab = context.new_page()
    tab.goto("/offline")
    tab.evaluate("""() => new Promise((held) => navigator.locks.request("loype-outbox", () => {
      held();
      return new Promise((release) => { window.releaseOutbox = release; });
    }))""")
    return tab


def fire_background_sync(context, page, origin: str, just_before=None) -> None:
    """Hand the service worker a Background Sync event for the outbox, as the browser does
    when the network comes back; ``just_before`` runs once the worker's registration is known
    (the last step before the event, e.g. letting go of a lock another tab held)."""
    cdp = context.new_cdp_session(page)
    registration = worker_registration_id(cdp, page)
    if just_before is not None:
        just_before()
    cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": origin, "registrationId": registration,
        "tag": "loype-outbox", "lastChance": False,
    })  # fmt: skip


def locked_store(page, participant_id: int) -> dict:
    """The stores of one participant's database on the phone, as stored."""
    return page.evaluate(DUMP, f"loype-p{participant_id}")[f"loype-p{participant_id}"]


def wait_until(predicate, timeout: float = 20.0, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}")


def next_page(page):
    page.click("#app form.questionnaire > .actions button[type=submit]")


def fill_kartlegging(page) -> None:
    """Answer every page of the mapping questionnaire, including two education entries."""
    page.wait_for_selector("#fields")
    page.check("#mapped_before-0")
    page.fill("#previous_mapping_where", "NAV Oslo")
    page.fill("#previous_mapping_when", "2024-03-01")
    page.check("#documents_available-0")
    next_page(page)
    page.wait_for_selector("#short_term_goal_kind-2")
    page.check("#short_term_goal_kind-2")
    page.fill("#short_term_goal", "Lære norsk")
    page.check("#long_term_goal_kind-0")
    page.fill("#desired_occupation", "Sykepleier")
    next_page(page)
    page.wait_for_selector("#household-2")
    page.check("#household-1")
    page.check("#household-2")
    page.fill("#children_count", "2")
    next_page(page)
    page.wait_for_selector("#educations-0-level")
    page.select_option("#educations-0-level", "bachelor")
    page.fill("#educations-0-field", "Nursing")
    page.select_option("#educations-0-country", "SY")
    page.click('button[value="add:educations"]')
    page.select_option("#educations-1-level", "master")
    page.fill("#educations-1-field", "Public health")
    page.check("#has_work_experience-0")
    page.fill("#jobs-0-occupation", "Nurse")
    next_page(page)
    page.wait_for_selector("#skills-0")
    page.check("#skills-0")
    next_page(page)
    page.wait_for_selector("#recognition_applied-3")
    page.check("#recognition_applied-3")
    next_page(page)
    page.wait_for_selector("#mother_tongue")
    page.select_option("#mother_tongue", "ar")
    page.check("#norwegian_level-1")
    next_page(page)
    page.wait_for_selector("#digital_phone-3")
    page.check("#digital_phone-3")
    next_page(page)
    page.wait_for_selector("#anything_else")
    page.fill("#anything_else", "Takk for hjelpen")
    next_page(page)
    page.wait_for_selector("#send")


EXPECTED = {
    "mapped_before": "yes", "previous_mapping_where": "NAV Oslo",
    "previous_mapping_when": "2024-03-01", "documents_available": ["diplomas"],
    "short_term_goal_kind": "norwegian", "short_term_goal": "Lære norsk",
    "long_term_goal_kind": "work", "desired_occupation": "Sykepleier",
    "household": ["partner", "children"], "children_count": 2,
    "educations": [{"level": "bachelor", "field": "Nursing", "country": "SY"},
                   {"level": "master", "field": "Public health"}],
    "has_work_experience": True, "jobs": [{"occupation": "Nurse"}], "skills": ["care"],
    "recognition_applied": "no", "mother_tongue": "ar", "norwegian_level": "A2",
    "digital_phone": 4, "anything_else": "Takk for hjelpen",
}  # fmt: skip


def start_mapping(page) -> str:
    """Start the mapping questionnaire from the list; return the new response's id."""
    page.click("#app .card button.primary")
    page.wait_for_selector("#fields")
    return page.url.split("#/r/")[1].split("/")[0]

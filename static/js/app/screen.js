/**
 * What every part of the app shares about the screen it draws on: the root element, the
 * participant's language and the interface texts (in that language, from the page).
 */
import { qtext as engineText } from "../engine/dom.js";

export const root = document.getElementById("app");
export const LANG = root.dataset.lang;
export const S = JSON.parse(document.getElementById("app-strings").textContent);
export const SIDE_BY_SIDE = "loype-side-by-side";
/**
 * The locales dates and times are written in: the participant's language as written in Norway
 * (English as en-NO, day first, not the American 12/4/26 of plain "en"), then bokmål. A
 * browser without data for the language (Chromium has none for nn, ti, so, ps or ckb) would
 * otherwise write its own default, often month first: 12/4/2026 for the 4th of December.
 * The server's pages write the same (webapp/i18n.py).
 */
const LOCALES = [LANG === "en" ? "en-NO" : LANG.replace("_", "-"), "nb"];
// As the server's pages write them (Babel's "short"): no seconds, the Gregorian calendar (the
// browser's Persian would otherwise use the Persian one, 1405/9/13 for that same day) and
// Latin digits, as every other number in the app and on the server's pages (the browser's
// Persian would otherwise write ۲۰۲۶/۱۲/۴ for 2026/12/4).
const SHORT = { dateStyle: "short", calendar: "gregory", numberingSystem: "latn" };

/** A moment (an ISO string, a number or a Date) as a date and time in the participant's language. */
export const formatMoment = (value) =>
  new Date(value).toLocaleString(LOCALES, { ...SHORT, timeStyle: "short" });

/** A calendar day (a Date at local midnight) in the participant's language. */
export const formatDay = (date) => date.toLocaleDateString(LOCALES, SHORT);

// Numbers in the language itself (English 2.5, not en-NO's 2,5), as Babel's on the server.
const NUMBER = new Intl.NumberFormat([LANG.replace("_", "-"), "nb"], { numberingSystem: "latn" });
/** A number as the server's pages write it (Babel's decimal: 2,5 in bokmål, 12 345). */
export const formatNumber = (value) => NUMBER.format(value);

/** A questionnaire text, marked with its language when it is a fallback. */
export const qtext = (body, pointer) => engineText({ doc: body.document, lang: LANG }, pointer);

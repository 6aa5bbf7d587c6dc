/**
 * The live preview: the current page of the draft, rendered by the participant app's own
 * engine (static/js/engine) in any of the questionnaire's languages, right-to-left included.
 * Answers typed into it drive the conditions, as on the phone. Like the phone, it draws a
 * language with that language's app texts ("optional", "Choose …", Yes/No) and country and
 * language names: the page holds the texts of the language it opens in, the builder's
 * preview endpoint sends each other language's (and the names) when it is first shown.
 */
import { renderSection } from "../engine/render.js";
import { shownItems } from "../engine/conditions.js";
import { buildDefinition, text } from "../engine/types.js";
import { RTL } from "../engine/dom.js";
let page = 0;
let answers = {};
let lastDoc = null;
let lastSelected = null;
const $ = (id) => document.getElementById(id);
/** lang -> {strings, names} from the server; langs being fetched. */
const texts = new Map();
const fetching = new Set();

const NAMED = ["country", "language"];
const needsNames = (definition) => Object.values(definition.questions)
  .some((q) => NAMED.includes(q.widget) || q.children.some((c) => NAMED.includes(c.widget)));

/**
 * Return the app's texts and names for lang as far as they are here, and fetch what is
 * missing (the preview is drawn again when it comes, if lang is still the one shown).
 */
function textsFor(lang, withNames, ctx) {
  const embedded = ctx.C.preview;
  const have = texts.get(lang) ?? (embedded?.lang === lang ? { strings: embedded.strings } : null);
  if ((!have || (withNames && !have.names)) && !fetching.has(lang) && ctx.C.urls.preview) {
    fetching.add(lang);
    fetch(ctx.C.urls.preview.replace("LANG", encodeURIComponent(lang)), { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((body) => {
        texts.set(lang, body);
        if (lastDoc && shownLang(lastDoc) === lang) renderPreview(lastDoc, lastSelected, ctx);
      })
      .catch(() => undefined) // drawn with the texts at hand; asked again on the next drawing
      .finally(() => fetching.delete(lang));
  }
  // Until they come: the language's texts without names, or the texts the page holds.
  return {
    strings: have?.strings ?? embedded?.strings ?? {},
    names: have?.names ?? {},
  };
}

const shownLang = (doc) => $("preview-lang").value || doc.source_language;

/**
 * Whether a section of the draft names a question its schema has: a preview that cannot be
 * drawn then fails for a problem in the draft (listed under Problems), not for want of one.
 */
function hasSectionWithQuestion(doc) {
  const questions = doc?.schema?.properties;
  const sections = doc?.ui?.sections;
  if (!questions || typeof questions !== "object" || !Array.isArray(sections)) return false;
  return sections.some((s) => Array.isArray(s?.items)
    && s.items.some((item) => typeof item === "string" && Object.hasOwn(questions, item)));
}

/** Say why there is no preview: no section with a question yet, or problems to fix first. */
export function unavailable(doc, ctx) {
  const { S } = ctx;
  $("preview").replaceChildren(ctx.el("p", {},
    hasSectionWithQuestion(doc) ? S.preview_problems : S.preview_unavailable));
}

export function renderPreview(doc, selected, ctx) {
  lastDoc = doc;
  const { S } = ctx;
  const form = $("preview");
  const phone = $("preview-phone");
  let definition;
  try {
    definition = buildDefinition(doc);
    if (!definition.sections.length) throw new Error("no pages");
  } catch {
    unavailable(doc, ctx);
    $("preview-page").textContent = "";
    return;
  }
  if (selected !== lastSelected) {
    const id = selected.kind === "section" ? selected.id : selected.kind === "question" ? selected.id?.split("/")[0] : null;
    const at = definition.sections.findIndex((s) => s.id === id || s.items.includes(id));
    if (at >= 0) page = at;
    lastSelected = selected;
  }
  page = Math.min(Math.max(page, 0), definition.sections.length - 1);
  const lang = shownLang(doc);
  const { strings, names } = textsFor(lang, needsNames(definition), ctx);
  phone.setAttribute("lang", lang.replace("_", "-"));
  phone.setAttribute("dir", RTL.has(lang) ? "rtl" : "ltr");
  const section = definition.sections[page];
  const title = ctx.el("h3", {}, text(doc, `/ui/sections/${section.sourceIndex}/title`, lang) ?? "");
  const fields = ctx.el("div", { class: "fields" });
  form.replaceChildren(title, fields);
  let drawn = true;
  try {
    renderSection(fields, { doc, definition, section: page, answers, lang, names,
      strings: { ...strings, messages: strings.messages },
      onChange: (now) => { answers = now; } });
  } catch {
    drawn = false;
    unavailable(doc, ctx);
  }
  if (drawn) {
    // A page with nothing on it yet is not one its conditions skip.
    if (!section.items.length) form.append(ctx.el("p", { class: "muted" }, S.preview_empty));
    else if (!shownItems(definition, section, answers).length) form.append(ctx.el("p", { class: "muted" }, S.preview_hidden));
  }
  $("preview-page").textContent = ctx.S.preview_page.replace("%(position)s", page + 1).replace("%(count)s", definition.sections.length);
  $("preview-back").disabled = page === 0;
  $("preview-next").disabled = page === definition.sections.length - 1;
  wire(ctx);
}

let wired = false;
function wire(ctx) {
  if (wired) return;
  wired = true;
  const again = () => renderPreview(lastDoc, lastSelected, ctx);
  $("preview-back").addEventListener("click", () => { page -= 1; again(); });
  $("preview-next").addEventListener("click", () => { page += 1; again(); });
  $("preview-lang").addEventListener("change", again);
}

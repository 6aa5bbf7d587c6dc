/**
 * The few DOM helpers every page of the app and the form engine share. Import them; a copy
 * drifts. Questionnaire texts only ever become text nodes, never HTML.
 */
import { textWithLanguage } from "./types.js";

/** Right-to-left languages (as webapp/questionnaires/names.py text_direction says). */
export const RTL = new Set(["ar", "fa", "fa_AF", "ps", "ckb", "he", "ur"]);

/** Make an element: attributes (on* functions become listeners), then children; null skipped. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return node;
}

/** Replace a node's children, leaving out null and false (replaceChildren would print them). */
export function show(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
}

/** A questionnaire text; one from a fallback language is marked with its language and dir. */
export function qtext(ctx, pointer) {
  const [value, lang] = textWithLanguage(ctx.doc, pointer, ctx.lang) ?? [""];
  if (!lang || lang === ctx.lang) return value;
  return el("span", { lang: lang.replaceAll("_", "-"), dir: RTL.has(lang) ? "rtl" : "ltr" }, value);
}

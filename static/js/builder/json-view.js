/**
 * The JSON view of the draft: CodeMirror (from static/vendor, named by the page's import map)
 * with JSON highlighting and bracket matching. Tab is left to move the focus, so the keyboard
 * is never trapped in the editor; Escape then Tab also leaves it.
 */
import { EditorState } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { json } from "@codemirror/lang-json";

// The page's Content-Security-Policy allows the editor's own styles by this nonce only.
const nonce = document.querySelector('meta[name="csp-nonce"]')?.content ?? "";

/** Put an editor with text into parent; onChange() is called after every edit. */
export function mountJsonView(parent, text, label, onChange) {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(), history(), bracketMatching(), indentOnInput(), highlightActiveLine(),
        EditorView.lineWrapping, EditorView.cspNonce.of(nonce),
        syntaxHighlighting(defaultHighlightStyle), json(),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => { if (update.docChanged) onChange(); }),
      ],
    }),
  });
}

/** Replace the whole text (after a change made in the builder). */
export function replaceText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

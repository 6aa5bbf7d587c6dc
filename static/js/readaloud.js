/**
 * Read a question aloud: a recorded clip when the questionnaire has one for this language,
 * otherwise the browser's speech synthesis when it has a voice for the language. With
 * neither, no button is shown: never a button that stays silent.
 */

const bcp47 = (lang) => lang.replace("_", "-");

/** Return a voice for lang (exact, then same base language), or null. */
export function voiceFor(lang, voices = globalThis.speechSynthesis?.getVoices() ?? []) {
  const wanted = bcp47(lang).toLowerCase();
  const base = wanted.split("-")[0];
  return voices.find((v) => v.lang.toLowerCase() === wanted)
    ?? voices.find((v) => v.lang.toLowerCase().split("-")[0] === base) ?? null;
}

/** Resolve the voices once the browser has loaded them (some load asynchronously). */
function voicesReady() {
  const synth = globalThis.speechSynthesis;
  if (!synth) return Promise.resolve([]);
  const now = synth.getVoices();
  if (now.length) return Promise.resolve(now);
  return new Promise((resolve) => {
    const done = () => resolve(synth.getVoices());
    synth.addEventListener?.("voiceschanged", done, { once: true });
    setTimeout(done, 1500); // a browser without voices never fires the event
  });
}

// The words of one question as a person sees them: title, help, then the options.
function wordsOf(block) {
  const head = block.querySelector(":scope > legend, :scope > label");
  const parts = [head, block.querySelector(":scope > .help")]
    .map((node) => node && [...node.childNodes]
      .filter((n) => !(n.classList?.contains("optional") || n.classList?.contains("nb-text")))
      .map((n) => n.textContent).join(" "));
  for (const label of block.querySelectorAll(".choice label")) {
    const own = [...label.childNodes].filter((n) => !n.classList?.contains("nb-text"));
    parts.push(own.map((n) => n.textContent).join(" "));
  }
  return parts.filter((t) => t && t.trim()).join(". ");
}

let playing = null;
function stop() {
  globalThis.speechSynthesis?.cancel();
  if (playing) {
    playing.pause();
    playing = null;
  }
}

/**
 * Add a "listen" button to each question block in container.
 * blocks: [{element, id}]; audio: {question id: clip URL}; label: the button's text.
 */
export async function addReadAloud(blocks, { lang, audio = {}, label }) {
  const voice = voiceFor(lang, await voicesReady());
  for (const { element, id } of blocks) {
    element.querySelector(":scope > .read-aloud")?.remove();
    const clip = audio[id];
    if (!clip && !voice) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "read-aloud secondary";
    button.dataset.source = clip ? "clip" : "voice";
    button.append(label);
    button.addEventListener("click", () => {
      stop();
      if (clip) {
        playing = new Audio(clip);
        playing.play().catch(() => {});
      } else {
        const utterance = new SpeechSynthesisUtterance(wordsOf(element));
        utterance.lang = bcp47(lang);
        utterance.voice = voice;
        speechSynthesis.speak(utterance);
      }
    });
    const head = element.querySelector(":scope > legend, :scope > label");
    (head ?? element.firstChild)?.after(button);
  }
}

/** Enhance a server-rendered questionnaire page (fill/page.html). */
export function enhancePage(form) {
  const { lang, listen } = form.dataset;
  const audio = JSON.parse(form.dataset.audio || "{}");
  const blocks = [...form.querySelectorAll(":scope > .field, :scope > fieldset.field")]
    .map((element) => ({
      element,
      id: element.id || element.querySelector("input, select, textarea")?.name,
    }));
  return addReadAloud(blocks, { lang, audio, label: listen });
}

const page = document.querySelector("form.questionnaire[data-listen]");
if (page) enhancePage(page);

// Jejaring Coach — the Telegram Mini App: the participant's map, drawn and edited by touch.
// Plain JavaScript and SVG, served by us (no library, nothing from another host). Telegram
// passes its launch parameters in the URL's fragment (tgWebAppData, tgWebAppThemeParams).
//
// This is the app's entry (an ES module): the session asked for early, then the app itself.
// Its parts: miniapp-app.js (the buttons wired, the start), miniapp-page.js (shared state,
// elements, texts, Telegram), miniapp-net.js (the server), miniapp-draw.js (the SVG),
// miniapp-touch.js (gestures), miniapp-sheets.js (editing: cards, adding) and
// miniapp-views.js (colours and filters, analysis, comparison).

// The session (and with it the map) is asked for at once, while the page is still parsed:
// the script is loaded async, and only the drawing waits for the document. (A module has no
// document.currentScript: its tag is found by its data-mode.)
const script = document.querySelector("script[data-mode]");
const given = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
let early = null;
if (script && script.dataset.mode === "participant" && given) {
  early = fetch("/app/api/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ init_data: given }),
    credentials: "same-origin",
  });
  early.catch(() => {}); // a failure is answered once the page is there (below)
}
// The rest of the app: its modules were preloaded beside this one (miniapp.html), and are
// imported only now, so the session's request above is not held back until they are in.
import("./miniapp-app.js").then(({ app }) => {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => app(early));
  else app(early);
});


// Jejaring Coach — the Mini App once its page is there: the buttons wired, Telegram told it is
// ready, the session (asked for early by miniapp.js) and the map shown.
import {
  $,
  S,
  applyTheme,
  launch,
  listenToTelegram,
  postEvent,
  relabel,
  say,
  setUp,
  texts,
} from "./miniapp-page.js";
import { setViewBox, show } from "./miniapp-draw.js";
import { answered, api, base, change, load } from "./miniapp-net.js";
import { listenToTouch } from "./miniapp-touch.js";
import { closeSheet, openAdd } from "./miniapp-sheets.js";
import { openAnalysis, openCompare, openView } from "./miniapp-views.js";

export function app(early) {
  const body = document.body;
  setUp();
  listenToTelegram();
  listenToTouch();
  $("sheet-close").addEventListener("click", closeSheet);
  $("btn-add").addEventListener("click", () => S.scene && openAdd());
  $("btn-undo").addEventListener("click", () => change({ op: "undo" }));
  $("btn-redo").addEventListener("click", () => change({ op: "redo" }));
  $("btn-view").addEventListener("click", () => S.scene && openView());
  $("btn-analysis").addEventListener("click", () => S.scene && openAnalysis());
  $("btn-compare").addEventListener("click", () => S.scene && openCompare());
  $("btn-fit").addEventListener("click", () => {
    if (!S.scene) return;
    S.vb = S.scene.view_box.slice();
    setViewBox();
  });
  $("maps").addEventListener("change", (e) => load(e.target.value));
  // Back from the chat: what was changed there shows here (the same map, read again).
  document.addEventListener("visibilitychange", async () => {
    if (document.visibilityState !== "visible" || !S.scene || S.busy) return;
    const answer = await api(`${base()}?map=${S.mapId}`).catch(() => null);
    if (answer) show(answer, false);
  });

  async function start() {
    const given = launch();
    if (given.theme) applyTheme(given.theme);
    postEvent("web_app_ready");
    postEvent("web_app_expand");
    if (S.mode !== "coach") {
      if (!given.data) {
        say(S.T.need_telegram);
        body.dataset.refused = "1";
        return;
      }
      try {
        const session = await (early
          ? answered(early)
          : api("/app/api/session", {
              method: "POST",
              body: JSON.stringify({ init_data: given.data }),
            }));
        S.token = session.token;
        body.dataset.locale = session.locale;
        S.T = texts(session.locale);
        relabel();
        show(session, true); // the map open in the chat comes with the token
        return;
      } catch (error) {
        say(error.status === 401 ? S.T.expired : error.status ? S.T.need_telegram : S.T.error);
        if (error.status) body.dataset.refused = "1";
        return;
      }
    }
    try {
      await load(null);
    } catch (_) {
      say(S.T.error);
    }
  }
  start();
}

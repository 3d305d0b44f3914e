// Jejaring Coach — the Mini App's page: the state its parts share, building elements, the
// texts, the status line, and Telegram's side of the conversation (launch parameters, theme).
// An ES module of the app loaded by miniapp.js; nothing here runs before start() is called.

// What the parts share, set up by setUp() once the document is there.
export const S = {
  mode: null, // "participant" or "coach"
  T: null, // the texts of the page's language
  token: null, // the session's bearer token (a participant's)
  scene: null, // the map as drawn: layout, nodes, lines, choices (coaching/mapapp.py)
  mapId: null,
  busy: false, // a change is on its way to the server
  vb: [0, 0, 360, 360], // the SVG's view box: what part of the map is shown
  draws: 0,
  look: {
    colour: "cluster",
    only: "",
    roles: new Set(),
    suggested: true,
    added: new Set(), // actors (keys) and ties that appeared, as the last comparison found
    newTies: new Set(),
  },
};

export const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";

export function setUp() {
  const body = document.body;
  S.mode = body.dataset.mode;
  S.T = texts(body.dataset.locale || "id");
}

export function texts(locale) {
  const block = $("texts-" + locale) || $("texts-id");
  return JSON.parse(block.textContent);
}
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : ""));
}
export function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS(NS, tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}
export function say(message) {
  const status = $("status");
  status.textContent = message;
  status.hidden = !message;
}
let toastTimer = 0;
export function toast(message) {
  say(message);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => say(""), 3000);
}
export function relabel() {
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = S.T[node.dataset.t];
  document.documentElement.lang = document.body.dataset.locale;
}

// --- Telegram ------------------------------------------------------------------------------
export function launch() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { data: params.get("tgWebAppData"), theme: params.get("tgWebAppThemeParams") };
}
export function postEvent(type, data) {
  const payload = JSON.stringify(data || {});
  try {
    if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, payload);
    else if (window.external && "notify" in window.external)
      window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
    else if (window.parent !== window)
      window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "*");
  } catch (_) {
    /* outside Telegram: nothing to tell */
  }
}
export function applyTheme(raw) {
  try {
    themed(JSON.parse(raw));
  } catch (_) {
    /* a theme we cannot read: our defaults */
  }
}
function themed(params) {
  for (const [k, v] of Object.entries(params || {})) {
    if (/^#[0-9a-fA-F]{3,8}$/.test(String(v)))
      document.documentElement.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), v);
  }
}
// Telegram tells the app of a new theme while it is open: the phone and desktop apps call
// Telegram.WebView.receiveEvent, Telegram Web posts a message to its frame.
function received(type, data) {
  if (type === "theme_changed" && data && typeof data.theme_params === "object") themed(data.theme_params);
}
export function listenToTelegram() {
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = { receiveEvent: received };
  window.TelegramGameProxy = { receiveEvent: received };
  window.addEventListener("message", (e) => {
    if (e.source !== window.parent || !/^https:\/\/web[ka]?\.telegram\.org$/.test(e.origin)) return;
    try {
      const message = JSON.parse(e.data);
      received(message.eventType, message.eventData);
    } catch (_) {
      /* not Telegram's */
    }
  });
}

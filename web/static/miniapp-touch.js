// Jejaring Coach — the Mini App's touch: pan, pinch and wheel zoom, a tap opens an actor's or
// a tie's card, a drag from one actor to another draws a tie.
import { $, S } from "./miniapp-page.js";
import { byKey, setViewBox } from "./miniapp-draw.js";
import { change } from "./miniapp-net.js";
import { openCard, openTie } from "./miniapp-sheets.js";

function toSvg(x, y) {
  const svg = $("map");
  const p = svg.createSVGPoint();
  p.x = x;
  p.y = y;
  return p.matrixTransform(svg.getScreenCTM().inverse());
}

// The gestures on the map, listened to once the document is there.
export function listenToTouch() {
  const svg = $("map");
  const rubber = $("rubber");
  const pointers = new Map();
  let gesture = null;
  svg.addEventListener("pointerdown", (e) => {
    if (!S.scene) return;
    svg.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) {
      gesture = { kind: "pinch" };
      rubber.classList.remove("on");
      return;
    }
    const actor = e.target.closest(".actor");
    const tie = e.target.closest(".tie");
    gesture = {
      kind: actor ? "actor" : tie ? "tie" : "pan",
      key: actor ? actor.dataset.key : null,
      tie: tie ? [tie.dataset.a, tie.dataset.b] : null,
      x: e.clientX,
      y: e.clientY,
      moved: false,
    };
  });
  svg.addEventListener("pointermove", (e) => {
    const last = pointers.get(e.pointerId);
    if (!last || !gesture) return;
    const now = { x: e.clientX, y: e.clientY };
    if (gesture.kind === "pinch" && pointers.size === 2) {
      const [p, q] = [...pointers.entries()].map(([id, v]) => (id === e.pointerId ? now : v));
      const [p0, q0] = [...pointers.values()];
      const before = Math.hypot(p0.x - q0.x, p0.y - q0.y);
      const after = Math.hypot(p.x - q.x, p.y - q.y);
      if (before > 0 && after > 0) zoom(before / after, (p.x + q.x) / 2, (p.y + q.y) / 2);
      pointers.set(e.pointerId, now);
      return;
    }
    if (Math.hypot(now.x - gesture.x, now.y - gesture.y) > 8) gesture.moved = true;
    if (gesture.kind === "pan" || (gesture.kind === "tie" && gesture.moved)) {
      const a = toSvg(last.x, last.y);
      const b = toSvg(now.x, now.y);
      S.vb[0] -= b.x - a.x;
      S.vb[1] -= b.y - a.y;
      setViewBox();
    } else if (gesture.kind === "actor" && gesture.moved && !S.scene.map.read_only) {
      const from = byKey().get(gesture.key);
      const to = toSvg(now.x, now.y);
      rubber.setAttribute("x1", from.x);
      rubber.setAttribute("y1", from.y);
      rubber.setAttribute("x2", to.x);
      rubber.setAttribute("y2", to.y);
      rubber.classList.add("on");
    }
    pointers.set(e.pointerId, now);
  });
  function release(e) {
    pointers.delete(e.pointerId);
    if (!gesture) return;
    const done = gesture;
    if (done.kind === "pinch") {
      if (pointers.size === 0) gesture = null;
      return;
    }
    gesture = null;
    rubber.classList.remove("on");
    if (e.type === "pointercancel") return;
    if (done.kind === "actor" && !done.moved) openCard(done.key);
    else if (done.kind === "tie" && !done.moved) openTie(done.tie[0], done.tie[1]);
    else if (done.kind === "actor" && done.moved && !S.scene.map.read_only) {
      const target = document.elementFromPoint(e.clientX, e.clientY);
      const other = target && target.closest(".actor");
      if (other && other.dataset.key !== done.key)
        change({ op: "add_tie", a: done.key, b: other.dataset.key });
    }
  }
  svg.addEventListener("pointerup", release);
  svg.addEventListener("pointercancel", release);
  svg.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY);
    },
    { passive: false }
  );
}

function zoom(factor, cx, cy) {
  const vb = S.vb;
  const full = S.scene.view_box;
  const w = Math.min(full[2] * 3, Math.max(full[2] / 12, vb[2] * factor));
  const f = w / vb[2];
  const m = toSvg(cx, cy);
  S.vb = [m.x - (m.x - vb[0]) * f, m.y - (m.y - vb[1]) * f, vb[2] * f, vb[3] * f];
  setViewBox();
}

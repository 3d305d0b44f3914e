// Jejaring Coach — the Mini App's drawing: the map as SVG from the server's scene (the same
// layout as the chat's picture, coaching/layout/), coloured, filtered and highlighted as the
// participant chose (S.look), and the part of it in view (S.vb).
import { $, S, el, fill, say } from "./miniapp-page.js";

export const PALETTES = {
  ibarra: { personal: "#E69F00", operational: "#0072B2", strategic: "#009E73" },
  inside: { true: "#0072B2", false: "#D55E00" },
  kltb_step: { know: "#CCE5FF", like: "#7FB8E6", trust: "#2F80C4", buy: "#0B3D6B" },
};
const NONE = "#BDBDBD";

// A server's answer shown: the maps to choose from and the scene of the one open; ``fit``
// frames the whole map (a map opened, not changed) and forgets the last comparison's marks.
export function show(answer, fit) {
  const maps = $("maps");
  maps.replaceChildren(...answer.maps.map((m) => el("option", { value: m.id, text: m.title })));
  if (!answer.scene) {
    S.scene = null;
    say(S.T.no_map);
    return;
  }
  S.scene = answer.scene;
  S.mapId = S.scene.map.id;
  maps.value = String(S.mapId);
  if (fit) {
    S.vb = S.scene.view_box.slice();
    S.look.added.clear();
    S.look.newTies.clear();
  }
  draw();
}
export function byKey() {
  return new Map(S.scene.nodes.map((n) => [n.key, n]));
}
export function value(node) {
  if (S.look.colour === "cluster") return node.cluster === null ? "" : String(node.cluster);
  const v = node.attributes[S.look.colour];
  return v === null || v === undefined ? "" : String(v);
}
function colour(node) {
  if (S.look.colour === "cluster") return node.fill;
  return PALETTES[S.look.colour][value(node)] || NONE;
}
function draw() {
  const body = document.body;
  const T = S.T;
  const m = S.scene.map;
  $("counts").textContent = fill(T.counts, m.counts);
  $("ro").hidden = !m.read_only;
  body.classList.toggle("read-only", m.read_only);
  $("btn-undo").disabled = !m.can_undo;
  $("btn-redo").disabled = !m.can_redo;
  const nodes = byKey();
  const lines = [];
  for (const line of S.scene.lines) {
    const suggested = line.kind === "suggested";
    const g = el("svg:g", {
      class: `tie kind-${line.kind}`,
      "data-a": line.a,
      "data-b": line.b,
    });
    if (!suggested) g.append(el("svg:polyline", { class: "hit", points: line.points }));
    g.append(
      el("svg:polyline", {
        class: "stroke",
        points: line.points,
        "stroke-width": line.width,
        "stroke-dasharray": line.dash || null,
      })
    );
    if (line.arrow) g.append(el("svg:polygon", { class: "arrow", points: line.arrow }));
    lines.push(g);
  }
  $("lines").replaceChildren(...lines);
  const drawn = [];
  for (const node of S.scene.nodes) {
    const g = el("svg:g", {
      class: "actor" + (node.ego ? " ego" : ""),
      "data-key": node.key,
      "data-name": node.name,
      "data-roles": node.roles.join(" "),
    });
    g.append(el("svg:circle", { class: "hit", cx: node.x, cy: node.y, r: node.r * 1.8 }));
    g.append(
      el("svg:circle", { class: "disc", cx: node.x, cy: node.y, r: node.r, fill: colour(node) })
    );
    for (const b of node.badges)
      g.append(el("svg:polygon", { class: `badge role-${b.role}`, points: b.points }));
    if (node.label) {
      const text = el("svg:text", {
        x: node.label.x,
        y: node.label.y,
        "font-size": node.label.size,
        "text-anchor": node.label.anchor,
      });
      node.label.lines.forEach((words, i) =>
        text.append(
          el("svg:tspan", { x: node.label.x, dy: i ? node.label.line_px : 0, text: words })
        )
      );
      g.append(text);
    }
    g.append(el("svg:title", { text: node.name }));
    drawn.push(g);
  }
  $("nodes").replaceChildren(...drawn);
  restyle(nodes);
  setViewBox();
  S.draws += 1;
  body.dataset.draws = String(S.draws);
  if (!body.dataset.ready) {
    body.dataset.ready = "1";
    performance.mark("jejaring-ready");
    say(m.read_only ? "" : T.drag_hint);
  }
}
// The drawing's colours and marks again, without drawing it anew (a view or a filter changed).
export function restyle(nodes = byKey()) {
  const look = S.look;
  const dim = new Set();
  for (const g of $("nodes").children) {
    const node = nodes.get(g.dataset.key);
    g.querySelector(".disc").setAttribute("fill", colour(node));
    const out = look.only !== "" && value(node) !== look.only;
    if (out) dim.add(node.key);
    g.classList.toggle("dim", out);
    g.classList.toggle("hl", node.roles.some((r) => look.roles.has(r)));
    g.classList.toggle("new", look.added.has(node.key));
  }
  for (const g of $("lines").children) {
    g.classList.toggle("dim", dim.has(g.dataset.a) || dim.has(g.dataset.b));
    if (g.classList.contains("kind-suggested")) g.classList.toggle("off", !look.suggested);
    else g.classList.toggle("new", look.newTies.has(tieId(g.dataset.a, g.dataset.b)));
  }
  document.body.classList.toggle("roles-on", look.roles.size > 0);
}
export function setViewBox() {
  $("map").setAttribute("viewBox", S.vb.map((v) => v.toFixed(1)).join(" "));
}
export function tieId(a, b) {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

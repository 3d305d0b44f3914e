// Jejaring Coach — the Mini App's sheets for looking: how the map is coloured, filtered and
// highlighted, its analysis, and two stored analyses compared (coaching/compare.py, on the
// server), what appeared marked on the map.
import { S, el, fill } from "./miniapp-page.js";
import { PALETTES, restyle, tieId, value } from "./miniapp-draw.js";
import { api, base } from "./miniapp-net.js";
import { field, openSheet } from "./miniapp-sheets.js";

export function openView() {
  const modes = [["cluster", S.T.by_cluster], ["ibarra", S.T.by_ibarra], ["inside", S.T.by_inside], ["kltb_step", S.T.by_kltb]];
  const colourBox = el("fieldset", { class: "radios" });
  for (const [v, label] of modes) {
    const input = el("input", { type: "radio", name: "colour", value: v, checked: S.look.colour === v });
    input.addEventListener("change", () => {
      S.look.colour = v;
      S.look.only = "";
      restyle();
      openView();
    });
    colourBox.append(el("label", {}, input, el("span", { text: label })));
  }
  const values = new Map();
  for (const node of S.scene.nodes) {
    const v = value(node);
    if (values.has(v)) continue;
    let label;
    if (v === "") label = S.look.colour === "cluster" ? S.T.no_cluster : S.T.not_set;
    else if (S.look.colour === "cluster") label = fill(S.T.cluster_n, { n: Number(v) + 1 });
    else if (S.look.colour === "ibarra") label = S.T["ib_" + v];
    else if (S.look.colour === "inside") label = v === "true" ? S.T.inside_yes : S.T.inside_no;
    else label = S.T["kltb_" + v];
    values.set(v, label);
  }
  const only = el("select", { name: "only" }, el("option", { value: "", text: S.T.all }));
  for (const [v, label] of [...values.entries()].sort())
    only.append(el("option", { value: "=" + v, text: label }));
  only.value = S.look.only === "" ? "" : "=" + S.look.only;
  only.addEventListener("change", () => {
    S.look.only = only.value === "" ? "" : only.value.slice(1);
    restyle();
  });
  const roleBox = el("fieldset", { class: "checks" });
  for (const r of ["hubs", "brokers", "closest", "boundary_spanners", "peripheral"]) {
    const input = el("input", { type: "checkbox", value: r, checked: S.look.roles.has(r) });
    input.addEventListener("change", () => {
      if (input.checked) S.look.roles.add(r);
      else S.look.roles.delete(r);
      restyle();
    });
    roleBox.append(el("label", {}, input, el("span", { text: S.T["role_" + r] })));
  }
  const suggested = el("input", { type: "checkbox", name: "suggested", checked: S.look.suggested });
  suggested.addEventListener("change", () => {
    S.look.suggested = suggested.checked;
    restyle();
  });
  roleBox.append(el("label", {}, suggested, el("span", { text: S.T.suggested })));
  const legend = el("div", { class: "swatches" });
  if (S.look.colour !== "cluster")
    for (const [v, c] of Object.entries(PALETTES[S.look.colour])) {
      const sw = el("span", { class: "swatch" }, el("svg:svg", { width: 14, height: 14 },
        el("svg:circle", { cx: 7, cy: 7, r: 6, fill: c })), document.createTextNode(" " + (values.get(v) || v)));
      legend.append(sw);
    }
  openSheet(S.T.view, field(S.T.colour_by, colourBox), legend, field(S.T.filter, only), field(S.T.highlight, roleBox));
}

export function openAnalysis() {
  const box = el("div", { class: "analysis" });
  if (S.scene.analysis) box.innerHTML = S.scene.analysis; // our own templates' HTML, escaped names
  else box.textContent = S.T.no_analysis;
  openSheet(S.T.analysis, box);
}

// Two stored analyses (each /analisis stores one), or one and the map now, compared as the
// coach's views compare them (coaching/compare.py, on the server); what appeared is marked.
export async function openCompare() {
  const list = await api(`${base()}/${S.mapId}/snapshots`).catch(() => ({ snapshots: [] }));
  const snaps = list.snapshots; // newest first
  if (!snaps.length) {
    openSheet(S.T.compare, el("p", { text: S.T.no_snapshots }));
    return;
  }
  const label = (s) => `${s.at.slice(0, 16).replace("T", " ")} · ${s.stage_name || "—"}`;
  const before = el("select", { name: "before" });
  const after = el("select", { name: "after" }, el("option", { value: "now", text: S.T.now }));
  for (const s of snaps) {
    before.append(el("option", { value: s.id, text: label(s) }));
    after.append(el("option", { value: s.id, text: label(s) }));
  }
  before.value = String(snaps[snaps.length - 1].id); // the oldest
  after.value = snaps.length > 1 ? String(snaps[0].id) : "now"; // the newest, else now
  const out = el("div", { class: "comparison" });
  const run = async () => {
    if (before.value === after.value) {
      out.replaceChildren(el("p", { class: "muted", text: S.T.same_pick }));
      return;
    }
    const query = `from=${encodeURIComponent(before.value)}&to=${encodeURIComponent(after.value)}`;
    const result = await api(`${base()}/${S.mapId}/compare?${query}`).catch(() => null);
    if (!result) {
      out.replaceChildren(el("p", { text: S.T.error }));
      return;
    }
    showComparison(out, result);
    S.look.added = new Set(result.marked_actors);
    S.look.newTies = new Set(result.marked_ties.map(([a, b]) => tieId(a, b)));
    restyle();
    document.body.dataset.compared = String(Number(document.body.dataset.compared || 0) + 1);
  };
  before.addEventListener("change", run);
  after.addEventListener("change", run);
  openSheet(S.T.compare, field(S.T.before, before), field(S.T.after, after), out);
  run();
}
function showComparison(out, c) {
  const name = (key) => (key ? c.stage_names[key] || key : "—");
  const move = c.stage_move > 0 ? S.T.moved_on : c.stage_move < 0 ? S.T.moved_back : S.T.unchanged;
  const list = (cls, items) =>
    items.length
      ? el("ul", { class: cls }, ...items.map((text) => el("li", { text })))
      : el("p", { class: "muted", text: S.T.nothing });
  const pair = ([a, b]) => `${a} — ${b}`;
  const shown = (v) => (v === null || v === undefined ? "—" : String(v).replace(".", S.T.decimal));
  out.replaceChildren(
    el("p", { class: "pattern", text: `${S.T.pattern}: ${name(c.stage_before)} → ${name(c.stage_after)} ${move}` }),
    el("ul", { class: "counts" }, ...c.counts.map((k) =>
      el("li", { "data-key": k.key, text: `${S.T["count_" + k.key]}: ${shown(k.before)} → ${shown(k.after)}` }))),
    el("p", { class: "label", text: S.T.ties_appeared }),
    list("ties-appeared", c.ties_appeared.map(pair)),
    el("p", { class: "label", text: S.T.ties_gone }),
    list("ties-gone", c.ties_gone.map(pair)),
    el("p", { class: "label", text: S.T.actors_appeared }),
    list("actors-appeared", c.actors_appeared),
    el("p", { class: "label", text: S.T.actors_gone }),
    list("actors-gone", c.actors_gone)
  );
  if (c.roles.length) {
    out.append(el("p", { class: "label", text: S.T.roles_changed }));
    out.append(list("roles", c.roles.map((r) =>
      [S.T["role_" + r.key] || r.key, ...r.gained.map((n) => "+ " + n), ...r.lost.map((n) => "− " + n)].join("  "))));
  }
}

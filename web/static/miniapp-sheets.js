// Jejaring Coach — the Mini App's sheets for editing: an actor's card, a tie's card, adding an
// actor (the name checked as the chat checks it); each edit goes to the server as the chat's
// map operation (miniapp-net.js change()).
import { $, S, el, fill } from "./miniapp-page.js";
import { byKey } from "./miniapp-draw.js";
import { change } from "./miniapp-net.js";

export function openSheet(title, ...content) {
  $("sheet-title").textContent = title;
  $("sheet-body").replaceChildren(...content);
  $("sheet").hidden = false;
  document.body.classList.add("sheet-open");
}
export function closeSheet() {
  $("sheet").hidden = true;
  document.body.classList.remove("sheet-open");
}
export function button(label, onClick, cls = "") {
  const b = el("button", { type: "button", class: cls, text: label });
  b.addEventListener("click", onClick);
  return b;
}
function select(name, values, current, labelOf) {
  const s = el("select", { name });
  s.append(el("option", { value: "", text: S.T.not_set }));
  for (const v of values) s.append(el("option", { value: v, text: labelOf(v) }));
  s.value = current === null || current === undefined ? "" : String(current);
  return s;
}
export function field(label, control) {
  return el("label", { class: "field" }, el("span", { text: label }), control);
}
export function checks(name, values, chosen, labelOf) {
  const box = el("fieldset", { class: "checks", "data-name": name });
  for (const v of values) {
    const input = el("input", { type: "checkbox", value: v, checked: chosen.includes(v) });
    box.append(el("label", {}, input, el("span", { text: labelOf(v) })));
  }
  return box;
}
function checked(box) {
  return [...box.querySelectorAll("input:checked")].map((i) => i.value);
}

export function openCard(key) {
  const node = byKey().get(key);
  if (!node) return;
  const ro = S.scene.map.read_only;
  const a = node.attributes;
  const choices = S.scene.choices;
  const name = el("input", { name: "name", value: node.name, maxlength: 80, disabled: ro });
  const kind = select("kind", choices.kind, a.kind, (v) => S.T["kind_" + v]);
  const role = el("input", { name: "role", value: a.role || "", maxlength: 120 });
  const inside = select("inside", ["true", "false"], a.inside, (v) =>
    v === "true" ? S.T.inside_yes : S.T.inside_no
  );
  const resources = checks("resources", choices.resources, a.resources || [], (v) => S.T["res_" + v]);
  const needs = el("textarea", { name: "needs", rows: 2, maxlength: 500 });
  needs.value = a.needs || "";
  const ibarra = select("ibarra", choices.ibarra, a.ibarra, (v) => S.T["ib_" + v]);
  const kltb = select("kltb_step", choices.kltb_step, a.kltb_step, (v) => S.T["kltb_" + v]);
  kltb.dataset.fixed = "1"; // reached in the chat's KLTB pipeline, in order, with notes
  const roles = el(
    "p",
    { class: "roles" },
    node.roles.length ? node.roles.map((r) => S.T["role_" + r]).join(" · ") : S.T.no_roles
  );
  const ties = el("div", { class: "tie-list" });
  const names = byKey();
  for (const line of S.scene.lines) {
    if (line.kind === "suggested" || (line.a !== key && line.b !== key)) continue;
    const other = names.get(line.a === key ? line.b : line.a);
    const how = line.strength ? S.T[line.strength] : S.T.unknown;
    ties.append(button(`${other ? other.name : "?"} · ${how}`, () => openTie(line.a, line.b), "chip"));
  }
  const form = el(
    "form",
    { class: "card", "data-key": key },
    node.ego ? el("p", { class: "muted", text: S.T.you }) : null,
    field(S.T.name, name),
    el("p", { class: "label", text: S.T.roles }),
    roles,
    field(S.T.kind, kind),
    field(S.T.role, role),
    field(S.T.inside, inside),
    field(S.T.resources, resources),
    field(S.T.needs, needs),
    field(S.T.ibarra, ibarra),
    field(S.T.kltb, kltb),
    el("p", { class: "label", text: S.T.tie }),
    ties
  );
  form.insertBefore(el("p", { class: "muted", text: S.T.kltb_in_chat }), ties.previousSibling);
  for (const c of form.querySelectorAll("input, select, textarea")) c.disabled = ro || !!c.dataset.fixed;
  if (!ro) {
    const save = button(S.T.save, async () => {
      const attributes = {
        kind: kind.value || null,
        role: role.value.trim() || null,
        inside: inside.value === "" ? null : inside.value === "true",
        resources: checked(resources),
        needs: needs.value.trim() || null,
        ibarra: ibarra.value || null,
      };
      const was = node.attributes;
      const differs = Object.keys(attributes).some(
        (k) => JSON.stringify(attributes[k] ?? null) !== JSON.stringify(was[k] ?? (k === "resources" ? [] : null))
      );
      let answer = { ok: true };
      if (differs) answer = await change({ op: "update_actor", key, attributes });
      if (answer && !answer.refused && name.value.trim() !== node.name)
        answer = await change({ op: "rename_actor", key, name: name.value });
      if (answer && !answer.refused) closeSheet();
    }, "primary");
    const actions = el("div", { class: "actions" }, save);
    if (!node.ego)
      actions.append(
        button(S.T.delete, () => {
          actions.replaceChildren(
            el("p", { text: fill(S.T.delete_actor_q, { name: node.name }) }),
            button(S.T.delete, async () => {
              const answer = await change({ op: "delete_actor", key });
              if (answer && !answer.refused) closeSheet();
            }, "danger"),
            button(S.T.cancel, () => openCard(key))
          );
        }, "danger")
      );
    form.append(actions);
  }
  form.addEventListener("submit", (e) => e.preventDefault());
  openSheet(node.name, form);
}

export function openTie(a, b) {
  const line = S.scene.lines.find(
    (l) => l.kind !== "suggested" && ((l.a === a && l.b === b) || (l.a === b && l.b === a))
  );
  if (!line) return;
  const names = byKey();
  const na = names.get(line.a);
  const nb = names.get(line.b);
  const ro = S.scene.map.read_only;
  const radios = (name, options, current) => {
    const box = el("fieldset", { class: "radios", "data-name": name });
    for (const [v, label] of options)
      box.append(
        el("label", {}, el("input", { type: "radio", name, value: v, checked: v === current, disabled: ro }),
          el("span", { text: label }))
      );
    return box;
  };
  const strength = radios(
    "strength",
    [["strong", S.T.strong], ["weak", S.T.weak], ["", S.T.unknown]],
    line.strength || ""
  );
  const direction = radios(
    "direction",
    [["both", S.T.both], ["ab", `${na.name} → ${nb.name}`], ["ba", `${nb.name} → ${na.name}`]],
    line.direction === "out" ? "ab" : "both"
  );
  const flows = checks("flows", S.scene.choices.flows, line.flows, (v) => S.T["flow_" + v]);
  for (const c of flows.querySelectorAll("input")) c.disabled = ro;
  const form = el(
    "form",
    { class: "tie-card" },
    field(S.T.strength, strength),
    field(S.T.direction, direction),
    field(S.T.flows, flows)
  );
  if (!ro) {
    const pick = (box) => (box.querySelector("input:checked") || { value: "" }).value;
    form.append(
      el(
        "div",
        { class: "actions" },
        button(S.T.save, async () => {
          const way = pick(direction);
          const [x, y] = way === "ba" ? [line.b, line.a] : [line.a, line.b];
          const answer = await change({
            op: "update_tie",
            a: x,
            b: y,
            strength: pick(strength) || null,
            direction: way === "both" ? "both" : "out",
            flows: checked(flows),
          });
          if (answer && !answer.refused) closeSheet();
        }, "primary"),
        button(S.T.delete, async () => {
          const answer = await change({ op: "delete_tie", a: line.a, b: line.b });
          if (answer && !answer.refused) closeSheet();
        }, "danger")
      )
    );
  }
  form.addEventListener("submit", (e) => e.preventDefault());
  openSheet(`${S.T.tie}: ${na.name} – ${nb.name}`, form);
}

export function openAdd(prefill = "") {
  const name = el("input", { name: "name", value: prefill, maxlength: 80, placeholder: S.T.add_hint, enterkeyhint: "done" });
  const answerBox = el("div", { class: "asked" });
  const send = async (asNew) => {
    const typed = name.value;
    const answer = await change({ op: "add_actor", name: typed, new: asNew });
    if (!answer) return;
    if (answer.asked) {
      const q = answer.asked;
      const lead =
        q.kind === "ego" ? S.T.is_you : q.kind === "same" ? S.T.already : q.kind === "ambiguous" ? S.T.which : S.T.did_you_mean;
      answerBox.replaceChildren(
        el("p", { text: lead }),
        ...q.candidates.map((c) =>
          button(c, () => {
            const hit = S.scene.nodes.find((n) => n.name === c);
            if (hit) openCard(hit.key);
          }, "chip")
        ),
        q.kind === "near" || q.kind === "ambiguous" ? button(S.T.new_actor, () => send(true), "primary") : null
      );
      return;
    }
    if (!answer.refused) {
      const added = S.scene.nodes.find((n) => n.name.toLowerCase() === typed.trim().toLowerCase());
      if (added) openCard(added.key);
      else closeSheet();
    }
  };
  const form = el("form", { class: "add" }, field(S.T.name, name), el("div", { class: "actions" },
    button(S.T.add, () => send(false), "primary")), answerBox);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    send(false);
  });
  openSheet(S.T.add, form);
  name.focus();
}

// Jejaring Coach — the Telegram Mini App: the participant's map, drawn and edited by touch.
// Plain JavaScript and SVG, served by us (no library, nothing from another host). Telegram
// passes its launch parameters in the URL's fragment (tgWebAppData, tgWebAppThemeParams).
"use strict";
{
  // The session (and with it the map) is asked for at once, while the page is still parsed:
  // the script is loaded async, and only the drawing waits for the document.
  const script = document.currentScript;
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
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => app(early));
  else app(early);

  // The app itself, once the document is there (declared in this block: not a global).
  function app(early) {
    const $ = (id) => document.getElementById(id);
    const NS = "http://www.w3.org/2000/svg";
    const body = document.body;
    const mode = body.dataset.mode;
    const svg = $("map");
    const linesG = $("lines");
    const nodesG = $("nodes");
    const rubber = $("rubber");
    const PALETTES = {
      ibarra: { personal: "#E69F00", operational: "#0072B2", strategic: "#009E73" },
      inside: { true: "#0072B2", false: "#D55E00" },
      kltb_step: { know: "#CCE5FF", like: "#7FB8E6", trust: "#2F80C4", buy: "#0B3D6B" },
    };
    const NONE = "#BDBDBD";
    let T = texts(body.dataset.locale || "id");
    let token = null;
    let scene = null;
    let mapId = null;
    let busy = false;
    let vb = [0, 0, 360, 360];
    let draws = 0;
    const look = {
      colour: "cluster",
      only: "",
      roles: new Set(),
      suggested: true,
      added: new Set(), // actors (keys) and ties that appeared, as the last comparison found
      newTies: new Set(),
    };

    function texts(locale) {
      const block = $("texts-" + locale) || $("texts-id");
      return JSON.parse(block.textContent);
    }
    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : ""));
    }
    function el(tag, attrs = {}, ...children) {
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
    function say(message) {
      const status = $("status");
      status.textContent = message;
      status.hidden = !message;
    }
    let toastTimer = 0;
    function toast(message) {
      say(message);
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => say(""), 3000);
    }

    // --- Telegram ------------------------------------------------------------------------------
    function launch() {
      const params = new URLSearchParams(location.hash.slice(1));
      return { data: params.get("tgWebAppData"), theme: params.get("tgWebAppThemeParams") };
    }
    function postEvent(type, data) {
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
    function applyTheme(raw) {
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
    function relabel() {
      for (const node of document.querySelectorAll("[data-t]")) node.textContent = T[node.dataset.t];
      document.documentElement.lang = body.dataset.locale;
    }

    // --- the server ----------------------------------------------------------------------------
    async function api(path, options = {}) {
      const headers = { "content-type": "application/json" };
      if (token) headers.authorization = "Bearer " + token;
      return answered(fetch(path, { ...options, headers, credentials: "same-origin" }));
    }
    async function answered(request) {
      const response = await request;
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        const error = new Error(answer.error || String(response.status));
        error.status = response.status;
        throw error;
      }
      return answer;
    }
    function base() {
      return mode === "coach" ? `/app/api/coach/${body.dataset.participant}/map` : "/app/api/map";
    }
    async function load(id) {
      const answer = await api(base() + (id ? `?map=${id}` : ""));
      show(answer, true);
    }
    async function change(request) {
      if (busy || !scene || scene.map.read_only) return null;
      busy = true;
      try {
        const answer = await api(`/app/api/map/${mapId}/change`, {
          method: "POST",
          body: JSON.stringify(request),
        });
        show(answer, false);
        if (answer.refused) toast(answer.refused);
        else if (answer.done) toast(answer.done === "undo" ? T.undone : answer.done === "redo" ? T.redone : T.saved);
        return answer;
      } catch (error) {
        toast(error.status === 401 ? T.expired : T.error);
        return null;
      } finally {
        busy = false;
      }
    }

    // --- drawing -------------------------------------------------------------------------------
    function show(answer, fit) {
      const maps = $("maps");
      maps.replaceChildren(
        ...answer.maps.map((m) => el("option", { value: m.id, text: m.title }))
      );
      if (!answer.scene) {
        scene = null;
        say(T.no_map);
        return;
      }
      scene = answer.scene;
      mapId = scene.map.id;
      maps.value = String(mapId);
      if (fit) {
        vb = scene.view_box.slice();
        look.added.clear();
        look.newTies.clear();
      }
      draw();
    }
    function byKey() {
      return new Map(scene.nodes.map((n) => [n.key, n]));
    }
    function value(node) {
      if (look.colour === "cluster") return node.cluster === null ? "" : String(node.cluster);
      const v = node.attributes[look.colour];
      return v === null || v === undefined ? "" : String(v);
    }
    function colour(node) {
      if (look.colour === "cluster") return node.fill;
      return PALETTES[look.colour][value(node)] || NONE;
    }
    function draw() {
      const m = scene.map;
      $("counts").textContent = fill(T.counts, m.counts);
      $("ro").hidden = !m.read_only;
      body.classList.toggle("read-only", m.read_only);
      $("btn-undo").disabled = !m.can_undo;
      $("btn-redo").disabled = !m.can_redo;
      const nodes = byKey();
      const lines = [];
      for (const line of scene.lines) {
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
      linesG.replaceChildren(...lines);
      const drawn = [];
      for (const node of scene.nodes) {
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
      nodesG.replaceChildren(...drawn);
      restyle(nodes);
      setViewBox();
      draws += 1;
      body.dataset.draws = String(draws);
      if (!body.dataset.ready) {
        body.dataset.ready = "1";
        performance.mark("jejaring-ready");
        say(m.read_only ? "" : T.drag_hint);
      }
    }
    function restyle(nodes = byKey()) {
      const dim = new Set();
      for (const g of nodesG.children) {
        const node = nodes.get(g.dataset.key);
        g.querySelector(".disc").setAttribute("fill", colour(node));
        const out = look.only !== "" && value(node) !== look.only;
        if (out) dim.add(node.key);
        g.classList.toggle("dim", out);
        g.classList.toggle("hl", node.roles.some((r) => look.roles.has(r)));
        g.classList.toggle("new", look.added.has(node.key));
      }
      for (const g of linesG.children) {
        g.classList.toggle("dim", dim.has(g.dataset.a) || dim.has(g.dataset.b));
        if (g.classList.contains("kind-suggested")) g.classList.toggle("off", !look.suggested);
        else g.classList.toggle("new", look.newTies.has(tieId(g.dataset.a, g.dataset.b)));
      }
      body.classList.toggle("roles-on", look.roles.size > 0);
    }
    function setViewBox() {
      svg.setAttribute("viewBox", vb.map((v) => v.toFixed(1)).join(" "));
    }

    // --- touch: pan, pinch, tap, drag a tie ----------------------------------------------------
    function toSvg(x, y) {
      const p = svg.createSVGPoint();
      p.x = x;
      p.y = y;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    }
    const pointers = new Map();
    let gesture = null;
    svg.addEventListener("pointerdown", (e) => {
      if (!scene) return;
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
        vb[0] -= b.x - a.x;
        vb[1] -= b.y - a.y;
        setViewBox();
      } else if (gesture.kind === "actor" && gesture.moved && !scene.map.read_only) {
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
      else if (done.kind === "actor" && done.moved && !scene.map.read_only) {
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
    function zoom(factor, cx, cy) {
      const full = scene.view_box;
      const w = Math.min(full[2] * 3, Math.max(full[2] / 12, vb[2] * factor));
      const f = w / vb[2];
      const m = toSvg(cx, cy);
      vb = [m.x - (m.x - vb[0]) * f, m.y - (m.y - vb[1]) * f, vb[2] * f, vb[3] * f];
      setViewBox();
    }

    // --- sheets --------------------------------------------------------------------------------
    function openSheet(title, ...content) {
      $("sheet-title").textContent = title;
      $("sheet-body").replaceChildren(...content);
      $("sheet").hidden = false;
      body.classList.add("sheet-open");
    }
    function closeSheet() {
      $("sheet").hidden = true;
      body.classList.remove("sheet-open");
    }
    $("sheet-close").addEventListener("click", closeSheet);
    function button(label, onClick, cls = "") {
      const b = el("button", { type: "button", class: cls, text: label });
      b.addEventListener("click", onClick);
      return b;
    }
    function select(name, values, current, labelOf) {
      const s = el("select", { name });
      s.append(el("option", { value: "", text: T.not_set }));
      for (const v of values) s.append(el("option", { value: v, text: labelOf(v) }));
      s.value = current === null || current === undefined ? "" : String(current);
      return s;
    }
    function field(label, control) {
      return el("label", { class: "field" }, el("span", { text: label }), control);
    }
    function checks(name, values, chosen, labelOf) {
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

    function openCard(key) {
      const node = byKey().get(key);
      if (!node) return;
      const ro = scene.map.read_only;
      const a = node.attributes;
      const choices = scene.choices;
      const name = el("input", { name: "name", value: node.name, maxlength: 80, disabled: ro });
      const kind = select("kind", choices.kind, a.kind, (v) => T["kind_" + v]);
      const role = el("input", { name: "role", value: a.role || "", maxlength: 120 });
      const inside = select("inside", ["true", "false"], a.inside, (v) =>
        v === "true" ? T.inside_yes : T.inside_no
      );
      const resources = checks("resources", choices.resources, a.resources || [], (v) => T["res_" + v]);
      const needs = el("textarea", { name: "needs", rows: 2, maxlength: 500 });
      needs.value = a.needs || "";
      const ibarra = select("ibarra", choices.ibarra, a.ibarra, (v) => T["ib_" + v]);
      const kltb = select("kltb_step", choices.kltb_step, a.kltb_step, (v) => T["kltb_" + v]);
      kltb.dataset.fixed = "1"; // reached in the chat's KLTB pipeline, in order, with notes
      const roles = el(
        "p",
        { class: "roles" },
        node.roles.length ? node.roles.map((r) => T["role_" + r]).join(" · ") : T.no_roles
      );
      const ties = el("div", { class: "tie-list" });
      const names = byKey();
      for (const line of scene.lines) {
        if (line.kind === "suggested" || (line.a !== key && line.b !== key)) continue;
        const other = names.get(line.a === key ? line.b : line.a);
        const how = line.strength ? T[line.strength] : T.unknown;
        ties.append(button(`${other ? other.name : "?"} · ${how}`, () => openTie(line.a, line.b), "chip"));
      }
      const form = el(
        "form",
        { class: "card", "data-key": key },
        node.ego ? el("p", { class: "muted", text: T.you }) : null,
        field(T.name, name),
        el("p", { class: "label", text: T.roles }),
        roles,
        field(T.kind, kind),
        field(T.role, role),
        field(T.inside, inside),
        field(T.resources, resources),
        field(T.needs, needs),
        field(T.ibarra, ibarra),
        field(T.kltb, kltb),
        el("p", { class: "label", text: T.tie }),
        ties
      );
      form.insertBefore(el("p", { class: "muted", text: T.kltb_in_chat }), ties.previousSibling);
      for (const c of form.querySelectorAll("input, select, textarea")) c.disabled = ro || !!c.dataset.fixed;
      if (!ro) {
        const save = button(T.save, async () => {
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
            button(T.delete, () => {
              actions.replaceChildren(
                el("p", { text: fill(T.delete_actor_q, { name: node.name }) }),
                button(T.delete, async () => {
                  const answer = await change({ op: "delete_actor", key });
                  if (answer && !answer.refused) closeSheet();
                }, "danger"),
                button(T.cancel, () => openCard(key))
              );
            }, "danger")
          );
        form.append(actions);
      }
      form.addEventListener("submit", (e) => e.preventDefault());
      openSheet(node.name, form);
    }

    function openTie(a, b) {
      const line = scene.lines.find(
        (l) => l.kind !== "suggested" && ((l.a === a && l.b === b) || (l.a === b && l.b === a))
      );
      if (!line) return;
      const names = byKey();
      const na = names.get(line.a);
      const nb = names.get(line.b);
      const ro = scene.map.read_only;
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
        [["strong", T.strong], ["weak", T.weak], ["", T.unknown]],
        line.strength || ""
      );
      const direction = radios(
        "direction",
        [["both", T.both], ["ab", `${na.name} → ${nb.name}`], ["ba", `${nb.name} → ${na.name}`]],
        line.direction === "out" ? "ab" : "both"
      );
      const flows = checks("flows", scene.choices.flows, line.flows, (v) => T["flow_" + v]);
      for (const c of flows.querySelectorAll("input")) c.disabled = ro;
      const form = el(
        "form",
        { class: "tie-card" },
        field(T.strength, strength),
        field(T.direction, direction),
        field(T.flows, flows)
      );
      if (!ro) {
        const pick = (box) => (box.querySelector("input:checked") || { value: "" }).value;
        form.append(
          el(
            "div",
            { class: "actions" },
            button(T.save, async () => {
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
            button(T.delete, async () => {
              const answer = await change({ op: "delete_tie", a: line.a, b: line.b });
              if (answer && !answer.refused) closeSheet();
            }, "danger")
          )
        );
      }
      form.addEventListener("submit", (e) => e.preventDefault());
      openSheet(`${T.tie}: ${na.name} – ${nb.name}`, form);
    }

    function openAdd(prefill = "") {
      const name = el("input", { name: "name", value: prefill, maxlength: 80, placeholder: T.add_hint, enterkeyhint: "done" });
      const answerBox = el("div", { class: "asked" });
      const send = async (asNew) => {
        const typed = name.value;
        const answer = await change({ op: "add_actor", name: typed, new: asNew });
        if (!answer) return;
        if (answer.asked) {
          const q = answer.asked;
          const lead =
            q.kind === "ego" ? T.is_you : q.kind === "same" ? T.already : q.kind === "ambiguous" ? T.which : T.did_you_mean;
          answerBox.replaceChildren(
            el("p", { text: lead }),
            ...q.candidates.map((c) =>
              button(c, () => {
                const hit = scene.nodes.find((n) => n.name === c);
                if (hit) openCard(hit.key);
              }, "chip")
            ),
            q.kind === "near" || q.kind === "ambiguous" ? button(T.new_actor, () => send(true), "primary") : null
          );
          return;
        }
        if (!answer.refused) {
          const added = scene.nodes.find((n) => n.name.toLowerCase() === typed.trim().toLowerCase());
          if (added) openCard(added.key);
          else closeSheet();
        }
      };
      const form = el("form", { class: "add" }, field(T.name, name), el("div", { class: "actions" },
        button(T.add, () => send(false), "primary")), answerBox);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        send(false);
      });
      openSheet(T.add, form);
      name.focus();
    }

    function openView() {
      const modes = [["cluster", T.by_cluster], ["ibarra", T.by_ibarra], ["inside", T.by_inside], ["kltb_step", T.by_kltb]];
      const colourBox = el("fieldset", { class: "radios" });
      for (const [v, label] of modes) {
        const input = el("input", { type: "radio", name: "colour", value: v, checked: look.colour === v });
        input.addEventListener("change", () => {
          look.colour = v;
          look.only = "";
          restyle();
          openView();
        });
        colourBox.append(el("label", {}, input, el("span", { text: label })));
      }
      const values = new Map();
      for (const node of scene.nodes) {
        const v = value(node);
        if (values.has(v)) continue;
        let label;
        if (v === "") label = look.colour === "cluster" ? T.no_cluster : T.not_set;
        else if (look.colour === "cluster") label = fill(T.cluster_n, { n: Number(v) + 1 });
        else if (look.colour === "ibarra") label = T["ib_" + v];
        else if (look.colour === "inside") label = v === "true" ? T.inside_yes : T.inside_no;
        else label = T["kltb_" + v];
        values.set(v, label);
      }
      const only = el("select", { name: "only" }, el("option", { value: "", text: T.all }));
      for (const [v, label] of [...values.entries()].sort())
        only.append(el("option", { value: "=" + v, text: label }));
      only.value = look.only === "" ? "" : "=" + look.only;
      only.addEventListener("change", () => {
        look.only = only.value === "" ? "" : only.value.slice(1);
        restyle();
      });
      const roleBox = el("fieldset", { class: "checks" });
      for (const r of ["hubs", "brokers", "closest", "boundary_spanners", "peripheral"]) {
        const input = el("input", { type: "checkbox", value: r, checked: look.roles.has(r) });
        input.addEventListener("change", () => {
          if (input.checked) look.roles.add(r);
          else look.roles.delete(r);
          restyle();
        });
        roleBox.append(el("label", {}, input, el("span", { text: T["role_" + r] })));
      }
      const suggested = el("input", { type: "checkbox", name: "suggested", checked: look.suggested });
      suggested.addEventListener("change", () => {
        look.suggested = suggested.checked;
        restyle();
      });
      roleBox.append(el("label", {}, suggested, el("span", { text: T.suggested })));
      const legend = el("div", { class: "swatches" });
      if (look.colour !== "cluster")
        for (const [v, c] of Object.entries(PALETTES[look.colour])) {
          const sw = el("span", { class: "swatch" }, el("svg:svg", { width: 14, height: 14 },
            el("svg:circle", { cx: 7, cy: 7, r: 6, fill: c })), document.createTextNode(" " + (values.get(v) || v)));
          legend.append(sw);
        }
      openSheet(T.view, field(T.colour_by, colourBox), legend, field(T.filter, only), field(T.highlight, roleBox));
    }

    function openAnalysis() {
      const box = el("div", { class: "analysis" });
      if (scene.analysis) box.innerHTML = scene.analysis; // our own templates' HTML, escaped names
      else box.textContent = T.no_analysis;
      openSheet(T.analysis, box);
    }

    // Two stored analyses (each /analisis stores one), or one and the map now, compared as the
    // coach's views compare them (coaching/compare.py, on the server); what appeared is marked.
    async function openCompare() {
      const list = await api(`${base()}/${mapId}/snapshots`).catch(() => ({ snapshots: [] }));
      const snaps = list.snapshots; // newest first
      if (!snaps.length) {
        openSheet(T.compare, el("p", { text: T.no_snapshots }));
        return;
      }
      const label = (s) => `${s.at.slice(0, 16).replace("T", " ")} · ${s.stage_name || "—"}`;
      const before = el("select", { name: "before" });
      const after = el("select", { name: "after" }, el("option", { value: "now", text: T.now }));
      for (const s of snaps) {
        before.append(el("option", { value: s.id, text: label(s) }));
        after.append(el("option", { value: s.id, text: label(s) }));
      }
      before.value = String(snaps[snaps.length - 1].id); // the oldest
      after.value = snaps.length > 1 ? String(snaps[0].id) : "now"; // the newest, else now
      const out = el("div", { class: "comparison" });
      const run = async () => {
        if (before.value === after.value) {
          out.replaceChildren(el("p", { class: "muted", text: T.same_pick }));
          return;
        }
        const query = `from=${encodeURIComponent(before.value)}&to=${encodeURIComponent(after.value)}`;
        const result = await api(`${base()}/${mapId}/compare?${query}`).catch(() => null);
        if (!result) {
          out.replaceChildren(el("p", { text: T.error }));
          return;
        }
        showComparison(out, result);
        look.added = new Set(result.marked_actors);
        look.newTies = new Set(result.marked_ties.map(([a, b]) => tieId(a, b)));
        restyle();
        body.dataset.compared = String(Number(body.dataset.compared || 0) + 1);
      };
      before.addEventListener("change", run);
      after.addEventListener("change", run);
      openSheet(T.compare, field(T.before, before), field(T.after, after), out);
      run();
    }
    function showComparison(out, c) {
      const name = (key) => (key ? c.stage_names[key] || key : "—");
      const move = c.stage_move > 0 ? T.moved_on : c.stage_move < 0 ? T.moved_back : T.unchanged;
      const list = (cls, items) =>
        items.length
          ? el("ul", { class: cls }, ...items.map((text) => el("li", { text })))
          : el("p", { class: "muted", text: T.nothing });
      const pair = ([a, b]) => `${a} — ${b}`;
      const shown = (v) => (v === null || v === undefined ? "—" : String(v).replace(".", T.decimal));
      out.replaceChildren(
        el("p", { class: "pattern", text: `${T.pattern}: ${name(c.stage_before)} → ${name(c.stage_after)} ${move}` }),
        el("ul", { class: "counts" }, ...c.counts.map((k) =>
          el("li", { "data-key": k.key, text: `${T["count_" + k.key]}: ${shown(k.before)} → ${shown(k.after)}` }))),
        el("p", { class: "label", text: T.ties_appeared }),
        list("ties-appeared", c.ties_appeared.map(pair)),
        el("p", { class: "label", text: T.ties_gone }),
        list("ties-gone", c.ties_gone.map(pair)),
        el("p", { class: "label", text: T.actors_appeared }),
        list("actors-appeared", c.actors_appeared),
        el("p", { class: "label", text: T.actors_gone }),
        list("actors-gone", c.actors_gone)
      );
      if (c.roles.length) {
        out.append(el("p", { class: "label", text: T.roles_changed }));
        out.append(list("roles", c.roles.map((r) =>
          [T["role_" + r.key] || r.key, ...r.gained.map((n) => "+ " + n), ...r.lost.map((n) => "− " + n)].join("  "))));
      }
    }
    function tieId(a, b) {
      return a < b ? `${a}|${b}` : `${b}|${a}`;
    }

    // --- wiring --------------------------------------------------------------------------------
    $("btn-add").addEventListener("click", () => scene && openAdd());
    $("btn-undo").addEventListener("click", () => change({ op: "undo" }));
    $("btn-redo").addEventListener("click", () => change({ op: "redo" }));
    $("btn-view").addEventListener("click", () => scene && openView());
    $("btn-analysis").addEventListener("click", () => scene && openAnalysis());
    $("btn-compare").addEventListener("click", () => scene && openCompare());
    $("btn-fit").addEventListener("click", () => {
      if (!scene) return;
      vb = scene.view_box.slice();
      setViewBox();
    });
    $("maps").addEventListener("change", (e) => load(e.target.value));
    // Back from the chat: what was changed there shows here (the same map, read again).
    document.addEventListener("visibilitychange", async () => {
      if (document.visibilityState !== "visible" || !scene || busy) return;
      const answer = await api(`${base()}?map=${mapId}`).catch(() => null);
      if (answer) show(answer, false);
    });

    async function start() {
      const given = launch();
      if (given.theme) applyTheme(given.theme);
      postEvent("web_app_ready");
      postEvent("web_app_expand");
      if (mode !== "coach") {
        if (!given.data) {
          say(T.need_telegram);
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
          token = session.token;
          body.dataset.locale = session.locale;
          T = texts(session.locale);
          relabel();
          show(session, true); // the map open in the chat comes with the token
          return;
        } catch (error) {
          say(error.status === 401 ? T.expired : error.status ? T.need_telegram : T.error);
          if (error.status) body.dataset.refused = "1";
          return;
        }
      }
      try {
        await load(null);
      } catch (_) {
        say(T.error);
      }
    }
    start();
  }
}

// Map: hovering or focusing an actor highlights its ties and neighbours. No other script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const map = document.getElementById("map");
  if (!map) return;
  const ties = Array.from(map.querySelectorAll(".tie"));
  const actors = new Map(Array.from(map.querySelectorAll(".actor")).map((g) => [g.dataset.id, g]));
  const clear = () => {
    map.classList.remove("focused");
    map.querySelectorAll(".near").forEach((el) => el.classList.remove("near"));
  };
  const focus = (id) => {
    clear();
    map.classList.add("focused");
    actors.get(id).classList.add("near");
    for (const tie of ties) {
      if (tie.dataset.a === id || tie.dataset.b === id) {
        tie.classList.add("near");
        actors.get(tie.dataset.a === id ? tie.dataset.b : tie.dataset.a).classList.add("near");
      }
    }
  };
  for (const [id, g] of actors) {
    g.addEventListener("mouseenter", () => focus(id));
    g.addEventListener("focus", () => focus(id));
    g.addEventListener("mouseleave", clear);
    g.addEventListener("blur", clear);
  }
});

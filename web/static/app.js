// Map: tapping, hovering or focusing an actor highlights its ties and neighbours; a second tap
// (or a tap on the empty map) lets go. Touch screens have no hover: the tap is the way in.
// No other script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const map = document.getElementById("map");
  if (!map) return;
  const ties = Array.from(map.querySelectorAll(".tie"));
  const actors = new Map(Array.from(map.querySelectorAll(".actor")).map((g) => [g.dataset.id, g]));
  let pinned = null;
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
  const release = () => {
    if (pinned !== null) focus(pinned);
    else clear();
  };
  for (const [id, g] of actors) {
    g.addEventListener("click", (event) => {
      event.stopPropagation();
      pinned = pinned === id ? null : id;
      release();
    });
    g.addEventListener("mouseenter", () => focus(id));
    g.addEventListener("focus", () => focus(id));
    g.addEventListener("mouseleave", release);
    g.addEventListener("blur", release);
  }
  map.addEventListener("click", () => {
    pinned = null;
    clear();
  });
});

// Jejaring Coach — the Mini App's calls to the server: the session's API, reading a map,
// sending a change (web/miniapp.py answers each with the map as drawn now).
import { S, toast } from "./miniapp-page.js";
import { show } from "./miniapp-draw.js";

export async function api(path, options = {}) {
  const headers = { "content-type": "application/json" };
  if (S.token) headers.authorization = "Bearer " + S.token;
  return answered(fetch(path, { ...options, headers, credentials: "same-origin" }));
}
export async function answered(request) {
  const response = await request;
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(answer.error || String(response.status));
    error.status = response.status;
    throw error;
  }
  return answer;
}
export function base() {
  return S.mode === "coach" ? `/app/api/coach/${document.body.dataset.participant}/map` : "/app/api/map";
}
export async function load(id) {
  const answer = await api(base() + (id ? `?map=${id}` : ""));
  show(answer, true);
}
export async function change(request) {
  if (S.busy || !S.scene || S.scene.map.read_only) return null;
  S.busy = true;
  try {
    const answer = await api(`/app/api/map/${S.mapId}/change`, {
      method: "POST",
      body: JSON.stringify(request),
    });
    show(answer, false);
    if (answer.refused) toast(answer.refused);
    else if (answer.done) toast(answer.done === "undo" ? S.T.undone : answer.done === "redo" ? S.T.redone : S.T.saved);
    return answer;
  } catch (error) {
    toast(error.status === 401 ? S.T.expired : S.T.error);
    return null;
  } finally {
    S.busy = false;
  }
}

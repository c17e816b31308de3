// The self-help pages (widget/templates/widget/pages/): keep the offline copy, say when
// the page is read without a connection (and that the chat needs one), quick exit.
// Everything works without this script but the offline copy and the exit's wipe
// (/bye's Clear-Site-Data still clears the site's data).

import { offlineForget, offlineKeep } from "./offline.js";
import { parentChannel } from "../parent.js";
import { storageWipe } from "../store.js";

const config = JSON.parse(document.getElementById("pages-config").textContent);
const parent = parentChannel(config);
const EXIT_ESCAPE_WINDOW_MS = 1500;
const EXIT_WIPE_WAIT_MS = 1000;
let exiting = false;

function connectionShow() {
  const offline = navigator.onLine === false;
  document.getElementById("offline-note").hidden = !offline;
  document.getElementById("chat-offline").hidden = !offline;
  document.getElementById("chat-button").classList.toggle("is-offline", offline);
}

async function quickExit() {
  if (exiting) return;
  exiting = true;
  document.body.replaceChildren();
  document.title = "";
  const wipe = Promise.allSettled([storageWipe(), offlineForget()]);
  await Promise.race([wipe, new Promise((resolve) => setTimeout(resolve, EXIT_WIPE_WAIT_MS))]);
  parent?.post("quick-exit", { exit_url: config.exit_url });
  location.replace(config.exit_path);
}

document.getElementById("quick-exit").addEventListener("click", (event) => {
  event.preventDefault();
  quickExit();
});
let lastEscape = 0;
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const now = Date.now();
  if (now - lastEscape < EXIT_ESCAPE_WINDOW_MS) quickExit();
  lastEscape = now;
});
window.addEventListener("online", connectionShow);
window.addEventListener("offline", connectionShow);
connectionShow();
offlineKeep({ kitUrl: config.kit_url, serviceWorker: config.service_worker, scope: config.scope });

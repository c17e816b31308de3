// On the chat page: the link to the self-help pages follows the chat's language switch,
// and the offline copy is kept (widget/templates/widget/pages/chat_link.html).

import { offlineKeep } from "./offline.js";

const config = JSON.parse(document.getElementById("pages-link-config").textContent);
const link = document.getElementById("pages-link");

document.getElementById("language")?.addEventListener("change", (event) => {
  const language = event.target.value;
  if (!(language in config.labels)) return;
  link.textContent = config.labels[language];
  link.closest("nav").setAttribute("aria-label", config.labels[language]);
  const url = new URL(link.href);
  url.searchParams.set("lang", language);
  link.href = url.pathname + url.search;
});

offlineKeep({ kitUrl: config.kit_url, serviceWorker: config.service_worker, scope: "/c/" });

// The chat inside a partner site's iframe (opened by embed.js) talking to that site.
//
// embed.js puts the partner page's origin in the iframe URL's fragment (#parent=…),
// which never reaches the server. It is used only if it is one of the configured
// partner origins (config.partner_origins, the same list as the CSP frame-ancestors),
// and every postMessage names it as the exact target origin, so a page that lies about
// its origin receives nothing. Messages from the parent are accepted only from that
// origin and that window.

const SOURCE = "helpline-widget";

export function parentChannel(config) {
  if (config.layout !== "embed" || window.parent === window) return null;
  const declared = new URLSearchParams(location.hash.slice(1)).get("parent");
  if (!declared || !config.partner_origins.includes(declared)) return null;
  const origin = declared;
  const handlers = new Map();
  window.addEventListener("message", (event) => {
    if (event.origin !== origin || event.source !== window.parent) return;
    const data = event.data;
    if (!data || data.source !== "helpline-embed" || typeof data.type !== "string") return;
    handlers.get(data.type)?.(data);
  });
  return {
    post(type, fields = {}) {
      window.parent.postMessage({ source: SOURCE, type, ...fields }, origin);
    },
    on(type, handler) {
      handlers.set(type, handler);
    },
  };
}

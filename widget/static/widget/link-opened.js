// The campaign link was opened by a person. The server no longer counts the
// GET of /c/<code> (a messaging app fetching it for a link preview runs no script); this
// module, run once per page load, sends one empty POST instead (widget/link_opens.py).
//
// Nothing is kept on the phone to remember it was sent: the flag is this module's
// memory, so a reload of the tab (or coming back to it) counts one more open.

let told = false;

export function linkOpenedTell(config) {
  if (told || !config.campaign) return;
  told = true;
  if (document.prerendering) {
    // A page prerendered by the browser is not opened until it is shown.
    document.addEventListener("prerenderingchange", () => send(config.campaign), { once: true });
    return;
  }
  send(config.campaign);
}

function send(campaign) {
  const url = `/c/${encodeURIComponent(campaign)}/opened`;
  fetch(url, { method: "POST", keepalive: true, credentials: "omit", cache: "no-store" }).catch(
    () => {}, // offline: this open goes uncounted; the chat works the same
  );
}

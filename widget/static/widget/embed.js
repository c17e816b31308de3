/* The helpline chat on a partner's website.
 *
 *   <script src="https://helpline.example/static/widget/embed.js" data-campaign="CODE" defer></script>
 *
 * Adds a button that opens the chat (/c/CODE/embed on the helpline) in an iframe and
 * closes it again. Optional attributes: data-label (the button's text), data-lang
 * ("fr", "en": the chat's language; else the visitor's browser decides).
 *
 * A classic script, not a module, so partner pages need nothing special. It sets
 * styles through the CSSOM (element.style), which a partner's CSP does not block, and
 * adds no stylesheet. Messages between the page and the iframe always name the exact
 * target origin, and every listener checks event.origin (and event.source): the
 * helpline's origin is the one this script was loaded from.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src || window.__helplineEmbed) return;
  window.__helplineEmbed = true;

  var helpline = new URL(script.src).origin;
  var code = script.getAttribute("data-campaign") || "";
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(code)) code = "direct";
  var pageLanguage = (script.getAttribute("data-lang") || document.documentElement.lang || "")
    .slice(0, 2)
    .toLowerCase();
  var english = pageLanguage === "en";
  var labels = {
    open: script.getAttribute("data-label") || (english ? "Chat with us" : "Nous écrire"),
    close: english ? "Close the chat" : "Fermer la discussion",
    frame: english ? "Chat" : "Discussion",
  };

  var button;
  var panel;
  var frame;

  function style(element, properties) {
    for (var name in properties) element.style.setProperty(name, properties[name]);
  }

  function chatUrl() {
    var url = helpline + "/c/" + encodeURIComponent(code) + "/embed";
    var query = script.getAttribute("data-lang");
    if (query && /^[a-z]{2}$/.test(query)) url += "?lang=" + query;
    // The fragment never leaves the browser: it tells the chat which origin to answer.
    return url + "#parent=" + encodeURIComponent(location.origin);
  }

  function post(message) {
    if (frame && frame.contentWindow) {
      message.source = "helpline-embed";
      frame.contentWindow.postMessage(message, helpline);
    }
  }

  // On a phone the chat takes the whole screen (a small box over a small page is hard
  // to use), and the chat's own "minimise" button closes it; elsewhere it is a panel
  // above the button.
  function compact() {
    return window.matchMedia("(max-width: 520px)").matches;
  }

  function panelPlace() {
    if (compact()) {
      style(panel, {
        top: "0", left: "0", right: "0", bottom: "0",
        width: "100%", height: "100%", "border-radius": "0",
      });
      style(button, { display: panel.hidden ? "" : "none" });
    } else {
      style(panel, {
        top: "auto", left: "auto", right: "16px", bottom: "84px",
        width: "min(380px, calc(100vw - 32px))",
        height: "min(600px, calc(100vh - 110px))",
        "border-radius": "12px",
      });
      style(button, { display: "" });
    }
  }

  function open() {
    if (!panel) {
      panel = document.createElement("div");
      panel.id = "helpline-chat-panel";
      style(panel, {
        position: "fixed",
        "z-index": "2147483646",
        "box-shadow": "0 8px 28px rgba(0, 0, 0, 0.25)",
        overflow: "hidden",
        background: "#ffffff",
      });
      window.addEventListener("resize", function () {
        if (panel) panelPlace();
      });
      frame = document.createElement("iframe");
      frame.src = chatUrl();
      frame.title = labels.frame;
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.setAttribute("allow", "");
      style(frame, { width: "100%", height: "100%", border: "0", display: "block" });
      frame.addEventListener("load", function () {
        post({ type: "focus" });
      });
      panel.appendChild(frame);
      document.body.appendChild(panel);
    }
    panel.hidden = false;
    style(panel, { display: "block" });
    panelPlace();
    button.setAttribute("aria-expanded", "true");
    button.textContent = labels.close;
    frame.focus();
    post({ type: "focus" });
  }

  function close(focusButton) {
    if (!panel) return;
    panel.hidden = true;
    style(panel, { display: "none" });
    style(button, { display: "" });
    button.setAttribute("aria-expanded", "false");
    button.textContent = labels.open;
    if (focusButton) button.focus();
  }

  function quickExit(exitUrl) {
    // The chat wiped itself; the partner page leaves too, without a history entry.
    if (panel && panel.parentNode) panel.parentNode.removeChild(panel);
    panel = frame = null;
    var target = "about:blank";
    try {
      var parsed = new URL(exitUrl);
      if (parsed.protocol === "https:" || parsed.protocol === "http:") target = parsed.href;
    } catch (error) {
      // keep about:blank
    }
    location.replace(target);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== helpline || !frame || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.source !== "helpline-widget") return;
    if (data.type === "close") close(true);
    else if (data.type === "quick-exit") quickExit(data.exit_url);
  });

  function build() {
    button = document.createElement("button");
    button.type = "button";
    button.id = "helpline-chat-button";
    button.textContent = labels.open;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "helpline-chat-panel");
    style(button, {
      position: "fixed",
      right: "16px",
      bottom: "16px",
      "z-index": "2147483647",
      "min-height": "48px",
      padding: "0 20px",
      font: "600 16px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
      color: "#ffffff",
      background: "#1f56c7",
      border: "2px solid #ffffff",
      "border-radius": "24px",
      "box-shadow": "0 4px 14px rgba(0, 0, 0, 0.25)",
      cursor: "pointer",
    });
    button.addEventListener("click", function () {
      if (panel && !panel.hidden) close(true);
      else open();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && panel && !panel.hidden) close(true);
    });
    document.body.appendChild(button);
  }

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();

/**
 * The side panels of the open conversation — the interpreter, the notes for the team,
 * topics and outcome, and the French of the canned replies in the draft — as one row of
 * buttons and one drawer: a single panel open at a time, above the messages. The drawer
 * gives up its height before the message list does (staff.css), so the messages keep a
 * usable height at any window size, whatever is open. A panel with nothing to show for
 * the conversation has no button (`panelAvailable`).
 *
 * Buttons are disclosure buttons (`aria-expanded`, `aria-controls`): a second press
 * closes the panel, Escape in the drawer closes it and gives the focus back to its button.
 * @module
 */

const PANELS = {
  interpreter: "interpreter-panel",
  notes: "notes",
  outcome: "outcome",
  beside: "canned-beside",
};

function tabOf(name) {
  return document.getElementById(`tab-${name}`);
}

function panelOf(name) {
  return document.getElementById(PANELS[name]);
}

/** Open the panel `name` (and close the others); `null` closes them all. */
export function panelOpen(name) {
  for (const each of Object.keys(PANELS)) {
    const tab = tabOf(each);
    const panel = panelOf(each);
    if (tab === null || panel === null) continue;
    const open = each === name && !tab.hidden;
    tab.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
  }
  // With a panel open the drawer may scroll: a keyboard reaches it to scroll it (what a
  // screen reader user needs too); closed, it is no tab stop.
  const drawer = document.getElementById("panel-drawer");
  const opened = name !== null && panelOf(name)?.hidden === false;
  if (drawer !== null && opened) drawer.tabIndex = 0;
  else drawer?.removeAttribute("tabindex");
}

export function panelIsOpen(name) {
  return tabOf(name)?.getAttribute("aria-expanded") === "true";
}

/** Whether the conversation has anything to show in this panel: its button shows or not
 * (a panel that goes away while open closes). */
export function panelAvailable(name, available) {
  const tab = tabOf(name);
  if (tab === null) return;
  tab.hidden = !available;
  if (!available && panelIsOpen(name)) panelOpen(null);
}

/** Wire the buttons and the drawer's Escape (once; the workspace calls it at start). */
export function panelsBind() {
  const drawer = document.getElementById("panel-drawer");
  if (drawer === null || drawer.dataset.bound) return;
  drawer.dataset.bound = "1";
  for (const name of Object.keys(PANELS)) {
    const tab = tabOf(name);
    if (tab === null) continue;
    tab.addEventListener("click", () => panelOpen(panelIsOpen(name) ? null : name));
  }
  drawer.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const open = Object.keys(PANELS).find(panelIsOpen);
    if (open === undefined) return;
    event.preventDefault();
    panelOpen(null);
    tabOf(open).focus();
  });
}

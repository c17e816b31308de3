/**
 * Keyboard shortcuts of the shift dashboard. Single keys act only when no text field has
 * the focus and no modifier is held (so typing a "c" in a message never claims
 * anything); the page lists them in its "Keyboard shortcuts" dialog (`?`).
 * @module
 */

/** Whether a key press is typing (in a field, or with a modifier), not a shortcut. */
function isTyping(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return true;
  const target = event.target;
  if (!(target instanceof Element)) return false;
  if (target.closest("dialog[open]") && event.key !== "?") return true;
  return (
    target.isContentEditable ||
    target.matches("input:not([type=radio]):not([type=checkbox]), textarea, select")
  );
}

/**
 * Call `actions[key]()` for single-key shortcuts ("j", "k", "c", "?", …) pressed
 * outside text fields. An action that returns false leaves the key to the browser.
 */
export function shortcutsBind(actions, root = document) {
  const handler = (event) => {
    if (event.defaultPrevented || isTyping(event)) return;
    const action = actions[event.key];
    if (action === undefined) return;
    if (action(event) === false) return;
    event.preventDefault();
  };
  root.addEventListener("keydown", handler);
  return () => root.removeEventListener("keydown", handler);
}

/** Move the focus to the next (`step` 1) or previous (−1) of `items` (elements in
 * reading order), starting from the one that has it; returns the element focused. */
export function focusStep(items, step) {
  if (!items.length) return null;
  const at = items.indexOf(document.activeElement);
  const next = at === -1 ? (step > 0 ? 0 : items.length - 1) : at + step;
  const target = items[Math.max(0, Math.min(items.length - 1, next))];
  target.focus();
  target.scrollIntoView({ block: "nearest" });
  return target;
}

/**
 * Building DOM nodes without innerHTML: every piece of text goes through textContent,
 * so nothing decrypted or typed can become markup.
 * @module
 */

/**
 * `el("button", {type: "button", class: "primary", onclick: f}, "Send")`. Attributes
 * starting with "on" become listeners; `hidden`/`disabled` booleans become properties;
 * `dataset` takes an object.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

/** The element with this id; throws if the template lacks it (a bug, not a user error). */
export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`missing #${id}`);
  return node;
}

/** Show exactly one of several sibling panels (by id); hide the others. */
export function showOnly(ids, shown) {
  for (const id of ids) byId(id).hidden = id !== shown;
}

/** Replace a node's children. */
export function replaceChildren(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined));
}

/** Show a grouped fingerprint ("abcd ef01 …") as one element per group, so CSS can lay
 * it out in lines of four; the spaces stay in the text for copying. */
export function fingerprintShow(node, text) {
  const groups = text.split(" ");
  replaceChildren(
    node,
    groups.map((group, i) => el("span", {}, i < groups.length - 1 ? group + " " : group)),
  );
}

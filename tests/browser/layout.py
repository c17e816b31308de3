"""Measuring a staff page's layout in Chromium: what overflows its container sideways,
and which controls of the top bar cannot be clicked where they are drawn.

Both are plain DOM measurements run in the page, so a failing assertion names the
elements (tag, id, classes, text) and their boxes.
"""

from __future__ import annotations

from typing import Any

# Every rendered element is checked against its parent: inside it, sideways (±1 px), when
# the parent lets it show (overflow visible); a parent that clips or scrolls must not
# need to scroll sideways, unless it truncates on purpose (text-overflow: ellipsis) or is
# a named region the keyboard can scroll (role="region", tabindex="0": a wide table).
# Skipped: the visually hidden pattern (1 px, clipped), closed dialogs, SVG internals,
# fixed/absolute boxes (they are measured against the viewport instead).
OVERFLOWS = """() => {
  const name = (node) => {
    const text = (node.innerText || node.textContent || '').trim().replace(/\\s+/g, ' ');
    const classes = typeof node.className === 'string' && node.className
      ? '.' + node.className.trim().split(/\\s+/).join('.') : '';
    return `${node.tagName.toLowerCase()}${node.id ? '#' + node.id : ''}${classes}`
      + (text ? ` "${text.slice(0, 40)}"` : '');
  };
  const shown = (node) => {
    for (let at = node; at; at = at.parentElement) {
      const style = getComputedStyle(at);
      if (style.display === 'none' || style.visibility === 'hidden') return false;
      if (at.classList.contains('visually-hidden')) return false;
      if (at.tagName === 'DIALOG' && !at.open) return false;
    }
    return true;
  };
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide in ${width}`);
  }
  for (const node of document.body.querySelectorAll('*')) {
    if (node.closest('svg') && node.tagName.toLowerCase() !== 'svg') continue;
    if (['SCRIPT', 'STYLE', 'TEMPLATE', 'OPTION'].includes(node.tagName)) continue;
    const box = node.getBoundingClientRect();
    if (box.width <= 1 && box.height <= 1) continue;
    if (!shown(node)) continue;
    const style = getComputedStyle(node);
    if (style.position === 'fixed' || style.position === 'absolute') {
      if (box.left < -1 || box.right > width + 1) {
        const span = `[${Math.round(box.left)}–${Math.round(box.right)}]`;
        problems.push(`${name(node)} ${span} leaves the window`);
      }
      continue;
    }
    const parent = node.parentElement;
    if (!parent || parent === document.documentElement) continue;
    const outer = getComputedStyle(parent);
    if (outer.overflowX === 'visible') {
      const around = parent.getBoundingClientRect();
      if (box.left < around.left - 1 || box.right > around.right + 1) {
        problems.push(
          `${name(node)} [${Math.round(box.left)}–${Math.round(box.right)}] overflows `
          + `${name(parent)} [${Math.round(around.left)}–${Math.round(around.right)}]`);
      }
    }
  }
  for (const node of document.body.querySelectorAll('*')) {
    if (!shown(node) || node.closest('svg')) continue;
    const style = getComputedStyle(node);
    if (style.overflowX === 'visible' || style.textOverflow === 'ellipsis') continue;
    if (node.getAttribute('role') === 'region' && node.tabIndex === 0) continue;
    if (['TEXTAREA', 'SELECT', 'INPUT'].includes(node.tagName)) continue;
    if (node.scrollWidth > node.clientWidth + 1 && node.clientWidth > 1) {
      const sizes = `${node.scrollWidth} px in ${node.clientWidth}`;
      problems.push(`${name(node)} scrolls sideways (${sizes})`);
    }
  }
  return problems;
}"""

# Every link and button of the top bar that is displayed: on screen, and the element
# the browser finds at its centre is itself (or inside it), so a click lands on it.
TOP_BAR_BLOCKED = """() => {
  const problems = [];
  const controls = [...document.querySelectorAll(
    '.topbar a, .topbar button, .topbar summary, .topbar select, .topbar input'
  )];
  const listed = [];
  for (const control of controls) {
    const style = getComputedStyle(control);
    if (control.closest('[hidden]') || style.display === 'none') continue;
    if (control.closest('.visually-hidden') || control.classList.contains('skip-link')) continue;
    let hiddenAncestor = false;
    for (let at = control; at; at = at.parentElement) {
      const s = getComputedStyle(at);
      if (s.display === 'none' || s.visibility === 'hidden') hiddenAncestor = true;
    }
    if (hiddenAncestor) continue;
    const text = control.textContent.trim().replace(/\\s+/g, ' ');
    listed.push(text);
    const box = control.getBoundingClientRect();
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    if (box.width < 1 || box.height < 1 || box.left < 0 || box.top < 0
        || box.right > innerWidth || box.bottom > innerHeight) {
      problems.push(`"${text}" is not on screen: ${JSON.stringify(box)}`);
      continue;
    }
    const hit = document.elementFromPoint(x, y);
    if (!(hit === control || control.contains(hit))) {
      const what = hit ? `${hit.tagName.toLowerCase()}#${hit.id}.${hit.className}` : 'nothing';
      problems.push(`"${text}" is covered at its centre by ${what}`);
    }
  }
  return { listed, problems };
}"""


def overflows(page: Any) -> list[str]:
    """What overflows its container sideways on ``page`` (empty when nothing does)."""
    return page.evaluate(OVERFLOWS)


def top_bar_blocked(page: Any) -> tuple[list[str], list[str]]:
    """The top bar's displayed controls (their text), and those that cannot be clicked."""
    measured = page.evaluate(TOP_BAR_BLOCKED)
    return measured["listed"], measured["problems"]

/**
 * The top bar's sections on a narrow window (tablets, phones): folded under one button,
 * opened as a list over the page, so the bar stays one line and FR/EN, the name and
 * "Sign out" are never pushed under the page. Wide windows show the sections in the bar
 * (staff.css decides by width). Without this script the sections wrap in the bar.
 * @module
 */

const bar = document.querySelector(".topbar");
const toggle = document.getElementById("topnav-toggle");
const nav = document.getElementById("topnav");

function menuSet(open) {
  toggle.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("topnav-open", open);
}

if (bar !== null && toggle !== null && nav !== null) {
  bar.dataset.menu = "";
  toggle.addEventListener("click", () => menuSet(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || toggle.getAttribute("aria-expanded") !== "true") return;
    menuSet(false);
    toggle.focus();
  });
  document.addEventListener("click", (event) => {
    if (!bar.contains(event.target)) menuSet(false);
  });
}

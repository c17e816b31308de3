// A reply while the page is in the background: the tab's title counts the replies not
// seen yet ("(1) Messages" — the page's neutral title, never the message, never what the
// service is: a shared phone's tab switcher shows it), and the phone vibrates if the
// visitor asked for it. Both stop, and the title is emptied, on quick exit. The choice to
// vibrate lives in this page's memory only: nothing is kept on the phone.

const VIBRATION_MS = [120, 80, 120];

export class Attention {
  constructor(doc = document) {
    this.doc = doc;
    this.title = doc.title;
    this.unseen = 0;
    this.vibrate = false;
    this.off = false;
    doc.addEventListener("visibilitychange", () => {
      if (doc.visibilityState === "visible") this.seen();
    });
  }

  /** A reply came: counted (and felt) only when the visitor is not looking. */
  replied() {
    if (this.off || this.doc.visibilityState === "visible") return;
    this.unseen += 1;
    this.doc.title = `(${this.unseen}) ${this.title}`;
    if (this.vibrate) {
      try {
        navigator.vibrate?.(VIBRATION_MS);
      } catch {
        // Not allowed here (no gesture yet, a browser without it): the title says it.
      }
    }
  }

  seen() {
    if (this.off) return;
    this.unseen = 0;
    this.doc.title = this.title;
  }

  /** Quick exit: no more counting, no vibration, no title. */
  stop() {
    this.off = true;
    this.vibrate = false;
    try {
      navigator.vibrate?.(0);
    } catch {
      // nothing was vibrating
    }
    this.doc.title = "";
  }
}

/**
 * Telling a staff member that a conversation is waiting when they are looking elsewhere:
 * a short sound (made with WebAudio, no file, no third party) and a browser
 * notification. The notification's permission is asked only from a button the person
 * presses, never on its own. A notification never carries message content — only what
 * the dashboard already shows in the queue ("New conversation (Bulgarian)").
 * @module
 */

const SOUND_KEY = "helpline-staff-sound";
const TAG = "helpline-queue";

export class Notifier {
  constructor() {
    this.audio = null;
    this.soundOn = this.#soundLoad();
  }

  #soundLoad() {
    try {
      return localStorage.getItem(SOUND_KEY) !== "off";
    } catch {
      return true;
    }
  }

  soundSet(on) {
    this.soundOn = on;
    try {
      localStorage.setItem(SOUND_KEY, on ? "on" : "off");
    } catch {
      // Storage refused: the choice lasts as long as the page.
    }
    if (on) this.unlock();
  }

  /** Browsers start audio only after a gesture: called from clicks and key presses. */
  unlock() {
    if (!this.soundOn) return;
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === "suspended") this.audio.resume().catch(() => {});
    } catch {
      this.audio = null; // no WebAudio here: the notification alone will do
    }
  }

  /** "default" (not asked yet), "granted", "denied", or "unsupported". */
  get permission() {
    return "Notification" in window ? Notification.permission : "unsupported";
  }

  /** Ask for the notification permission (from a button press only). */
  async permissionAsk() {
    if (!("Notification" in window)) return "unsupported";
    this.unlock();
    try {
      return await Notification.requestPermission();
    } catch {
      return Notification.permission;
    }
  }

  /** Two soft rising tones, a third of a second in all. */
  chime() {
    if (!this.soundOn || this.audio === null || this.audio.state !== "running") return;
    const start = this.audio.currentTime + 0.01;
    for (const [offset, frequency] of [
      [0, 660],
      [0.16, 880],
    ]) {
      const oscillator = this.audio.createOscillator();
      const gain = this.audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.18, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15);
      oscillator.connect(gain).connect(this.audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.16);
    }
  }

  /**
   * Sound, and a browser notification when the page is not what the person is looking
   * at. `title` is made by the dashboard from the queue entry (language, skill) — the
   * caller must never pass anything a visitor wrote. Clicking it brings the tab back
   * and calls `onClick`.
   */
  alert(title, { onClick = null } = {}) {
    this.chime();
    if (this.permission !== "granted") return null;
    if (document.visibilityState === "visible" && document.hasFocus()) return null;
    let notification;
    try {
      notification = new Notification(title, { tag: TAG, renotify: true, silent: true });
    } catch {
      return null; // some platforms only allow notifications from a service worker
    }
    notification.onclick = () => {
      window.focus();
      notification.close();
      onClick?.();
    };
    return notification;
  }
}

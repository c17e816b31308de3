/**
 * What a conversation was about and how it ended (for the anonymous counts and the
 * campaigns' referrals): topics and an outcome from fixed lists, saved through
 * GET/PUT /staff/api/routes/<id>/outcome. The lists are server-rendered in app.html
 * (translated labels); nothing free-form is ever sent.
 * @module
 */

import { api } from "./http.js";
import { byId } from "./elements.js";
import { t } from "./strings.js";

export class OutcomeForm {
  /** `mayEdit(conversationId)`: the person has it, or is a coordinator (the server
   * checks again; this only spares a refusal). */
  constructor({ mayEdit }) {
    this.mayEdit = mayEdit;
    this.conversationId = null;
    byId("outcome-form").onsubmit = (event) => {
      event.preventDefault();
      this.save();
    };
  }

  /** Called whenever the conversation view is drawn: loads once per conversation. */
  render(conversationId) {
    const editable = this.mayEdit(conversationId);
    byId("outcome-fields").disabled = !editable;
    byId("outcome-save").hidden = !editable;
    byId("outcome-readonly").hidden = editable;
    if (this.conversationId === conversationId) return;
    this.conversationId = conversationId;
    this.status("");
    this.fill({ topics: [], outcome: "" });
    this.load(conversationId);
  }

  async load(conversationId) {
    try {
      const answer = await api(`/routes/${conversationId}/outcome`);
      if (this.conversationId === conversationId) this.fill(answer);
    } catch (error) {
      if (this.conversationId === conversationId) this.status(error.message, true);
    }
  }

  fill({ topics, outcome }) {
    for (const box of byId("outcome-form").querySelectorAll('input[name="topic"]')) {
      box.checked = topics.includes(box.value);
    }
    for (const radio of byId("outcome-form").querySelectorAll('input[name="outcome"]')) {
      radio.checked = radio.value === outcome;
    }
    byId("outcome-summary-state").textContent = outcome || topics.length ? t("outcome.noted") : "";
  }

  chosen() {
    const form = byId("outcome-form");
    return {
      topics: [...form.querySelectorAll('input[name="topic"]:checked')].map((box) => box.value),
      outcome: form.querySelector('input[name="outcome"]:checked')?.value ?? "",
    };
  }

  async save() {
    const conversationId = this.conversationId;
    if (conversationId === null) return;
    try {
      const answer = await api(`/routes/${conversationId}/outcome`, {
        method: "PUT",
        body: this.chosen(),
      });
      if (this.conversationId !== conversationId) return;
      this.fill(answer);
      this.status(t("outcome.saved"));
    } catch (error) {
      this.status(error.message, true);
    }
  }

  status(text, failed = false) {
    const line = byId("outcome-status");
    line.textContent = text;
    line.classList.toggle("field-error", failed);
  }
}

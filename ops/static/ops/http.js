/**
 * The staff JSON API (/staff/api/, ops/jsonapi.py): same-origin fetch with the session cookie
 * and Django's CSRF header. Errors arrive as `{error, message}` and are thrown as ApiError
 * whose `message` is already translated by the server.
 * @module
 */

import { t } from "./strings.js";

export const API = "/staff/api";

/** The server refused a request (or could not be reached). `detail` is the server's
 * English explanation for developers (e.g. which field of the body was refused). */
export class ApiError extends Error {
  constructor(status, code, message, detail = "") {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** A request to `path` (below /staff/api); `body` is a JSON-able object. An answer
 * without a body (204) resolves to null. */
export async function api(path, { method = "GET", body = undefined } = {}) {
  const headers = { Accept: "application/json" };
  const options = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken(); // DELETE has no body, still a write
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, options);
  } catch (error) {
    throw new ApiError(0, "network", t("error.network") + ` (${error.message})`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      data?.error ?? "http_" + response.status,
      data?.message ?? t("error.generic"),
      typeof data?.detail === "string" ? data.detail : "",
    );
    // What is wrong, field by field, when the API says it (canned replies).
    if (Array.isArray(data?.problems)) error.problems = data.problems;
    throw error;
  }
  return data;
}

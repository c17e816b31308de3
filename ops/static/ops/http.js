/**
 * The staff JSON API (/staff/api/, ops/api.py): same-origin fetch with the session cookie
 * and Django's CSRF header. Errors arrive as `{error, message}` and are thrown as ApiError
 * whose `message` is already translated by the server.
 * @module
 */

import { t } from "./strings.js";

export const API = "/staff/api";

/** The server refused a request (or could not be reached). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** GET or POST `path` (below /staff/api); `body` is a JSON-able object. */
export async function api(path, { method = "GET", body = undefined } = {}) {
  const headers = { Accept: "application/json" };
  const options = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
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
    throw new ApiError(
      response.status,
      data?.error ?? "http_" + response.status,
      data?.message ?? t("error.generic"),
    );
  }
  return data;
}

/**
 * One websocket to the helpline (mirrors chat/client/connection.py): the `hello`, frames
 * in and out, answers matched to requests by `ref`, and every other server frame
 * (commits, envelopes, receipts, activity, unsolicited errors) queued in arrival order.
 * @module
 */

import { frameDecode, frameEncode } from "./wire.js";

/** The server answered a request with an error frame; `code` is its error code. */
export class ServerRefused extends Error {
  constructor(frame) {
    super(`${frame.code}: ${frame.message}`);
    this.name = "ServerRefused";
    this.code = frame.code;
    this.frame = frame;
  }
}

/** The socket closed (or never opened) while a request waited for its answer;
 * `closeCode` is the websocket close code when the server closed it (4401: no staff
 * session). */
export class ConnectionLost extends Error {
  constructor(message = "socket closed", closeCode = null) {
    super(message);
    this.name = "ConnectionLost";
    this.closeCode = closeCode;
  }
}

/** The server speaks another protocol version or no suite this client implements. */
export class ProtocolMismatch extends Error {
  constructor(hello) {
    super(`server offers protocol ${hello.protocol ?? 1}, suites ${hello.suites}`);
    this.name = "ProtocolMismatch";
  }
}

/** No answer came in time. */
export class RequestTimeout extends Error {
  constructor(type) {
    super(`no answer to ${type} in time`);
    this.name = "RequestTimeout";
  }
}

/** A first-in first-out queue whose `get()` waits for the next item. */
export class AsyncQueue {
  #items = [];
  #waiting = [];

  /** Add an item (wakes one waiting `get`). */
  put(item) {
    const resolve = this.#waiting.shift();
    if (resolve) resolve(item);
    else this.#items.push(item);
  }

  /** The next item, when there is one. */
  get() {
    if (this.#items.length) return Promise.resolve(this.#items.shift());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** What a closed connection puts in its item queue, once: `{type: CLOSED, connection}`. */
export const CLOSED = "connection.closed";

let refCounter = 0;

/** Protocol 1 with suite 1 (the server leaves `protocol` out when it is 1). */
function helloSupported(hello) {
  return (hello.protocol ?? 1) === 1 && Array.isArray(hello.suites) && hello.suites.includes(1);
}

/** `ws(s)://host/ws/<endpoint>` for an http(s) base URL. */
export function websocketUrl(baseUrl, endpoint) {
  const url = new URL(`/ws/${endpoint}`, baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export class Connection {
  #helloWaiter = null;

  /**
   * @param {string} baseUrl the helpline's origin, e.g. `location.origin`
   * @param {"visitor"|"staff"} endpoint
   * @param {AsyncQueue} [items] receives every frame that is not an answer, then
   *   `{type: CLOSED, connection}`
   */
  constructor(baseUrl, endpoint, items = new AsyncQueue()) {
    this.url = websocketUrl(baseUrl, endpoint);
    this.items = items;
    this.hello = null;
    this.closed = false;
    this.socket = null;
    this.waiting = new Map();
  }

  /** Connect and wait for the server's `hello`; resolves to it (rejects with
   * ConnectionLost when the socket closes first or `timeoutMs` passes). */
  open({ timeoutMs = 15000 } = {}) {
    const hello = new Promise((resolve, reject) => {
      this.#helloWaiter = { resolve, reject };
    });
    const timer = setTimeout(() => this.close(), timeoutMs);
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onclose = (event) => this.#closed(event.code);
    socket.onmessage = (event) => this.#receive(event.data);
    return hello.finally(() => clearTimeout(timer));
  }

  #receive(text) {
    let frame;
    try {
      frame = frameDecode(text);
    } catch (error) {
      // A server bug, not a network failure: report it and keep the socket.
      this.items.put({ type: "error", code: "bad_frame", message: error.message });
      return;
    }
    if (this.hello !== null) {
      this.#route(frame);
    } else if (frame.type === "hello" && helloSupported(frame)) {
      this.hello = frame;
      this.#helloWaiter.resolve(frame);
    } else if (frame.type === "hello") {
      this.#helloWaiter.reject(new ProtocolMismatch(frame));
      this.close();
    } else {
      this.close();
    }
  }

  /** The first answer with a waited-for ref settles its request; everything else (items,
   * the `sync.done` closing a backlog, unsolicited errors) is queued in order. The
   * `conversation.state` that answers a subscribe is also queued: the processor needs it
   * before the backlog behind it; so is the `sync.done` that answers a sync (it marks the
   * end of a backlog). */
  #route(frame) {
    const pending = frame.ref ? this.waiting.get(frame.ref) : undefined;
    const alsoQueued = frame.type === "conversation.state" || frame.type === "sync.done";
    if (alsoQueued || pending === undefined) this.items.put(frame);
    if (pending === undefined) return;
    this.waiting.delete(frame.ref);
    if (frame.type === "error") pending.reject(new ServerRefused(frame));
    else pending.resolve(frame);
  }

  #closed(closeCode = null) {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.waiting.values()) {
      pending.reject(new ConnectionLost("socket closed", closeCode));
    }
    this.waiting.clear();
    this.#helloWaiter?.reject(new ConnectionLost("could not connect", closeCode));
    this.items.put({ type: CLOSED, connection: this });
  }

  /** Close now, as a lost network would: pending requests fail with ConnectionLost and
   * the item queue gets the CLOSED marker at once, without waiting for the close
   * handshake of a socket that may be dead. */
  close() {
    const socket = this.socket;
    if (socket) {
      socket.onmessage = socket.onclose = null;
      if (socket.readyState <= 1) socket.close();
    }
    this.#closed();
  }

  /** Send a frame without waiting for anything. */
  send(frame) {
    if (this.closed || this.socket.readyState !== 1) throw new ConnectionLost();
    this.socket.send(frameEncode(frame));
  }

  /** Send a frame with a fresh `ref` and resolve to the answer with that ref (rejects
   * with ServerRefused, ConnectionLost or RequestTimeout). */
  request(frame, { timeoutMs = 30000 } = {}) {
    const ref = `r${++refCounter}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(ref);
        reject(new RequestTimeout(frame.type));
      }, timeoutMs);
      this.waiting.set(ref, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      try {
        this.send({ ...frame, ref });
      } catch (error) {
        this.waiting.get(ref)?.reject(error);
        this.waiting.delete(ref);
      }
    });
  }
}

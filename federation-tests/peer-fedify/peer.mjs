// An independent ActivityPub peer for Guildhall's federation tests, built on Fedify
// (https://fedify.dev), an ActivityPub framework written independently of Guildhall.
//
// One actor, `peer` (a Person) at http://HOST:PORT/users/peer, with an RSA key pair made at
// start. Fedify does everything ActivityPub here: WebFinger, the actor document, verifying the
// HTTP signatures of incoming activities (and fetching the keys to do so), signing outgoing
// ones (RFC 9421 first, draft-cavage when the receiver refuses it: "double-knocking").
//
// Environment:
//   PEER_PORT   port to listen on (127.0.0.1), required
//   PEER_HOST   host name the peer is known by (default peer.test); every `*.test` name is
//               resolved to 127.0.0.1 inside this process only, as GUILDHALL_RESOLVE does for
//               Guildhall, so URLs, Host headers and signatures keep the real names.
//
// Control endpoints for the test harness (JSON):
//   GET  /_control/health        200 once listening
//   GET  /_control/state         what arrived and what was sent, see `state` below
//   POST /_control/follow        {"target": actor URI} → sends a Follow → {"id": follow id}
//   POST /_control/unfollow      {"id": follow id} → sends an Undo of that Follow
//   POST /_control/signed-post   {"inbox", "activity", "spec", "tamper", "age_seconds"} → signs
//                                with Fedify's own signer, optionally spoils the request, POSTs
//                                it → {"status", "body"}

import dns from "node:dns";
import http from "node:http";
import { randomUUID } from "node:crypto";

import { Temporal } from "@js-temporal/polyfill";
import { createFederation, MemoryKvStore } from "@fedify/fedify";
import { signRequest } from "@fedify/fedify/sig";
import {
  Accept,
  Create,
  Delete,
  Endpoints,
  Follow,
  isActor,
  Person,
  Reject,
  Undo,
  Update,
} from "@fedify/fedify/vocab";
import { Agent, setGlobalDispatcher } from "undici";

// Fedify 1.6 declares Node 22; on Node 20 the only missing piece it uses is
// `ArrayBuffer.prototype.transfer` (Node 21+, through byte-encodings). A copying stand-in is
// enough here: callers only read the returned buffer.
if (typeof ArrayBuffer.prototype.transfer !== "function") {
  Object.defineProperty(ArrayBuffer.prototype, "transfer", {
    configurable: true,
    writable: true,
    value(newLength = this.byteLength) {
      const out = new ArrayBuffer(newLength);
      new Uint8Array(out).set(new Uint8Array(this, 0, Math.min(newLength, this.byteLength)));
      return out;
    },
  });
}

const PORT = Number.parseInt(process.env.PEER_PORT ?? "", 10);
if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) {
  console.error("peer: set PEER_PORT to the port to listen on");
  process.exit(2);
}
const HOST = process.env.PEER_HOST ?? "peer.test";
const ORIGIN = `http://${HOST}:${PORT}`;
const ME = "peer";

// --- name resolution: `*.test` is this machine -------------------------------------------------

function lookup(hostname, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  }
  if (hostname === "test" || hostname.endsWith(".test")) {
    if (options?.all) return callback(null, [{ address: "127.0.0.1", family: 4 }]);
    return callback(null, "127.0.0.1", 4);
  }
  return dns.lookup(hostname, options, callback);
}
setGlobalDispatcher(new Agent({ connect: { lookup } }));

// --- what the harness can inspect --------------------------------------------------------------

const state = {
  // Every request that reached an inbox, as it arrived, with Fedify's answer. Duplicates stay
  // (Fedify itself drops repeated activity ids before the listeners see them).
  inbound: [],
  // Activities that passed Fedify's checks (signature verified) and reached a listener.
  received: [],
  // Every POST this peer made through Fedify (deliveries), with the signature scheme used and
  // the receiver's status.
  outbound: [],
  // Follows this peer sent: follow id → {target, state}.
  following: {},
};

function schemeOf(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.has("signature")) return "draft-cavage";
  return "none";
}

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const isRequest = input instanceof Request;
  const method = (isRequest ? input.method : init?.method ?? "GET").toUpperCase();
  const headers = isRequest ? input.headers : new Headers(init?.headers);
  const url = isRequest ? input.url : String(input);
  const response = await realFetch(input, init);
  if (method === "POST") {
    state.outbound.push({ url, scheme: schemeOf(headers), status: response.status });
  }
  return response;
};

// --- the federation ----------------------------------------------------------------------------

// RSA-2048 as most of the fediverse uses (Fedify's own helper makes 4096-bit keys, which take
// seconds to generate).
const keyPair = await crypto.subtle.generateKey(
  {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  true,
  ["sign", "verify"],
);

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  // Loopback addresses and plain http are what a test network is made of.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      summary: "An independent ActivityPub implementation in Guildhall's federation tests.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === ME ? [keyPair] : []));

function record(type, activity) {
  state.received.push({
    id: activity.id?.href ?? null,
    type,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
  });
}

// Records a Create or Update with what Fedify's vocabulary made of its object: its type and
// the properties an app would show (only what Fedify could read from the JSON-LD counts).
async function recordWithObject(type, activity) {
  let object = null;
  try {
    const o = await activity.getObject();
    if (o != null) {
      object = {
        type: o.constructor?.name ?? null,
        id: o.id?.href ?? null,
        name: o.name?.toString() ?? null,
        content: o.content?.toString() ?? null,
        startTime: o.startTime?.toString() ?? null,
        endTime: o.endTime?.toString() ?? null,
        url: o.url?.href ?? null,
        attributedTo: o.attributionId?.href ?? null,
        inReplyTo: o.replyTargetId?.href ?? null,
      };
    }
  } catch (error) {
    object = { error: String(error) };
  }
  state.received.push({
    id: activity.id?.href ?? null,
    type,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    objectDetails: object,
  });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    record("Follow", follow);
    if (follow.id == null || follow.objectId == null) return;
    const target = ctx.parseUri(follow.objectId);
    if (target?.type !== "actor" || target.identifier !== ME) return;
    const follower = await follow.getActor(ctx);
    if (follower == null) return;
    await ctx.sendActivity(
      { identifier: ME },
      follower,
      new Accept({
        id: new URL(`/users/${ME}/accepts/${randomUUID()}`, ORIGIN),
        actor: follow.objectId,
        object: follow,
      }),
    );
  })
  .on(Accept, async (_ctx, accept) => {
    record("Accept", accept);
    const id = accept.objectId?.href;
    if (id != null && state.following[id]) state.following[id].state = "accepted";
  })
  .on(Reject, async (_ctx, reject) => {
    record("Reject", reject);
    const id = reject.objectId?.href;
    if (id != null && state.following[id]) state.following[id].state = "rejected";
  })
  .on(Undo, async (_ctx, undo) => record("Undo", undo))
  .on(Update, async (_ctx, update) => recordWithObject("Update", update))
  .on(Create, async (_ctx, create) => recordWithObject("Create", create))
  .on(Delete, async (_ctx, del) => record("Delete", del))
  .onError(async (_ctx, error) => {
    console.error("peer: inbox listener failed:", error);
  });

// --- control endpoints -------------------------------------------------------------------------

function json(status, value) {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function follow(body) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const target = await ctx.lookupObject(body.target);
  if (target == null || !isActor(target)) {
    return json(422, { error: `not an actor: ${body.target}` });
  }
  const id = new URL(`/users/${ME}/follows/${randomUUID()}`, ORIGIN);
  state.following[id.href] = { target: target.id.href, state: "pending" };
  // Without a queue Fedify delivers before this returns, and throws if the receiver refuses.
  await ctx.sendActivity(
    { identifier: ME },
    target,
    new Follow({ id, actor: ctx.getActorUri(ME), object: target.id }),
  );
  return json(200, { id: id.href });
}

async function unfollow(body) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const follow = state.following[body.id];
  if (follow == null) return json(404, { error: `no follow ${body.id}` });
  const target = await ctx.lookupObject(follow.target);
  if (target == null || !isActor(target)) {
    return json(422, { error: `not an actor: ${follow.target}` });
  }
  await ctx.sendActivity(
    { identifier: ME },
    target,
    new Undo({
      id: new URL(`/users/${ME}/undos/${randomUUID()}`, ORIGIN),
      actor: ctx.getActorUri(ME),
      object: new Follow({
        id: new URL(body.id),
        actor: ctx.getActorUri(ME),
        object: target.id,
      }),
    }),
  );
  delete state.following[body.id];
  return json(200, { id: body.id });
}

// Replaces the first character of the signature's base64 value, so it no longer verifies.
function spoilSignature(value) {
  const marker = value.includes('signature="') ? 'signature="' : ":";
  const at = value.indexOf(marker) + marker.length;
  const flipped = value[at] === "A" ? "B" : "A";
  return value.slice(0, at) + flipped + value.slice(at + 1);
}

async function signedPost(body) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const [key] = await ctx.getActorKeyPairs(ME);
  const payload = JSON.stringify(body.activity);
  const request = new Request(body.inbox, {
    method: "POST",
    headers: { "content-type": "application/activity+json", accept: "application/activity+json" },
    body: payload,
  });
  const currentTime = Temporal.Now.instant().subtract({ seconds: body.age_seconds ?? 0 });
  const spec = body.spec ?? "rfc9421";
  let signed = await signRequest(request, keyPair.privateKey, key.keyId, { spec, currentTime });
  switch (body.tamper ?? "none") {
    case "none":
      break;
    case "body":
      signed = new Request(signed, { body: `${payload} ` });
      break;
    case "signature": {
      const headers = new Headers(signed.headers);
      headers.set("signature", spoilSignature(headers.get("signature")));
      signed = new Request(signed, { headers });
      break;
    }
    default:
      return json(400, { error: `unknown tamper ${body.tamper}` });
  }
  const response = await realFetch(signed, { redirect: "manual" });
  return json(200, { status: response.status, body: await response.text() });
}

// A GET of `url` signed as the peer's actor (`spec` as for signed-post), as a server fetching
// an object for one of its users would send it.
async function signedGet(body) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const [key] = await ctx.getActorKeyPairs(ME);
  const request = new Request(body.url, {
    method: "GET",
    headers: { accept: "application/activity+json" },
  });
  const spec = body.spec ?? "rfc9421";
  const signed = await signRequest(request, keyPair.privateKey, key.keyId, { spec });
  const response = await realFetch(signed, { redirect: "manual" });
  return json(200, { status: response.status, body: await response.text() });
}

async function control(request, path) {
  if (request.method === "GET" && path === "/_control/health") return json(200, { origin: ORIGIN });
  if (request.method === "GET" && path === "/_control/state") return json(200, state);
  if (request.method === "POST") {
    const body = await request.json();
    if (path === "/_control/follow") return await follow(body);
    if (path === "/_control/unfollow") return await unfollow(body);
    if (path === "/_control/signed-post") return await signedPost(body);
    if (path === "/_control/signed-get") return await signedGet(body);
  }
  return json(404, { error: `no control endpoint ${request.method} ${path}` });
}

// --- the HTTP server ---------------------------------------------------------------------------

function isInbox(path) {
  return path === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(path);
}

async function handle(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url, `http://${req.headers.host ?? `127.0.0.1:${PORT}`}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });
  if (url.pathname.startsWith("/_control/")) return await control(request, url.pathname);

  const response = await federation.fetch(request, { contextData: undefined });
  if (req.method === "POST" && isInbox(url.pathname)) {
    let activity = {};
    try {
      activity = JSON.parse(body.toString("utf8"));
    } catch {
      // Recorded as it is: no id, no type.
    }
    state.inbound.push({
      path: url.pathname,
      id: typeof activity.id === "string" ? activity.id : null,
      type: typeof activity.type === "string" ? activity.type : null,
      scheme: schemeOf(headers),
      status: response.status,
    });
  }
  return response;
}

const server = http.createServer((req, res) => {
  handle(req)
    .then(async (response) => {
      const payload = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(payload);
    })
    .catch((error) => {
      console.error(`peer: ${req.method} ${req.url} failed:`, error);
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error?.stack ?? error));
    });
});

server.listen(PORT, "127.0.0.1", () => {
  console.log(`peer: listening as ${ORIGIN}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}

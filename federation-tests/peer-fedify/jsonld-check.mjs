// Expands JSON-LD documents and fails on any undefined term. Safe mode catches terms that would
// be dropped; the ActivityStreams context's `"@vocab": "_:"` turns other undefined terms into
// blank-node IRIs (`_:madeUpTerm`) instead of dropping them, so the expanded output is also
// searched for `_:` properties and types. Contexts come from Fedify's preloaded copies, so no
// network is needed.
//
//   node jsonld-check.mjs URL [URL …]      fetches each URL as ActivityStreams and checks it
//   node jsonld-check.mjs --self-test      proves that an undefined term is caught
//
// Prints one line per document and exits non-zero when any document fails.

import jsonld from "jsonld";
import { fetchDocumentLoader } from "@fedify/fedify/runtime";

const contexts = new Set([
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
]);

async function documentLoader(url) {
  if (!contexts.has(url)) {
    throw new Error(`refusing to load ${url}: only preloaded contexts are allowed`);
  }
  const remote = await fetchDocumentLoader(url);
  return { contextUrl: null, documentUrl: url, document: remote.document };
}

/** Properties and types that expanded to blank-node IRIs, i.e. terms no context defines. */
function undefinedTerms(node, found = new Set()) {
  if (Array.isArray(node)) {
    for (const item of node) undefinedTerms(item, found);
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("_:")) found.add(key.slice(2));
      if (key === "@type") {
        for (const t of [].concat(value)) {
          if (typeof t === "string" && t.startsWith("_:")) found.add(t.slice(2));
        }
      } else {
        undefinedTerms(value, found);
      }
    }
  }
  return found;
}

async function check(label, doc) {
  try {
    const expanded = await jsonld.expand(doc, { documentLoader, safe: true });
    const missing = [...undefinedTerms(expanded)];
    if (missing.length > 0) {
      console.log(`FAIL ${label}: undefined terms ${missing.join(", ")}`);
      return false;
    }
    console.log(`ok ${label}`);
    return true;
  } catch (error) {
    const details = error?.details?.event?.message ?? error?.message ?? String(error);
    console.log(`FAIL ${label}: ${details}`);
    return false;
  }
}

async function fetchJson(url) {
  const response = await fetch(url, {
    headers: { accept: "application/activity+json" },
  });
  return await response.json();
}

const args = process.argv.slice(2);
let failures = 0;
if (args[0] === "--self-test") {
  const context = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"];
  if (!(await check("defined terms", { "@context": context, type: "Note", content: "hi" }))) failures++;
  if (await check("a made-up term, which must be refused", { "@context": context, type: "Note", madeUpTerm: 1 })) {
    console.log("FAIL the checker accepted an undefined term");
    failures++;
  }
} else {
  for (const url of args) {
    try {
      if (!(await check(url, await fetchJson(url)))) failures++;
    } catch (error) {
      console.log(`FAIL ${url}: ${error.message}`);
      failures++;
    }
  }
}
process.exit(failures === 0 ? 0 : 1);

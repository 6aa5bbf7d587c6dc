/**
 * The participant's inbox on the phone: every notification the server has for them
 * (GET /api/v1/inbox), kept in their own database and sealed like their responses (it says
 * what happened to them), so it reads offline. Reading an entry marks it read on the server;
 * a read made offline is kept and sent with the next refresh. No DOM here: the service worker
 * refreshes the inbox when a push arrives.
 */
import * as db from "./db.js";
import { SignedOut } from "./sync.js";
import { seal, unseal } from "./vault.js";

/** A notification's public id (the push payload's id): 22 base64url characters. */
export const ENTRY_ID = /^[A-Za-z0-9_-]{22}$/;

const context = (id) => `${db.currentOwner()}/inbox/${id}`;

async function openEntry(stored) {
  return { ...(await unseal(stored.sealed, context(stored.id))), id: stored.id };
}

async function keep(entry) {
  await db.put("inbox", { id: entry.id, sealed: await seal(entry, context(entry.id)) });
}

async function request(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
  if (response.status === 401) throw new SignedOut();
  return response;
}

/** Every entry on the phone, newest first. */
export async function entries() {
  const all = await Promise.all((await db.getAll("inbox")).map(openEntry));
  return all.sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/** One entry, or null when the phone does not have it. */
export async function entry(id) {
  const stored = await db.get("inbox", id);
  return stored ? openEntry(stored) : null;
}

/** How many entries are not read yet. */
export async function unreadCount() {
  return (await entries()).filter((e) => !e.read_at).length;
}

async function sendRead(id) {
  const response = await request(`/api/v1/inbox/${encodeURIComponent(id)}/read`, { method: "POST" });
  if (response.status === 404) return null; // gone on the server (erased): the refresh drops it
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/**
 * Mark an entry read: on the phone at once, on the server when it can be reached (otherwise
 * with the next refresh). Resolves the entry, or null when the phone does not have it.
 */
export async function markRead(id) {
  const found = await entry(id);
  if (!found) return null;
  if (found.read_at && !found.readHere) return found;
  const marked = { ...found, read_at: found.read_at ?? new Date().toISOString(), readHere: true };
  await keep(marked);
  try {
    const server = await sendRead(id);
    if (server) {
      await keep(server);
      return { ...server, id };
    }
  } catch (error) {
    if (error instanceof SignedOut) throw error;
    // offline: sent with the next refresh
  }
  return marked;
}

/**
 * Take the server's inbox: reads made offline are sent first, then the phone keeps exactly
 * the entries the server lists (with their texts in the participant's language).
 */
export async function refreshInbox() {
  for (const waiting of (await entries()).filter((e) => e.readHere)) await sendRead(waiting.id);
  const response = await request("/api/v1/inbox");
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { entries: listed } = await response.json();
  const ids = new Set(listed.map((e) => e.id));
  for (const stale of await db.getAll("inbox")) {
    if (!ids.has(stale.id)) await db.remove("inbox", stale.id);
  }
  for (const listedEntry of listed) await keep(listedEntry);
  return listed.length;
}

/** JSON Pointer (RFC 6901) helpers and local $ref resolution, like pointers.py. */

/** Return whether v is a JSON object (not null, not an array). */
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Return obj[key] only for an own key of a plain object, so "constructor" is never found. */
export const own = (obj, key) =>
  obj && typeof obj === "object" && Object.hasOwn(obj, key) ? obj[key] : undefined;

/** Escape one reference token. */
export const escape = (token) => String(token).replaceAll("~", "~0").replaceAll("/", "~1");

/** Return the value at pointer in doc; throw when there is none (Python raises KeyError). */
export function resolvePointer(doc, pointer) {
  if (pointer === "") return doc;
  if (!pointer.startsWith("/")) throw new RangeError(pointer);
  let node = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(token) || +token >= node.length) throw new RangeError(pointer);
      node = node[+token];
    } else if (node && typeof node === "object" && Object.hasOwn(node, token)) {
      node = node[token];
    } else throw new RangeError(pointer);
  }
  return node;
}

/** Follow local $refs from schema at pointer; return [target, its pointer]. */
export function deref(root, schema, pointer) {
  const seen = new Set();
  while (schema && typeof schema === "object" && typeof schema.$ref === "string") {
    const ref = schema.$ref;
    if (!ref.startsWith("#") || seen.has(ref)) break;
    seen.add(ref);
    pointer = "/schema" + ref.slice(1);
    schema = resolvePointer(root, pointer);
  }
  return [schema, pointer];
}

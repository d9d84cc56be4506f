// A small XML reader for tests of the SVG charts: enough to prove a document is well formed
// (one root, every element closed in order, attributes quoted, no stray < or &) and to look
// elements up by name and attributes. Not a general parser: no DTDs, CDATA or namespaces.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function checkText(text: string, where: string): string {
  if (text.includes('<')) throw new Error(`stray "<" in ${where}`);
  if (text.replace(ENTITY, '').includes('&'))
    throw new Error(`unescaped "&" in ${where}: ${text.slice(0, 60)}`);
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Parses XML; throws on anything not well formed. */
export function parseXml(source: string): XmlElement {
  const text = source.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let at = 0;
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    const chunk = text.slice(at, lt < 0 ? text.length : lt);
    if (chunk.trim() !== '') {
      if (stack.length === 0) throw new Error(`text outside the root element: ${chunk.slice(0, 40)}`);
      stack[stack.length - 1]!.text += checkText(chunk, 'text');
    }
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (!m) throw new Error(`malformed tag at offset ${lt}: ${text.slice(lt, lt + 60)}`);
    at = tag.lastIndex;
    const [, closing, name, attrs, selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    const element: XmlElement = { name: name!, attributes: {}, children: [], text: '' };
    for (const a of attrs!.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (a[1]! in element.attributes) throw new Error(`attribute ${a[1]} twice on <${name}>`);
      element.attributes[a[1]!] = checkText(a[2] ?? a[3] ?? '', `attribute ${a[1]}`);
    }
    if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
    else if (root === undefined) root = element;
    else throw new Error('more than one root element');
    if (!selfClosing) stack.push(element);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every element under (and including) ROOT that PREDICATE accepts, in document order. */
export function findAll(root: XmlElement, predicate: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (predicate(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}

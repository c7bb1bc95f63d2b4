// Small DOM helpers: elements by id (typed, and loud when the page lacks one) and element building.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element as T;
}

type Child = Node | string | null | undefined | false;

/** `h("li", {class: "user"}, "text", child)`: attributes as strings; `false`/absent children are skipped. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}

/** Show `message` in an error slot beside what caused it (or hide the slot with null). */
export function showError(slot: HTMLElement, message: string | null): void {
  slot.textContent = message ?? "";
  slot.hidden = !message;
}

export function replaceOptions(
  select: HTMLSelectElement,
  options: Array<{ value: string; label: string }>,
  placeholder: string,
): void {
  select.replaceChildren(
    h("option", { value: "" }, placeholder),
    ...options.map((option) => h("option", { value: option.value }, option.label)),
  );
}

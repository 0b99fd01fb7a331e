// icons.js: our own icons, drawn as inline SVG (no files to fetch, no fonts).
const PATHS = {
  bell: 'M12 3a6 6 0 0 0-6 6v3.6L4.3 16h15.4L18 12.6V9a6 6 0 0 0-6-6zm-2.5 15a2.5 2.5 0 0 0 5 0',
  menu: 'M4 6h16M4 12h16M4 18h16',
  logo: 'M5 18V6l7 7 7-7v12',
};

/** An SVG icon, hidden from screen readers (the control around it has the label). */
export function icon(name) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon icon-' + name);
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', PATHS[name]);
  svg.append(p);
  return svg;
}

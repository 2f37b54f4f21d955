// The heat grid (heat_grid.py): a table of buttons, one per cell; a click or Enter sends the cell.
// Every text is set as textContent and every colour as a style property: code names and attribute values
// come from the project and are never read as HTML.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function header(data) {
  const head = element("thead");
  const row = element("tr");
  const corner = element("th", "qcg-corner", data.title);
  corner.scope = "col";
  row.append(corner);
  for (const column of data.columns) {
    const cell = element("th", data.slanted ? "qcg-column qcg-slanted" : "qcg-column");
    cell.scope = "col";
    cell.style.maxWidth = `${data.step + 4}px`;
    cell.title = column.n ? `${column.name} (${column.n})` : column.name;
    if (data.slanted) {
      cell.append(element("span", "qcg-column-name", column.n ? `${column.name} ${column.n}` : column.name));
    } else {
      cell.append(element("span", "qcg-column-name", column.name));
      if (column.n) cell.append(element("span", "qcg-column-n", column.n));
    }
    row.append(cell);
  }
  head.append(row);
  return head;
}

function body(data, send) {
  const rows = element("tbody");
  const [pickedCode, pickedColumn] = data.picked || [null, null];
  data.rows.forEach((code, i) => {
    const row = element("tr");
    const label = element("th", "qcg-code");
    label.scope = "row";
    label.style.paddingLeft = `${6 + 14 * code.level}px`;
    const swatch = element("span", "qcg-swatch", "\u25a0");
    swatch.style.color = code.color;
    swatch.setAttribute("aria-hidden", "true");
    label.append(swatch, element("span", "qcg-code-name", code.name));
    label.title = code.name;
    row.append(label);
    data.columns.forEach((column, j) => {
      const value = data.cells[i][j];
      const cell = element("td");
      const button = element("button", "qcg-cell", value.text);
      button.type = "button";
      button.style.width = `${data.step}px`;
      button.style.background = value.fill;
      button.style.color = value.ink;
      button.title = value.tip;
      button.setAttribute("aria-label", value.tip || `${code.name}, ${column.name}`);
      button.dataset.code = code.code;
      button.dataset.column = column.key;
      const picked = code.code === pickedCode && column.key === pickedColumn;
      if (picked) {
        button.classList.add("qcg-picked");
        button.setAttribute("aria-current", "true"); // the cell whose quotes are shown
      }
      button.addEventListener("click", () => send(code.code, column.key));
      cell.append(button);
      row.append(cell);
    });
    rows.append(row);
  });
  return rows;
}

// After a click, the element with this id (the quotes' heading) is brought to the top of the view where it is
// out of view or in its lower half, and kept there for six seconds while the page above it is drawn again (the
// grid redrawn can push it away), unless the person scrolls, types or presses a pointer meanwhile. Done here,
// with the click: a script sent by the run that follows was not run by the page.
let revealing = null; // the running reveal's AbortController: a new click ends the last one

function reveal(id) {
  if (revealing) revealing.abort();
  if (!id) return;
  const control = new AbortController();
  revealing = control;
  let checks = 0;
  setTimeout(() => {
    for (const kind of ["wheel", "touchstart", "keydown", "pointerdown"]) {
      // after this click's own events; removed with the loop, however it ends
      addEventListener(kind, () => control.abort(), { capture: true, passive: true, signal: control.signal });
    }
  }, 0);
  const keep = () => {
    if (control.signal.aborted) return;
    const target = document.getElementById(id);
    if (target) {
      const top = target.getBoundingClientRect().top;
      if (top < 0 || top > innerHeight / 2) target.scrollIntoView({ block: "start" });
    }
    if (checks++ < 24) setTimeout(keep, 250);
    else control.abort();
  };
  keep();
}

export default function ({ parentElement, data, setTriggerValue }) {
  let table = parentElement.querySelector("table.qcg");
  if (!table) {
    const scroller = element("div", "qcg-scroller"); // a grid wider than the page scrolls on its own
    table = element("table", "qcg");
    scroller.append(table);
    parentElement.append(scroller);
  }
  // The grid is drawn anew on every run: the cell that had the keyboard's focus gets it back.
  const focused = table.contains(document.activeElement) ? document.activeElement : null;
  const again = focused && focused.dataset ? [focused.dataset.code, focused.dataset.column] : null;
  const send = (code, column) => {
    setTriggerValue("cell", { code, column });
    reveal(data.reveal);
  };
  table.replaceChildren(header(data), body(data, send));
  if (again) {
    const match = [...table.querySelectorAll("button.qcg-cell")].find(
      (b) => b.dataset.code === again[0] && b.dataset.column === again[1],
    );
    if (match) match.focus({ preventScroll: true });
  }
}

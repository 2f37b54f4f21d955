// The span coder: a transcript's turns with coding stripes in a margin, a selection made with the mouse
// (snapped to words), a click on a sentence or the keyboard, and a searchable code list that applies codes.
// Offsets sent to Python are code points into the document text (Python str indices), never UTF-16 units.
// Nothing here loads anything from the network: the text arrives in `data` from the local server.

const WORD = /[\p{L}\p{N}\p{M}'’_-]/u;
const LANE = 96; // px per stripe column in the margin; narrower when many stripes overlap
const MARGIN_MAX = 240;
const instances = new WeakMap(); // parentElement -> what one mounted span coder remembers between runs
// Parts of the data the server sends once per content (turns, units, codes, marks), kept by their digest for
// the whole page: a remounted coder (back from another page) finds them here. Oldest go first past KEEP.
const PARTS = (globalThis[Symbol.for("qcode.spanCoder.parts")] ||= new Map());
const KEEP = 48;

function keepPart(key, value) {
  PARTS.delete(key);
  PARTS.set(key, value);
  while (PARTS.size > KEEP) PARTS.delete(PARTS.keys().next().value);
}

function codePoints(text) {
  // u16[i]: the UTF-16 index of code point i (and u16[n] = text.length), so both directions are exact.
  const chars = Array.from(text);
  const u16 = new Array(chars.length + 1);
  let at = 0;
  for (let i = 0; i < chars.length; i++) {
    u16[i] = at;
    at += chars[i].length;
  }
  u16[chars.length] = at;
  return { chars, u16 };
}

function cpFromU16(u16, index) {
  let low = 0;
  let high = u16.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (u16[mid] <= index) low = mid;
    else high = mid - 1;
  }
  return low;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text; // always text, never markup: transcripts are user data
  return node;
}

class SpanCoder {
  constructor(root) {
    this.root = root;
    this.selection = null; // {start, end} in code points
    this.chosenMark = null; // id of the coding whose stripe was clicked
    this.ticked = new Set(); // codes ticked in the list, applied together by Enter
    this.filter = "";
    this.active = 0; // highlighted row of the code list
    this.docKey = null;
    this.box = el("div", "qcw-box");
    this.codesBox = el("div", "qcw-codes");
    this.reader = el("div", "qcw-reader");
    this.margin = el("div", "qcw-margin");
    this.text = el("div", "qcw-text");
    this.reader.append(this.margin, this.text);
    this.status = el("div", "qcw-status");
    this.box.append(this.codesBox, this.reader);
    this.root.append(this.status, this.box);
    this.reader.tabIndex = 0;
    this.reader.addEventListener("mouseup", (event) => this.onMouseUp(event));
    this.reader.addEventListener("keydown", (event) => this.onKey(event));
    // The margin's width depends on the stripes, and the text's on the margin: redraw when the text's width
    // changes (a window resized), but not back to the width of the drawing before within moments (a loop).
    this.widths = [];
    new ResizeObserver(() => {
      const width = this.text.clientWidth;
      const flipping = width === this.widths[1] && performance.now() - (this.stripesAt || 0) < 250;
      if (width !== this.widths[0] && !flipping) this.drawStripes(true);
    }).observe(this.text);
  }

  update(args) {
    this.args = args;
    const data = this.resolve(args.data || {});
    if (!data) {
      // Waiting for parts the server sends on the next run. The same document stays drawn; another
      // document's text must not: its selection and keys would code the wrong transcript.
      const wanted = (args.data || {}).document;
      if (wanted !== undefined && wanted !== this.docKey) this.block(wanted);
      return;
    }
    clearTimeout(this.retry);
    this.waiting = null;
    this.root.classList.remove("qcw-waiting");
    delete this.root.dataset.waiting;
    this.data = data;
    const docKey = data.document;
    if (docKey !== this.docKey) {
      this.docKey = docKey;
      this.selection = null;
      this.chosenMark = null;
      this.reader.scrollTop = 0;
    }
    if (data.selection && data.selection.nonce !== this.appliedNonce) {
      // Python asks for a selection (a sentence picked in the panel), unless the person has selected
      // something since the last update: then the ask was made before, and theirs is the newer choice.
      this.appliedNonce = data.selection.nonce;
      if (!this.selectedSinceUpdate) {
        this.selection = { start: data.selection.start, end: data.selection.end };
        this.scrollToSelection = true;
      }
    }
    this.selectedSinceUpdate = false;
    if (this.chosenMark && !(data.marks || []).some((m) => m.id === this.chosenMark)) this.chosenMark = null;
    if (this.turnsKey !== data.parts.turns) {
      this.turnsKey = data.parts.turns;
      this.turns = (data.turns || []).map((t) => ({ ...t, ...codePoints(t.text) }));
    }
    this.units = data.units || [];
    const started = performance.now();
    this.render();
    this.root.dataset.drawMs = (performance.now() - started).toFixed(1); // what drawing an answer cost here
    this.root.dataset.done = data.done || ""; // after drawing: tests and the bench see the answer on screen
  }

  resolve(data) {
    // The data with every part filled in from what was sent before; null (and a request) if one is missing.
    const parts = data.parts || {};
    const full = { ...data };
    const missing = [];
    for (const [name, digest] of Object.entries(parts)) {
      const key = `${name}:${digest}`;
      if (name in data) keepPart(key, data[name]);
      if (PARTS.has(key)) full[name] = PARTS.get(key);
      else missing.push(name);
    }
    if (!missing.length) return full;
    const asking = missing.map((name) => `${name}:${parts[name]}`).join(" ");
    // Once per missing set; again after a while, in case the run that was to answer was cut short.
    if (this.asking !== asking || performance.now() - this.askedAt > 3000) {
      this.asking = asking;
      this.askedAt = performance.now();
      this.args.setStateValue("need", { nonce: `${Date.now()}-${asking}`, parts: missing });
    }
    // Ask again on a timer too: no further run may come to call update() while the parts are missing.
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (this.args && this.resolve(this.args.data || {})) this.update(this.args);
    }, 3100);
    return null;
  }

  block(document) {
    // Another document is on its way: nothing is selected, and no input is taken until it is drawn.
    this.waiting = document;
    this.docKey = null;
    this.selection = null;
    this.chosenMark = null;
    this.ticked.clear();
    this.optimistic = [];
    this.root.classList.add("qcw-waiting");
    this.root.dataset.waiting = document;
    this.status.textContent = `Loading ${document}…`;
  }

  send(kind, payload) {
    if (this.waiting || !this.docKey) return false; // never an action on a transcript that is not shown
    this.nonce = (this.nonce || 0) + 1;
    this.sent = `${Date.now()}-${this.nonce}`;
    this.root.dataset.sent = this.sent; // with data-done below: tests and the bench see when it is saved
    // The document goes with every action: the server refuses one for a document that is no longer current.
    this.args.setTriggerValue("action", { kind, nonce: this.sent, document: this.docKey, ...payload });
    return true;
  }

  marks() {
    // What the server sent, with the person's last actions drawn at once, before the server confirms them
    // (it echoes the nonce of the last action it carried out in data.done).
    if (this.sent && this.data.done === this.sent) {
      this.optimistic = [];
      this.hidden = new Set();
    }
    const hidden = this.hidden || new Set();
    return (this.data.marks || []).filter((m) => !hidden.has(m.id)).concat(this.optimistic || []);
  }

  // ----- offsets ---------------------------------------------------------------------------------
  turnAt(offset) {
    return this.turns.find((t) => t.start <= offset && offset <= t.end) || null;
  }

  charAt(offset) {
    const turn = this.turns.find((t) => t.start <= offset && offset < t.end);
    return turn ? turn.chars[offset - turn.start] : "";
  }

  pointToOffset(node, offset) {
    // A DOM point (text node + UTF-16 offset, or element + child index) -> a document offset in code points.
    if (node.nodeType === Node.TEXT_NODE) {
      const piece = node.parentElement.closest("[data-a]");
      if (!piece) return null;
      const { u16 } = codePoints(node.data);
      return Number(piece.dataset.a) + cpFromU16(u16, offset);
    }
    const element = node.nodeType === Node.ELEMENT_NODE ? node : null;
    if (!element) return null;
    const child = element.childNodes[offset];
    const piece = child && child.nodeType === Node.ELEMENT_NODE ? child.closest("[data-a]") : null;
    if (piece) return Number(piece.dataset.a);
    const before = element.childNodes[offset - 1];
    const last = before && before.nodeType === Node.ELEMENT_NODE ? before.closest("[data-b]") : null;
    if (last) return Number(last.dataset.b);
    const own = element.closest("[data-a]");
    return own ? Number(offset > 0 ? own.dataset.b : own.dataset.a) : null;
  }

  snap(start, end) {
    // Whole words only: widen each end to its word, then drop spaces and punctuation at the edges.
    while (start > 0 && WORD.test(this.charAt(start - 1)) && WORD.test(this.charAt(start))) start--;
    while (WORD.test(this.charAt(end)) && end > 0 && WORD.test(this.charAt(end - 1))) end++;
    while (start < end && /\s/u.test(this.charAt(start))) start++;
    while (end > start && /\s/u.test(this.charAt(end - 1))) end--;
    return start < end ? { start, end } : null;
  }

  unitAt(offset) {
    return this.units.find((u) => u.start <= offset && offset < u.end) || null;
  }

  // ----- input -----------------------------------------------------------------------------------
  onMouseUp(event) {
    if (this.waiting) return;
    if (event.target.closest(".qcw-stripe")) return;
    const chosen = window.getSelection();
    this.chosenMark = null;
    if (chosen && chosen.rangeCount && !chosen.isCollapsed) {
      const range = chosen.getRangeAt(0);
      const a = this.pointToOffset(range.startContainer, range.startOffset);
      const b = this.pointToOffset(range.endContainer, range.endOffset);
      chosen.removeAllRanges();
      if (a !== null && b !== null) this.select(this.snap(Math.min(a, b), Math.max(a, b)));
      return;
    }
    const piece = event.target.closest("[data-a]");
    const unit = piece ? this.unitAt(Number(piece.dataset.a)) : null;
    this.select(unit ? { start: unit.start, end: unit.end } : null); // a click takes the whole sentence
  }

  select(range) {
    this.selection = range;
    this.selectedSinceUpdate = true;
    this.render();
    this.reader.focus({ preventScroll: true });
    if (range) {
      const unit = this.unitAt(range.start) || this.unitAt(Math.max(range.end - 1, range.start));
      this.args.setStateValue("selection", { start: range.start, end: range.end, unit: unit ? unit.id : null });
    }
  }

  nextWordEnd(offset, limit) {
    let at = offset;
    while (at < limit && !WORD.test(this.charAt(at))) at++;
    while (at < limit && WORD.test(this.charAt(at))) at++;
    return at;
  }

  previousWordEnd(offset, floor) {
    let at = offset;
    while (at > floor && WORD.test(this.charAt(at - 1))) at--;
    while (at > floor && !WORD.test(this.charAt(at - 1))) at--;
    return at;
  }

  previousWordStart(offset) {
    let at = offset;
    while (at > 0 && !WORD.test(this.charAt(at - 1)) && this.turnAt(at - 1)) at--;
    while (at > 0 && WORD.test(this.charAt(at - 1))) at--;
    return at;
  }

  extend(key, moveStart) {
    const last = this.turns.length ? this.turns[this.turns.length - 1].end : 0;
    let { start, end } = this.selection;
    if (moveStart && key === "ArrowLeft") start = this.previousWordStart(start);
    else if (moveStart && key === "ArrowRight") start = Math.min(this.nextWordEnd(start, end), end - 1);
    else if (key === "ArrowRight") end = this.nextWordEnd(end, last);
    else if (key === "ArrowLeft") end = Math.max(this.previousWordEnd(end, start), start + 1);
    else if (key === "ArrowDown") {
      const next = this.units.find((u) => u.end > end);
      if (next) end = next.end;
    } else if (key === "ArrowUp") {
      const earlier = this.units.filter((u) => u.end < end && u.end > start);
      if (earlier.length) end = earlier[earlier.length - 1].end;
    }
    this.select(this.snap(start, end) || this.selection);
  }

  onKey(event) {
    if (this.waiting) {
      event.preventDefault();
      return;
    }
    if (event.target.closest("input")) return;
    const arrows = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];
    if (event.shiftKey && arrows.includes(event.key) && this.selection) {
      event.preventDefault();
      this.extend(event.key, event.altKey);
      return;
    }
    if ((event.key === "Delete" || event.key === "Backspace") && this.chosenMark) {
      event.preventDefault();
      const mark = (this.data.marks || []).find((m) => m.id === this.chosenMark);
      if (mark && mark.removable && this.send("remove", { mark: mark.id })) {
        this.hidden = new Set([...(this.hidden || []), mark.id]);
        this.chosenMark = null;
        this.render();
      }
      return;
    }
    if (event.key === "Escape") {
      this.chosenMark = null;
      this.select(null);
      return;
    }
    if (/^[1-9]$/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const code = this.shownCodes()[Number(event.key) - 1];
      if (code) {
        event.preventDefault();
        this.apply([code.id]);
      }
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      this.applyTicked();
      return;
    }
    if (event.key === "/" || (event.key === "f" && (event.ctrlKey || event.metaKey))) {
      event.preventDefault();
      this.filterInput.focus();
    }
  }

  apply(codes) {
    if (this.waiting) return;
    if (!this.selection || !codes.length || !this.data.coder) {
      this.say(this.data.coder ? "Select text first (drag across it, or click a sentence)." : "");
      return;
    }
    if (!this.send("apply", { start: this.selection.start, end: this.selection.end, codes })) return;
    const known = new Map((this.data.codes || []).map((c) => [c.id, c]));
    for (const id of codes) {
      const code = known.get(id);
      if (!code) continue;
      this.optimistic = (this.optimistic || []).concat({
        id: `saving-${this.sent}-${id}`,
        start: this.selection.start,
        end: this.selection.end,
        code: id,
        name: code.name,
        color: code.color,
        ink: code.ink,
        coder: this.data.coder,
        source: "saving…",
        removable: false,
        saving: true,
      });
    }
    this.ticked.clear();
    this.render();
    this.say("Saving…");
  }

  applyTicked() {
    const shown = this.shownCodes();
    const codes = this.ticked.size ? [...this.ticked] : shown[this.active] ? [shown[this.active].id] : [];
    this.apply(codes);
  }

  say(text) {
    this.status.textContent = text || this.describeSelection();
  }

  describeSelection() {
    if (!this.data.coder) return "Choose your coder name in the sidebar (\u201cYour name as coder\u201d) to code.";
    if (!this.selection) return "Drag across text or click a sentence; Shift+arrows extend; 1-9 or Enter apply.";
    const { start, end } = this.selection;
    const words = this.textOf(start, end).split(/\s+/u).filter(Boolean).length;
    return `Selected ${words} word${words === 1 ? "" : "s"} (${start}-${end}).`;
  }

  textOf(start, end) {
    return this.turns
      .filter((t) => t.end > start && t.start < end)
      .map((t) => t.chars.slice(Math.max(start, t.start) - t.start, Math.min(end, t.end) - t.start).join(""))
      .join(" ");
  }

  // ----- drawing ---------------------------------------------------------------------------------
  shownCodes() {
    const wanted = this.filter.trim().toLowerCase();
    const codes = this.data.codes || [];
    return wanted ? codes.filter((c) => c.name.toLowerCase().includes(wanted) || c.id.toLowerCase().includes(wanted)) : codes;
  }

  render() {
    this.drawCodes();
    const relaid = this.drawText();
    this.drawStripes(relaid);
    this.say();
  }

  drawCodes() {
    if (!this.filterInput) {
      this.filterInput = el("input", "qcw-filter");
      this.filterInput.type = "search";
      this.filterInput.placeholder = "Find a code ( / )";
      this.filterInput.setAttribute("aria-label", "Find a code");
      this.filterInput.addEventListener("input", () => {
        this.filter = this.filterInput.value;
        this.active = 0;
        this.drawCodes();
      });
      this.filterInput.addEventListener("keydown", (event) => {
        const shown = this.shownCodes();
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          const step = event.key === "ArrowDown" ? 1 : -1;
          this.active = Math.max(0, Math.min(shown.length - 1, this.active + step));
          this.drawCodes();
        } else if (event.key === "Enter") {
          event.preventDefault();
          this.applyTicked();
        } else if (event.key === "Escape") {
          this.reader.focus();
        }
      });
      this.list = el("div", "qcw-list");
      this.list.setAttribute("role", "listbox");
      this.codesBox.append(this.filterInput, this.list);
    }
    const shown = this.shownCodes();
    this.active = Math.min(this.active, Math.max(shown.length - 1, 0));
    const drawn = [this.data.parts.codes, this.filter, this.active, [...this.ticked].join(" ")].join("|");
    if (drawn === this.codesDrawn) return; // the list as it stands is right
    this.codesDrawn = drawn;
    this.list.replaceChildren();
    shown.forEach((code, index) => {
      const row = el("div", "qcw-code" + (index === this.active ? " qcw-active" : ""));
      row.setAttribute("role", "option");
      row.dataset.code = code.id;
      row.title = code.definition || code.name;
      const tick = el("input");
      tick.type = "checkbox";
      tick.checked = this.ticked.has(code.id);
      tick.setAttribute("aria-label", `Tick ${code.name}`);
      tick.addEventListener("change", () => {
        if (tick.checked) this.ticked.add(code.id);
        else this.ticked.delete(code.id);
        this.codesDrawn = null; // the box shows it already; the list is redrawn when next asked
      });
      const key = el("span", "qcw-key", index < 9 ? String(index + 1) : "");
      const swatch = el("span", "qcw-swatch");
      swatch.style.background = code.color;
      const name = el("span", "qcw-name", code.name);
      name.style.paddingLeft = `${code.depth * 0.8}em`;
      row.append(tick, key, swatch, name);
      row.addEventListener("click", (event) => {
        if (event.target === tick) return;
        this.active = index;
        this.apply([code.id]); // a click on a code's name applies it at once
      });
      this.list.append(row);
    });
    if (!shown.length) this.list.append(el("div", "qcw-none", "No code matches."));
  }

  drawText() {
    // Turn by turn: a turn whose pieces read the same as last time keeps its elements (no new layout);
    // only turns a change touches (a stripe, the selection, the current sentence) are built again.
    // Returns whether any turn was built again (the stripes' positions may have moved).
    const marks = this.marks();
    const pending = new Set(this.data.pending || []);
    const chosen = marks.find((m) => m.id === this.chosenMark);
    if (this.builtFor !== this.turnsKey) {
      this.builtFor = this.turnsKey;
      this.text.replaceChildren();
      this.boxes = [];
      this.shapes = [];
      this.turnPieces = [];
    }
    let changed = false;
    this.turns.forEach((turn, index) => {
      const overlaps = (x) => x.end > turn.start && x.start < turn.end;
      const units = this.units.filter(overlaps);
      const over = marks.filter(overlaps);
      const cuts = new Set([turn.start, turn.end]);
      const inside = (x) => x > turn.start && x < turn.end && cuts.add(x);
      for (const u of units) (inside(u.start), inside(u.end));
      for (const m of over) (inside(m.start), inside(m.end));
      if (this.selection) (inside(this.selection.start), inside(this.selection.end));
      const points = [...cuts].sort((x, y) => x - y);
      const pieces = [];
      for (let i = 0; i + 1 < points.length; i++) {
        const [a, b] = [points[i], points[i + 1]];
        const unit = units.find((u) => u.start <= a && a < u.end) || null;
        const covering = over.filter((m) => m.start <= a && b <= m.end);
        pieces.push({
          a,
          b,
          unit: unit ? unit.id : null,
          pending: !!unit && pending.has(unit.id),
          current: !!unit && unit.id === this.data.current,
          color: covering.length ? covering[0].color : "",
          codes: covering.map((m) => m.code).join(" "),
          sel: !!this.selection && this.selection.start <= a && b <= this.selection.end,
          chosen: !!chosen && chosen.start <= a && b <= chosen.end,
        });
      }
      const shape = JSON.stringify(pieces);
      if (shape === this.shapes[index]) return;
      this.shapes[index] = shape;
      const box = this.turnBox(turn, pieces, index);
      if (this.boxes[index]) this.boxes[index].replaceWith(box);
      else this.text.append(box);
      this.boxes[index] = box;
      changed = true;
    });
    this.pieces = this.turnPieces.flat(); // every piece element in text order, for the stripes' extents
    if (this.scrollToSelection && this.selection) {
      this.scrollToSelection = false;
      const first = this.text.querySelector(".qcw-sel");
      if (first) this.reader.scrollTop += first.getBoundingClientRect().top - this.reader.getBoundingClientRect().top - 120;
    }
    return changed;
  }

  turnBox(turn, pieces, index) {
    const box = el("div", "qcw-turn" + (turn.role === "respondent" ? "" : " qcw-interviewer"));
    box.append(el("span", "qcw-speaker", `${turn.speaker}: `));
    const elements = [];
    for (const p of pieces) {
      const piece = el("span", "qcw-p", turn.chars.slice(p.a - turn.start, p.b - turn.start).join(""));
      piece.dataset.a = p.a;
      piece.dataset.b = p.b;
      if (p.unit !== null) {
        piece.classList.add("qcw-unit");
        piece.dataset.unit = p.unit;
        if (p.pending) piece.classList.add("qcw-pending");
        if (p.current) piece.classList.add("qcw-current");
      }
      if (p.codes) {
        piece.style.background = `${p.color}2e`;
        piece.dataset.codes = p.codes;
      }
      if (p.sel) piece.classList.add("qcw-sel");
      if (p.chosen) piece.classList.add("qcw-chosen");
      box.append(piece);
      elements.push(piece);
    }
    this.turnPieces[index] = elements;
    return box;
  }

  extent(mark) {
    // Top and bottom of a coding's text inside the reader, from the first and last piece it covers (pieces
    // are in text order: two binary searches, not a look at every piece).
    const pieces = this.pieces || [];
    let low = 0;
    let high = pieces.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (Number(pieces[mid].dataset.a) < mark.start) low = mid + 1;
      else high = mid;
    }
    const first = low;
    high = pieces.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (Number(pieces[mid].dataset.b) <= mark.end) low = mid + 1;
      else high = mid;
    }
    const last = low - 1;
    if (first >= pieces.length || last < first) return null;
    const top = pieces[first].getClientRects()[0] || pieces[first].getBoundingClientRect();
    const lastRects = pieces[last].getClientRects();
    const bottom = lastRects[lastRects.length - 1] || pieces[last].getBoundingClientRect();
    return { top: top.top - this.origin, bottom: bottom.bottom - this.origin };
  }

  drawStripes(relaid = true) {
    if (!this.data || !this.pieces) return;
    const marks = this.marks();
    const width = this.text.clientWidth;
    const drawn = [marks.map((m) => `${m.id}:${m.start}:${m.end}:${m.color}`).join(" "), this.chosenMark, width].join("|");
    if (!relaid && drawn === this.stripesDrawn) return; // same stripes on the same layout
    this.stripesDrawn = drawn;
    this.widths = [width, ...this.widths].slice(0, 2);
    this.stripesAt = performance.now();
    this.origin = this.text.getBoundingClientRect().top;
    const placed = [];
    for (const mark of marks) {
      const where = this.extent(mark);
      if (where) placed.push({ mark, ...where });
    }
    placed.sort((x, y) => x.top - y.top || y.bottom - x.bottom);
    const laneEnds = [];
    for (const item of placed) {
      let lane = laneEnds.findIndex((bottom) => bottom <= item.top + 1);
      if (lane < 0) lane = laneEnds.push(0) - 1;
      laneEnds[lane] = item.bottom;
      item.lane = lane;
    }
    const lanes = laneEnds.length;
    const laneWidth = Math.max(Math.min(LANE, Math.floor(MARGIN_MAX / Math.max(lanes, 1))), 18);
    this.margin.style.width = `${Math.max(lanes * laneWidth, 8)}px`;
    this.margin.style.height = `${this.text.scrollHeight}px`;
    const stripes = document.createDocumentFragment();
    for (const { mark, top, bottom, lane } of placed) {
      const stripe = el("div", "qcw-stripe" + (mark.id === this.chosenMark ? " qcw-stripe-chosen" : ""));
      if (mark.saving) stripe.classList.add("qcw-saving");
      stripe.style.top = `${top}px`;
      stripe.style.height = `${Math.max(bottom - top, 14)}px`;
      stripe.style.left = `${lane * laneWidth}px`;
      stripe.style.width = `${laneWidth - 4}px`;
      stripe.style.borderColor = mark.color;
      stripe.dataset.mark = mark.id;
      stripe.dataset.code = mark.code;
      stripe.title = `${mark.name}\ncoder: ${mark.coder}\nsource: ${mark.source}\n${mark.start}-${mark.end}`;
      const label = el("span", "qcw-label", mark.name);
      label.style.background = mark.color;
      label.style.color = mark.ink;
      stripe.append(label);
      stripe.addEventListener("mousedown", (event) => event.preventDefault());
      stripe.addEventListener("click", () => {
        this.chosenMark = mark.id;
        this.selection = { start: mark.start, end: mark.end };
        this.render();
        this.reader.focus({ preventScroll: true });
        this.say(`${mark.name} by ${mark.coder} chosen${mark.removable ? ": Delete removes it." : "."}`);
      });
      stripes.append(stripe);
    }
    this.margin.replaceChildren(stripes);
  }
}

export default function (args) {
  const { parentElement } = args;
  let instance = instances.get(parentElement);
  if (!instance) {
    const root = document.createElement("div");
    root.className = "qcw-root";
    parentElement.append(root);
    instance = new SpanCoder(root);
    instances.set(parentElement, instance);
  }
  instance.update(args);
}

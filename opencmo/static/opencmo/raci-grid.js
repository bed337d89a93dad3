// RACI grid: edit cells from the keyboard. A cell is posted by htmx when it receives "raci-commit"
// (sent here on change or Enter); the server answers with the whole row and the findings panel.
// Escape puts back the saved letters; arrow keys move between cells like a spreadsheet.
(function () {
  "use strict";

  const CELL = "input.raci-input";
  const pending = {}; // id -> value typed in another cell of a row that is about to be replaced

  const normal = (value) => value.toUpperCase().replace(/[\s,/;+]+/g, "");
  const live = (text) => {
    const region = document.getElementById("raci-live");
    if (region) region.textContent = text;
  };

  function commit(input) {
    const value = normal(input.value);
    const last = input.dataset.sent !== undefined ? input.dataset.sent : input.dataset.saved;
    if (value === last && !input.hasAttribute("aria-invalid")) return; // Enter, then blur: post once
    input.dataset.sent = value;
    htmx.trigger(input, "raci-commit");
  }

  function revert(input) {
    input.value = input.dataset.saved;
    delete input.dataset.sent;
    input.removeAttribute("aria-invalid");
    const cell = input.closest("td");
    cell.classList.remove("has-error");
    cell.querySelectorAll(".raci-cell-error").forEach((e) => e.remove());
    input.select();
  }

  // The next cell in the direction of an arrow key: same row for left/right, same column (skipping
  // read-only rows) for up/down.
  function neighbour(input, key) {
    if (key === "ArrowLeft" || key === "ArrowRight") {
      const cells = Array.from(input.closest("tr").querySelectorAll(CELL));
      return cells[cells.indexOf(input) + (key === "ArrowRight" ? 1 : -1)] || null;
    }
    const rows = Array.from(input.closest("table").querySelectorAll("tbody.raci-row"));
    const step = key === "ArrowDown" ? 1 : -1;
    for (let r = rows.indexOf(input.closest("tbody")) + step; r >= 0 && r < rows.length; r += step) {
      const target = rows[r].querySelector(CELL + '[data-c="' + input.dataset.c + '"]');
      if (target) return target;
    }
    return null;
  }

  // Left/right move the caret inside a cell's text until it reaches the edge (or all is selected).
  function atEdge(input, key) {
    const { selectionStart: start, selectionEnd: end, value } = input;
    if (start === 0 && end === value.length) return true;
    return key === "ArrowLeft" ? end === 0 : start === value.length;
  }

  document.addEventListener("keydown", (evt) => {
    const input = evt.target;
    if (!(input instanceof HTMLInputElement) || !input.matches(CELL)) return;
    if (evt.key === "Enter") {
      evt.preventDefault();
      commit(input);
    } else if (evt.key === "Escape") {
      evt.preventDefault();
      revert(input);
    } else if (evt.key.startsWith("Arrow") && !evt.altKey && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey) {
      if ((evt.key === "ArrowLeft" || evt.key === "ArrowRight") && !atEdge(input, evt.key)) return;
      const target = neighbour(input, evt.key);
      if (!target) return;
      evt.preventDefault();
      target.focus(); // the blur fires "change" on this cell, which commits it
      target.select();
    }
  });

  document.addEventListener("change", (evt) => {
    if (evt.target instanceof HTMLInputElement && evt.target.matches(CELL)) commit(evt.target);
  });

  // htmx fires beforeSwap on the row being replaced, which may already be detached when two cells of
  // one row were posted in quick succession, so listen on each row rather than on the document.
  function beforeSwap(evt) {
    if (!evt.detail.shouldSwap) return; // refused (403, 400): the responseError handler explains
    let target = evt.detail.target;
    if (!target.isConnected) {
      const current = document.getElementById(target.id);
      if (!current) return;
      target = evt.detail.target = current; // an earlier answer replaced this row: swap the new one
    }
    const source = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    target.querySelectorAll(CELL).forEach((input) => {
      const typing = normal(input.value) !== input.dataset.saved && !input.hasAttribute("aria-invalid");
      if (typing && (!source || input.id !== source.id)) pending[input.id] = input.value;
    });
    live("");
  }

  function bind(root) {
    const rows = root.matches && root.matches("tbody.raci-row") ? [root] : [];
    rows.push(...(root.querySelectorAll ? root.querySelectorAll("tbody.raci-row") : []));
    rows.forEach((row) => {
      if (row.dataset.raciBound) return;
      row.dataset.raciBound = "1";
      row.addEventListener("htmx:beforeSwap", beforeSwap);
    });
    // Put back what the user was typing elsewhere in a row that was just replaced.
    Object.keys(pending).forEach((id) => {
      const input = document.getElementById(id);
      if (input && root.contains(input)) {
        input.value = pending[id];
        delete pending[id];
      }
    });
  }

  document.addEventListener("htmx:responseError", (evt) => {
    const input = evt.detail.elt;
    if (!(input instanceof HTMLInputElement) || !input.matches(CELL)) return;
    const xhr = evt.detail.xhr;
    const why = xhr.status === 403 ? "You may not change this row." : xhr.responseText || xhr.statusText;
    live("Not saved: " + why);
    delete input.dataset.sent;
    input.setAttribute("aria-invalid", "true");
  });

  document.addEventListener("htmx:sendError", (evt) => {
    if (evt.detail.elt instanceof HTMLInputElement && evt.detail.elt.matches(CELL)) {
      live("Not saved: the server could not be reached. Try again.");
      delete evt.detail.elt.dataset.sent;
    }
  });

  htmx.onLoad(bind);
  bind(document);
})();

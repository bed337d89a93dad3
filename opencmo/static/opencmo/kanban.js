// Kanban board: drag a card to another column or place (HTML5 drag and drop), or use the card's
// "Move to" form (which also works without JavaScript, and from the keyboard). Each move is posted to the
// card's move endpoint with fetch; the server answers JSON. A refused move (say a deliverable that is
// not approved yet) puts the card back and says why in the live region above the board.
(function () {
  "use strict";

  const board = document.querySelector("[data-kanban]");
  if (!board) return;
  const live = document.getElementById("kanban-live");
  const marker = document.createElement("div");
  marker.className = "kdrop-marker";
  marker.setAttribute("aria-hidden", "true");
  let dragged = null;
  let origin = null;

  function say(text, bad) {
    if (!live) return;
    live.textContent = text;
    live.classList.toggle("error", Boolean(bad));
  }

  function recount() {
    board.querySelectorAll(".kcol").forEach((col) => {
      const count = col.querySelector("[data-count]");
      if (count) count.textContent = col.querySelectorAll(".kcard").length;
    });
  }

  const cardsIn = (body) => Array.from(body.querySelectorAll(".kcard")).filter((c) => c !== dragged);

  // The first card whose middle is below the pointer: the dragged card goes before it.
  function cardAfter(body, y) {
    for (const card of cardsIn(body)) {
      const box = card.getBoundingClientRect();
      if (y < box.top + box.height / 2) return card;
    }
    return null;
  }

  function place(card) {
    return { parent: card.parentNode, next: card.nextElementSibling };
  }

  function restore(card, where) {
    if (where.next && where.next.parentNode === where.parent) where.parent.insertBefore(card, where.next);
    else where.parent.appendChild(card);
  }

  function send(card, data, where) {
    const form = card.querySelector("form.kmove");
    if (!form) return;
    const body = new FormData();
    const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    body.append("csrfmiddlewaretoken", token);
    Object.entries(data).forEach(([key, value]) => body.append(key, value));
    card.classList.add("saving");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token },
    })
      .then((response) =>
        response
          .json()
          .catch(() => ({ ok: false, error: "The server could not move the card (" + response.status + ")." }))
      )
      .then((result) => {
        card.classList.remove("saving");
        if (result.ok) {
          form.elements.status.value = result.status;
          card.classList.toggle("done", result.status === "done");
          if (result.status === "done") card.classList.remove("late");
          say(result.message, false);
        } else {
          restore(card, where);
          say(result.error || "The card could not be moved.", true);
        }
        recount();
      })
      .catch(() => {
        card.classList.remove("saving");
        restore(card, where);
        recount();
        say("Could not reach the server; the card was not moved.", true);
      });
  }

  // --- drag and drop ---

  board.addEventListener("dragstart", (evt) => {
    const card = evt.target.closest && evt.target.closest(".kcard[draggable=true]");
    if (!card) return;
    dragged = card;
    origin = place(card);
    evt.dataTransfer.effectAllowed = "move";
    evt.dataTransfer.setData("text/plain", card.dataset.task);
    requestAnimationFrame(() => card.classList.add("dragging"));
  });

  board.addEventListener("dragover", (evt) => {
    if (!dragged) return;
    const col = evt.target.closest && evt.target.closest(".kcol");
    if (!col) return;
    evt.preventDefault();
    evt.dataTransfer.dropEffect = "move";
    const body = col.querySelector(".kcol-body");
    const after = cardAfter(body, evt.clientY);
    if (after) {
      if (marker.nextElementSibling !== after) body.insertBefore(marker, after);
    } else if (marker.parentNode !== body || marker.nextElementSibling) {
      body.appendChild(marker);
    }
    board.querySelectorAll(".kcol.over").forEach((c) => c !== col && c.classList.remove("over"));
    col.classList.add("over");
  });

  board.addEventListener("drop", (evt) => {
    if (!dragged) return;
    const col = evt.target.closest && evt.target.closest(".kcol");
    if (!col) return;
    evt.preventDefault();
    const body = col.querySelector(".kcol-body");
    if (marker.parentNode !== body) {
      const after = cardAfter(body, evt.clientY);
      if (after) body.insertBefore(marker, after);
      else body.appendChild(marker);
    }
    let next = marker.nextElementSibling;
    while (next && (next === dragged || !next.classList.contains("kcard"))) next = next.nextElementSibling;
    const card = dragged;
    const where = origin;
    body.insertBefore(card, marker);
    cleanup();
    recount();
    send(card, { status: col.dataset.status, before: next ? next.dataset.task : "" }, where);
  });

  function cleanup() {
    marker.remove();
    board.querySelectorAll(".kcol.over").forEach((c) => c.classList.remove("over"));
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    origin = null;
  }

  board.addEventListener("dragend", cleanup);

  // --- the "Move to" form, and the up / down buttons ---

  function sibling(card, step) {
    const cards = Array.from(card.parentNode.querySelectorAll(".kcard"));
    return cards[cards.indexOf(card) + step] || null;
  }

  board.addEventListener("submit", (evt) => {
    const form = evt.target.closest("form.kmove");
    if (!form) return;
    evt.preventDefault();
    const card = form.closest(".kcard");
    const status = form.elements.status.value;
    const current = card.closest(".kcol").dataset.status;
    const button = evt.submitter;
    const where = place(card);
    if (button && button.name === "direction" && status === current) {
      const up = button.value === "up";
      const neighbour = sibling(card, up ? -1 : 1);
      if (!neighbour) return;
      let before;
      if (up) {
        neighbour.before(card);
        before = neighbour.dataset.task;
      } else {
        neighbour.after(card);
        const next = sibling(card, 1);
        before = next ? next.dataset.task : "";
      }
      button.focus();
      send(card, { status: status, before: before }, where);
      return;
    }
    if (status === current) return;
    const body = board.querySelector('.kcol[data-status="' + status + '"] .kcol-body');
    if (!body) {
      form.submit();
      return;
    }
    body.appendChild(card);
    recount();
    form.elements.status.focus();
    send(card, { status: status }, where);
  });
})();

// Small behaviours on top of htmx, each keyed on a data-* attribute you can grep for:
//   dialog[data-modal]     a <dialog> swapped in by htmx opens as a modal; focus goes back
//                          to what opened it when it closes, and it leaves the page.
//   [data-close-dialog]    closes its dialog (Cancel, ×). The server's HX-Trigger
//                          "followupsCreated" closes it too.
//   [data-combobox]        the ARIA combobox pattern over a server-filled listbox.
//   [data-select-all]      ticks or unticks every member checkbox of its table.
//   form[data-member-ranges] sends its ticked members as one value of id ranges.
//   details[data-menu]     a menu (Task) that closes when a choice is made or on Esc.
//   select[data-autosubmit] submits its form when changed (the language switch).
//   form[data-confirm]     asks before submitting (Freeze).
(function () {
  "use strict";

  // --- Modal dialogs ------------------------------------------------------------
  let opener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && !event.detail.elt.closest("dialog")) {
      // What the user was on: the clicked button, not the form that sent the request.
      const active = document.activeElement;
      opener = active && active !== document.body ? active : event.detail.elt;
    }
  });
  document.addEventListener("htmx:load", function (event) {
    const root = event.detail.elt;
    const dialog = root.matches && root.matches("dialog[data-modal]")
      ? root : root.querySelector && root.querySelector("dialog[data-modal]");
    if (!dialog || dialog.open) return;
    dialog.returnFocusTo = opener;
    dialog.addEventListener("close", function () {
      let back = dialog.returnFocusTo;
      // A choice inside a menu that has closed since: back to the menu's button.
      const menu = back && back.closest && back.closest("details:not([open])");
      if (menu) back = menu.querySelector("summary");
      dialog.remove();
      if (back && back.isConnected) back.focus();
    });
    dialog.showModal();
    const first = dialog.querySelector("select, input:not([type=hidden]), textarea");
    if (first) first.focus();
  });
  document.addEventListener("click", function (event) {
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });
  document.body.addEventListener("followupsCreated", function () {
    const dialog = document.querySelector("dialog[data-modal][open]");
    if (dialog) dialog.close();
  });
  // After an invalid save the form is swapped: move focus to the first field in error.
  document.addEventListener("htmx:afterSwap", function (event) {
    const bad = event.detail.elt.querySelector && event.detail.elt.querySelector("[aria-invalid=true]");
    if (bad && event.detail.elt.closest("dialog")) bad.focus();
  });

  // --- Combobox (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/) ---------------
  function parts(box) {
    return {
      input: box.querySelector("[role=combobox]"),
      list: box.querySelector("[role=listbox]"),
      hidden: box.closest("form").querySelector("input[name=project]"),
    };
  }
  function options(list) {
    return Array.from(list.querySelectorAll("[role=option]:not([aria-disabled=true])"));
  }
  function setOpen(box, open) {
    const p = parts(box);
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) p.input.removeAttribute("aria-activedescendant");
  }
  function highlight(box, option) {
    const p = parts(box);
    options(p.list).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }
  function pick(box, option) {
    const p = parts(box);
    p.input.value = option.dataset.label;
    if (p.hidden) p.hidden.value = option.dataset.value;
    setOpen(box, false);
    p.input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    const box = event.detail.target.closest && event.detail.target.closest("[data-combobox]");
    if (box && event.detail.target.matches("[role=listbox]")) {
      setOpen(box, document.activeElement === parts(box).input && event.detail.target.children.length > 0);
    }
  });
  document.addEventListener("keydown", function (event) {
    const box = event.target.closest && event.target.closest("[data-combobox]");
    if (!box || event.target.getAttribute("role") !== "combobox") return;
    const p = parts(box);
    const all = options(p.list);
    const current = p.list.querySelector("[aria-selected=true]");
    let index = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (p.list.hidden) { htmx.trigger(p.input, "combobox:open"); return; }
      index = event.key === "ArrowDown" ? Math.min(index + 1, all.length - 1) : Math.max(index - 1, 0);
      highlight(box, all[index]);
    } else if (event.key === "Enter" && !p.list.hidden && current) {
      event.preventDefault();
      pick(box, current);
    } else if (event.key === "Escape" && !p.list.hidden) {
      event.preventDefault(); // close the list, not the dialog
      event.stopPropagation();
      setOpen(box, false);
    }
  });
  document.addEventListener("input", function (event) {
    const box = event.target.closest && event.target.closest("[data-combobox]");
    if (box && event.target.getAttribute("role") === "combobox") {
      const p = parts(box);
      if (p.hidden) p.hidden.value = ""; // typed text is matched again on the server
    }
  });
  document.addEventListener("mousedown", function (event) {
    const option = event.target.closest("[data-combobox] [role=option]:not([aria-disabled=true])");
    if (option) { event.preventDefault(); pick(option.closest("[data-combobox]"), option); }
    const toggle = event.target.closest("[data-combobox-toggle]");
    if (toggle) {
      event.preventDefault();
      const box = toggle.closest("[data-combobox]");
      const p = parts(box);
      if (!p.list.hidden) { setOpen(box, false); return; }
      p.input.focus();
      htmx.ajax("GET", p.input.getAttribute("hx-get"), { target: p.list, swap: "innerHTML", values: { q: "" } });
    }
  });
  document.addEventListener("focusout", function (event) {
    const box = event.target.closest && event.target.closest("[data-combobox]");
    if (box && !box.contains(event.relatedTarget)) setOpen(box, false);
  });

  // --- Menus (details[data-menu]) close when a choice is made or on Escape --------
  document.addEventListener("htmx:beforeRequest", function (event) {
    const menu = event.detail.elt.closest && event.detail.elt.closest("details[data-menu]");
    if (menu) menu.removeAttribute("open");
  });
  document.addEventListener("keydown", function (event) {
    const menu = event.key === "Escape" && event.target.closest && event.target.closest("details[data-menu][open]");
    if (menu) { menu.removeAttribute("open"); menu.querySelector("summary").focus(); }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // --- Member checkboxes ---------------------------------------------------------
  document.addEventListener("change", function (event) {
    const all = event.target.closest("[data-select-all]");
    if (!all) return;
    document.querySelectorAll("input[name=members][form=" + all.getAttribute("form") + "]")
      .forEach(function (box) { box.checked = all.checked; });
  });

  // form[data-member-ranges]: the ticked members (checkboxes named "members", one id
  // each) travel as one value of sorted id ranges, "12-511,530,540-600", so the request
  // stays small and under the server's limit on fields however many are ticked.
  function idRanges(ids) {
    const runs = [];
    ids.slice().sort(function (a, b) { return a - b; }).forEach(function (id) {
      const last = runs[runs.length - 1];
      if (last && id <= last[1] + 1) last[1] = Math.max(last[1], id);
      else runs.push([id, id]);
    });
    return runs.map(function (r) { return r[0] === r[1] ? String(r[0]) : r[0] + "-" + r[1]; }).join(",");
  }
  document.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-member-ranges]")) return;
    const values = event.detail.formData.getAll("members");
    const ids = values.map(Number);
    // Anything else than ids is sent as it is, for the server to refuse.
    if (values.length > 1 && ids.every(function (id) { return Number.isSafeInteger(id) && id > 0; })) {
      event.detail.formData.set("members", idRanges(ids));
    }
  });
})();

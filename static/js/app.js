// Small behaviours on top of htmx, each keyed on a data-* attribute you can grep for:
//   dialog[data-modal]     a <dialog> swapped in by htmx opens as a modal; focus goes back
//                          to what opened it when it closes, and it leaves the page.
//   [data-close-dialog]    closes its dialog (Cancel, ×; Esc too), after asking in
//                          dialog[data-discard-confirm] if its fields were changed. The
//                          server's HX-Trigger "followupsCreated" closes it at once.
//   form[data-save-status] a save whose answer is lost (a server error, a timeout, a lost
//                          connection) asks this URL whether it committed; the dialog says
//                          what happened. While it saves, Cancel, × and Esc wait.
//   [data-request-status]  where a dialog says that the session ended (any 401 with
//                          [data-session-ended]); outside a dialog, #messages.
//   [data-count-for]       a live "123 / 2,048" under the field with that id.
//   input[data-date-picker] a date typed in the associate's style, with a calendar button.
//   input[data-working-days] "in N working days": cleared when Start is typed or picked.
//   input[data-checked-by] a radio checked when a value is chosen in the select it names.
//   [data-combobox]        the ARIA combobox pattern over a server-filled listbox, whose
//                          [data-more] option loads the next page when reached.
//   [data-keep-focus]      keeps the focus when htmx swaps the content around it (by id);
//                          a ticked checkbox stays ticked.
//   [data-select-all]      ticks or unticks every checkbox of its form named by its value
//                          (members when empty).
//   form[data-member-ranges] sends its ticked members as one value of id ranges.
//   form[data-task-choices]  the Task menu: "the N ticked members" once a row is ticked.
//   details[data-menu]     a menu (Task) that closes when a choice is made or on Esc.
//   select[data-autosubmit] submits its form when changed (the language switch).
//   form[data-confirm]     asks before submitting (Freeze).
(function () {
  "use strict";

  function formatNumber(n) {
    return new Intl.NumberFormat(document.documentElement.lang || undefined).format(n);
  }

  // --- CSRF and an ended session ---------------------------------------------------
  // The CSRF token is read from its cookie for every request, so a page that stayed open
  // while its user logged in again elsewhere sends the new one. A form's own hidden
  // token would win over the header, so it is replaced as well.
  function cookie(name) {
    const prefix = name + "=";
    const found = document.cookie.split("; ").find(function (c) { return c.indexOf(prefix) === 0; });
    return found ? decodeURIComponent(found.slice(prefix.length)) : null;
  }
  document.addEventListener("htmx:configRequest", function (event) {
    const token = cookie("csrftoken");
    if (!token) return;
    event.detail.headers["X-CSRFToken"] = token;
    const data = event.detail.formData;
    if (data && data.has("csrfmiddlewaretoken")) data.set("csrfmiddlewaretoken", token);
  });

  function statusLineFor(elt) {
    const dialog = elt && elt.closest && elt.closest("dialog");
    return dialog && dialog.querySelector("[data-request-status]");
  }
  function isOk(xhr) { return xhr.status >= 200 && xhr.status < 300; }
  document.addEventListener("htmx:beforeSwap", function (event) {
    const detail = event.detail;
    if (detail.xhr.status === 401 && /data-session-ended/.test(detail.serverResponse)) {
      // The message, with its login link, where the request came from; the rest stays.
      detail.target = statusLineFor(detail.requestConfig.elt) || document.getElementById("messages");
      detail.shouldSwap = !!detail.target;
      detail.swapOverride = "innerHTML";
      detail.isError = false;
    } else if (detail.xhr.status >= 400) {
      detail.shouldSwap = false; // an error page (DEBUG's too) never lands in the page
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    // Any answer of a logged-in page: the session is back, the message is out of date.
    if (isOk(event.detail.xhr)) {
      document.querySelectorAll("[data-session-ended]").forEach(function (el) { el.remove(); });
    }
  });

  // --- Modal dialogs ------------------------------------------------------------
  let opener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && !event.detail.elt.closest("dialog")) {
      // What the user was on: the clicked button, not the form that sent the request.
      const active = document.activeElement;
      opener = active && active !== document.body ? active : event.detail.elt;
    }
  });
  function formState(form) {
    const data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    return new URLSearchParams(data).toString();
  }
  function changed(dialog) {
    const form = dialog.querySelector("form");
    return !!form && dialog.initialState !== undefined && formState(form) !== dialog.initialState;
  }
  document.addEventListener("htmx:load", function (event) {
    const root = event.detail.elt;
    const dialog = root.matches && root.matches("dialog[data-modal]")
      ? root : root.querySelector && root.querySelector("dialog[data-modal]");
    if (!dialog || dialog.open) return;
    dialog.returnFocusTo = opener;
    dialog.addEventListener("close", function (closed) {
      if (closed.target !== dialog) return; // the confirmation inside it
      let back = dialog.returnFocusTo;
      // A choice inside a menu that has closed since: back to the menu's button.
      const menu = back && back.closest && back.closest("details:not([open])");
      if (menu) back = menu.querySelector("summary");
      dialog.remove();
      if (back && back.isConnected) back.focus();
    });
    dialog.showModal();
    const form = dialog.querySelector("form");
    if (form) dialog.initialState = formState(form); // what "changed" compares with
    const first = dialog.querySelector("select, input:not([type=hidden]), textarea");
    if (first) first.focus();
  });

  // Close (Cancel, ×, Esc): at once if nothing was changed, else after "Discard?". Not
  // while a save is under way: its outcome is shown in the dialog.
  function requestClose(dialog) {
    if (dialog.hasAttribute("data-busy")) return;
    const confirm = dialog.querySelector("dialog[data-discard-confirm]");
    if (confirm && changed(dialog)) {
      confirm.returnFocusTo = document.activeElement;
      confirm.showModal();
    } else {
      dialog.close();
    }
  }
  function keepEditing(confirm) {
    const back = confirm.returnFocusTo;
    confirm.close();
    if (back && back.isConnected && back !== document.body) back.focus();
  }
  document.addEventListener("click", function (event) {
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) requestClose(closer.closest("dialog"));
    const keep = event.target.closest("[data-keep-editing]");
    if (keep) keepEditing(keep.closest("dialog"));
    const discard = event.target.closest("[data-discard]");
    if (discard) {
      const confirm = discard.closest("dialog");
      confirm.close();
      confirm.parentElement.closest("dialog").close();
    }
  });
  // Esc is handled here, not by the browser's own closing of a dialog, and on window: after
  // the fields' own use of it on document (an open Project list closes first, and stops it).
  window.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const confirm = document.querySelector("dialog[data-discard-confirm][open]");
    const dialog = document.querySelector("dialog[data-modal][open]");
    if (confirm) { event.preventDefault(); keepEditing(confirm); }
    else if (dialog) { event.preventDefault(); requestClose(dialog); }
  });
  // Any other request to close (a phone's Back button) asks the same.
  document.addEventListener("cancel", function (event) {
    const dialog = event.target;
    if (!dialog.matches) return;
    if (dialog.matches("dialog[data-discard-confirm]")) { event.preventDefault(); keepEditing(dialog); }
    else if (dialog.matches("dialog[data-modal]")) { event.preventDefault(); requestClose(dialog); }
  }, true);
  document.body.addEventListener("followupsCreated", function () {
    const dialog = document.querySelector("dialog[data-modal][open]");
    if (dialog) dialog.close();
  });
  // After an invalid save the form is swapped: move focus to the first field in error.
  document.addEventListener("htmx:afterSwap", function (event) {
    const bad = event.detail.elt.querySelector && event.detail.elt.querySelector("[aria-invalid=true]");
    if (bad && event.detail.elt.closest("dialog")) bad.focus();
  });

  // --- Saving (form[data-save-status]) --------------------------------------------
  // A save that fails without an answer the dialog can show asks whether it committed
  // (the form's one-time key makes that answerable, and a second Save harmless): if it
  // did, the answer is the save's own (the dialog closes, the message shows, counters
  // refresh); if not, the dialog says so, with everything typed still there.
  function isSave(elt) { return !!(elt && elt.matches && elt.matches("form[data-save-status]")); }
  function message(form, name) {
    const template = form.querySelector("template[data-message=" + name + "]");
    return template ? template.content.textContent.trim() : "";
  }
  function showStatus(line, texts) {
    const box = document.createElement("div");
    box.className = "form-errors";
    texts.filter(Boolean).forEach(function (text) {
      const p = document.createElement("p");
      p.textContent = text;
      box.appendChild(p);
    });
    line.replaceChildren(box);
  }
  function setBusy(form, busy) {
    const dialog = form.saveDialog;
    if (dialog) {
      dialog.toggleAttribute("data-busy", busy);
      dialog.querySelectorAll("[data-close-dialog]").forEach(function (b) { b.disabled = busy; });
    }
    if (!form.isConnected) return; // replaced by the answer (the form again, with errors)
    const save = form.querySelector("button[type=submit]");
    const hadFocus = save && document.activeElement === save;
    if (busy) form.setAttribute("aria-busy", "true"); else form.removeAttribute("aria-busy");
    if (save) save.disabled = busy;
    const progress = form.querySelector("[data-save-progress]");
    clearTimeout(form.progressTimer);
    if (progress && busy) {
      // Shown if the answer takes a moment: what the preview said is being created.
      form.progressTimer = setTimeout(function () {
        const total = form.querySelector(".preview-total[data-saving]");
        progress.textContent = total ? total.dataset.saving : message(form, "saving");
      }, 300);
    } else if (progress) {
      progress.textContent = "";
    }
    // A disabled button loses the focus: give it back, where Save can be pressed again.
    if (busy) form.saveHadFocus = hadFocus;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (!busy && save && form.saveHadFocus && lost) save.focus();
  }
  function checkSaved(form, cause) {
    const line = form.querySelector("[data-request-status]");
    setBusy(form, true);
    clearTimeout(form.progressTimer);
    form.querySelector("[data-save-progress]").textContent = "";
    showStatus(line, [message(form, cause), message(form, "checking")]);
    line.pendingCheck = { form: form, cause: cause, url: form.dataset.saveStatus };
    // Once the failed request has let go of the form (hx-sync), with the save's own
    // handling of the answer: HX-Trigger and the messages swapped out of band.
    setTimeout(function () {
      htmx.ajax("GET", form.dataset.saveStatus, { source: line, target: line, swap: "none" });
    }, 0);
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if (!isSave(form)) return;
    form.saveDialog = form.closest("dialog");
    form.querySelector("[data-request-status]").replaceChildren();
    setBusy(form, true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const detail = event.detail;
    const elt = detail.requestConfig && detail.requestConfig.elt;
    const check = elt && elt.pendingCheck;
    if (check && detail.requestConfig.path === check.url) {
      elt.pendingCheck = null;
      const status = detail.xhr.status;
      if (status === 204) {
        showStatus(elt, [message(check.form, check.cause), message(check.form, "nothing-saved")]);
      } else if (!(isOk(detail.xhr) || status === 401)) {
        showStatus(elt, [message(check.form, check.cause), message(check.form, "unknown")]);
      }
      setBusy(check.form, false); // 200: saved, the dialog has closed; 401: said where
      return;
    }
    if (!isSave(elt)) return;
    if (detail.xhr.status === 0) return; // timeout, lost connection: their events follow
    if (detail.successful) setBusy(elt, false); // saved, invalid, or a failure the server told
    else checkSaved(elt, detail.xhr.status < 500 ? "server-refused" : "server-failed");
  });
  document.addEventListener("htmx:timeout", function (event) {
    if (isSave(event.detail.elt)) checkSaved(event.detail.elt, "timed-out");
  });
  ["htmx:sendError", "htmx:sendAbort"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (isSave(event.detail.elt)) checkSaved(event.detail.elt, "connection-lost");
    });
  });

  // --- Fields ------------------------------------------------------------------------
  // [data-count-for]: what will be saved (ends trimmed, as the server does), in
  // characters as a person counts them, against the limit; the excess if over it.
  function updateCount(counter) {
    const field = document.getElementById(counter.dataset.countFor);
    if (!field) return;
    const n = Array.from(field.value.trim()).length;
    const limit = Number(counter.dataset.limit);
    let text = formatNumber(n) + " / " + formatNumber(limit);
    if (n > limit) text += " · " + counter.dataset.overText.replace("{n}", formatNumber(n - limit));
    counter.textContent = text;
    counter.classList.toggle("over", n > limit);
  }
  document.addEventListener("input", function (event) {
    if (!event.target.id) return;
    document.querySelectorAll("[data-count-for='" + CSS.escape(event.target.id) + "']").forEach(updateCount);
  });
  document.addEventListener("htmx:load", function (event) {
    const root = event.detail.elt;
    if (root.querySelectorAll) root.querySelectorAll("[data-count-for]").forEach(updateCount);
  });

  // input[data-date-picker]: a text field for a date in the associate's style (the value
  // is its strftime format, such as "%d.%m.%Y"), with a button that opens the browser's
  // own calendar and writes the chosen date back in that style.
  function dateParts(format) {
    return format.match(/%[dmYy]|[^%]+/g) || [];
  }
  function formatDate(format, iso) {
    const [y, m, d] = iso.split("-");
    return dateParts(format).map(function (part) {
      return { "%d": d, "%m": m, "%Y": y, "%y": y.slice(2) }[part] || part;
    }).join("");
  }
  function parseDate(format, text) {
    let pattern = "";
    const order = [];
    dateParts(format).forEach(function (part) {
      if (part[0] === "%") {
        order.push(part);
        pattern += part === "%Y" ? "(\\d{4})" : "(\\d{1,2})";
      } else {
        pattern += part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      }
    });
    const found = new RegExp("^\\s*" + pattern + "\\s*$").exec(text);
    const iso = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/.exec(text);
    if (!found && !iso) return "";
    const value = iso ? { "%Y": iso[1], "%m": iso[2], "%d": iso[3] } : {};
    if (!iso) order.forEach(function (part, i) { value[part] = found[i + 1]; });
    const year = value["%Y"] || (value["%y"] ? "20" + value["%y"].padStart(2, "0") : "");
    if (!year || !value["%m"] || !value["%d"]) return "";
    return year + "-" + value["%m"].padStart(2, "0") + "-" + value["%d"].padStart(2, "0");
  }
  function addDatePicker(field) {
    if (field.dataset.pickerReady || !field.parentNode) return;
    field.dataset.pickerReady = "1";
    // The field swapped in anew (the preview writes a start "in N working days"): the
    // button beside it is already there and finds the field when clicked.
    if (field.parentNode.classList.contains("date-field")) return;
    const wrap = document.createElement("span");
    wrap.className = "date-field";
    field.parentNode.insertBefore(wrap, field);
    wrap.appendChild(field);
    const calendar = document.createElement("input");
    calendar.type = "date";
    calendar.className = "date-calendar";
    calendar.tabIndex = -1;
    calendar.setAttribute("aria-hidden", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "date-pick";
    button.setAttribute("aria-label", field.dataset.pickerLabel || "Choose a date");
    button.title = button.getAttribute("aria-label");
    // A calendar, drawn: no emoji font is needed.
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 0h1.5v2h5V0H12v2h2a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H2a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1h2zM2.5 6v8.5h11V6zM4 8h2v2H4zm3 0h2v2H7zm3 0h2v2h-2zm-6 3h2v2H4zm3 0h2v2H7z");
    svg.appendChild(path);
    button.appendChild(svg);
    wrap.appendChild(button);
    wrap.appendChild(calendar);
    function current() { return wrap.querySelector("input[data-date-picker]"); }
    button.addEventListener("click", function () {
      const input = current();
      calendar.value = parseDate(input.dataset.datePicker, input.value);
      try { calendar.showPicker(); } catch (e) { input.focus(); }
    });
    calendar.addEventListener("change", function () {
      if (!calendar.value) return;
      const input = current();
      input.value = formatDate(input.dataset.datePicker, calendar.value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    });
  }
  document.addEventListener("htmx:load", function (event) {
    const root = event.detail.elt;
    if (root.querySelectorAll) root.querySelectorAll("input[data-date-picker]").forEach(addDatePicker);
  });
  // input[data-working-days]: "in N working days" fills Start (the preview's answer);
  // a start typed or picked by hand wins, so the number is cleared then.
  document.addEventListener("input", function (event) {
    const start = event.target;
    if (!start.matches || !start.matches("input[data-date-picker]")) return;
    const days = start.form && start.form.querySelector("input[data-working-days]");
    if (days && days.value !== "") days.value = "";
  });

  // select[data-kind-select]: Start time and Duration ([data-time-field]) only for a
  // type whose kind has a time (option[data-timed]); hidden, they are also disabled, so
  // a time typed before the type changed to a task is not sent.
  function showTimeFields(select) {
    const option = select.options[select.selectedIndex];
    const timed = !!(option && option.hasAttribute("data-timed"));
    select.form.querySelectorAll("[data-time-field]").forEach(function (input) {
      input.disabled = !timed;
      const control = input.closest(".control");
      if (control) control.hidden = !timed;
      const label = select.form.querySelector("label[for='" + input.id + "']");
      if (label) label.hidden = !timed;
    });
  }
  document.addEventListener("htmx:load", function (event) {
    const root = event.detail.elt;
    if (root.querySelectorAll) root.querySelectorAll("select[data-kind-select]").forEach(function (select) {
      if (select.form) showTimeFields(select);
    });
  });
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select.matches && select.matches("select[data-kind-select]") && select.form) showTimeFields(select);
  });

  // input[data-checked-by]: choosing an associate in "Other associate" chooses that
  // owner. In the capture phase, so the preview (on the form's change) sees it.
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!select.matches("select[id]") || !select.value || !select.form) return;
    select.form.querySelectorAll("input[data-checked-by]").forEach(function (radio) {
      if (radio.dataset.checkedBy === select.id && !radio.disabled) radio.checked = true;
    });
  }, true);

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
    if (option.matches("[data-more]")) { htmx.trigger(option, "combobox:more"); return; }
    const p = parts(box);
    p.input.value = option.dataset.label;
    if (p.hidden) p.hidden.value = option.dataset.value;
    setOpen(box, false);
    p.input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    const box = event.detail.target.closest && event.detail.target.closest("[data-combobox]");
    if (box && event.detail.target.matches("[role=listbox]")) {
      event.detail.target.scrollTop = 0; // new options: from the top, not where the last ones were
      setOpen(box, document.activeElement === parts(box).input && event.detail.target.children.length > 0);
    }
  });
  // The next page of options replaces [data-more]; if it was highlighted, the first new
  // option is.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const more = event.detail.requestConfig.elt;
    if (!more.matches || !more.matches("[data-more]")) return;
    const box = more.closest("[data-combobox]");
    if (box && more.getAttribute("aria-selected") === "true") box.highlightAt = options(parts(box).list).indexOf(more);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    const more = event.detail.requestConfig && event.detail.requestConfig.elt;
    const box = event.target.closest && event.target.closest("[data-combobox]");
    if (!box || !more || !more.matches("[data-more]") || box.highlightAt == null) return;
    const all = options(parts(box).list);
    highlight(box, all[Math.min(box.highlightAt, all.length - 1)]);
    box.highlightAt = null;
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

  // --- [data-keep-focus]: the focus stays where it was when htmx swaps a row ---------
  // A ticked [data-keep-focus] checkbox in the swapped content stays ticked (the row's
  // "select" tick, when its Completed tick swaps the row).
  let refocus = null;
  let keepTicked = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    const active = document.activeElement;
    const target = event.detail.target;
    refocus = active && active.id && active.matches("[data-keep-focus]") && target && target.contains(active)
      ? active.id : null;
    keepTicked = target && target.querySelectorAll
      ? Array.from(target.querySelectorAll("input[type=checkbox][data-keep-focus]:checked"), function (box) { return box.id; })
      : [];
    if (target && target.matches && target.matches("input[type=checkbox][data-keep-focus]:checked")) keepTicked.push(target.id);
  });
  document.addEventListener("htmx:afterSwap", function () {
    keepTicked.forEach(function (id) {
      const box = id && document.getElementById(id);
      if (box) box.checked = true;
    });
    keepTicked = [];
    const again = refocus && document.getElementById(refocus);
    refocus = null;
    if (again && again !== document.activeElement) again.focus();
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
    const name = all.dataset.selectAll || "members";
    document.querySelectorAll("input[name=" + name + "][form=" + all.getAttribute("form") + "]")
      .forEach(function (box) { box.checked = all.checked; });
  });

  // form[data-task-choices]: the Task menu's "ticked members" choice is there once a row
  // is ticked, with how many; "all members" counts the selection's members
  // ([data-member-count], which member changes swap). Labels come from the page as one
  // text for 1 and one for more, with {n} for the number.
  function label(button, n) {
    const text = n === 1 ? button.dataset.labelOne : button.dataset.labelOther;
    if (text) button.textContent = text.replace("{n}", formatNumber(n));
  }
  function updateTaskChoices() {
    document.querySelectorAll("form[data-task-choices]").forEach(function (form) {
      const ticked = document.querySelectorAll("input[name=members][form=" + form.id + "]:checked").length;
      const tickedChoice = form.querySelector("[data-ticked-choice]");
      if (tickedChoice) {
        tickedChoice.hidden = ticked === 0;
        if (ticked) label(tickedChoice, ticked);
      }
      const allChoice = form.querySelector("[data-all-choice]");
      const count = document.querySelector("[data-member-count]");
      if (allChoice && count) label(allChoice, Number(count.dataset.memberCount));
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[name=members], [data-select-all]")) updateTaskChoices();
  });
  document.addEventListener("htmx:load", updateTaskChoices);

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

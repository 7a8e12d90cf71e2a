// Progressive enhancement for the portal's pages: local times, countdowns, and forms that post to the
// REST API (the same write path other programs use). Pages read fine without it.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  function formatIn(date, zone) {
    return new Intl.DateTimeFormat(undefined, {
      weekday: "short", month: "short", day: "numeric", year: "numeric",
      hour: "numeric", minute: "2-digit", timeZone: zone, timeZoneName: "shortOffset",
    }).format(date);
  }

  function showLocalTimes(root) {
    root.querySelectorAll("time[data-zone]").forEach(function (el) {
      if (el.dataset.localShown) return;
      el.dataset.localShown = "1";
      const zone = el.dataset.zone;
      if (!browserZone || browserZone === zone) return;
      const span = document.createElement("span");
      span.className = "local-time";
      span.textContent = "Your time (" + browserZone + "): " + formatIn(new Date(el.getAttribute("datetime")), browserZone);
      el.insertAdjacentElement("afterend", span);
    });
  }

  function describe(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    const parts = [];
    if (d) parts.push(d + " d");
    if (d || h) parts.push(h + " h");
    parts.push(m + " min");
    return parts.join(" ");
  }

  // At most two units, as courses/timefmt.py countdown_text writes them: "2 d 4 h", "7 h 5 min", "12 min".
  function countdownText(ms) {
    const minutes = Math.max(0, Math.floor(ms / 60000));
    const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d) return d + " d " + h + " h";
    if (h) return h + " h " + m + " min";
    return m ? m + " min" : "less than a minute";
  }

  function tickCountdowns() {
    const now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      const target = new Date(el.dataset.countdown).getTime();
      const left = target - now;
      el.textContent = left > 0 ? describe(left) + " left" : "passed " + describe(left) + " ago";
    });
    // A deadline row's one countdown (courses/selectors/deadlines.py deadline_countdown): to the due time,
    // then to the end of the grace (or late) window, then "closed".
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      const due = new Date(el.dataset.due).getTime(), closes = new Date(el.dataset.closes).getTime();
      if (now <= due) el.textContent = "due in " + countdownText(due - now);
      else if (now <= closes && el.dataset.window !== "none") {
        el.textContent = (el.dataset.window === "grace" ? "grace ends in " : "late window closes in ") + countdownText(closes - now);
      } else {
        el.textContent = "closed";
        const hint = el.parentElement.querySelector("[data-resubmit-hint]");
        if (hint) hint.hidden = true;
      }
    });
  }

  // Times shown once, in the zone the person chose (data-shown-zone): the browser's zone, when it differs,
  // goes into the title (hover) and into the opened row; the zone switch learns the browser's zone.
  function showOtherZone(root) {
    if (!browserZone) return;
    root.querySelectorAll("time[data-shown-zone]").forEach(function (el) {
      if (el.dataset.otherShown || el.dataset.shownZone === browserZone) return;
      el.dataset.otherShown = "1";
      el.title += " · Your zone (" + browserZone + "): " + formatIn(new Date(el.getAttribute("datetime")), browserZone);
    });
    root.querySelectorAll("[data-browser-time]").forEach(function (el) {
      if (el.dataset.shownZone === browserZone) return;
      el.textContent = "Your zone (" + browserZone + "): " + formatIn(new Date(el.dataset.browserTime), browserZone);
      el.hidden = false;
    });
    root.querySelectorAll("input[data-browser-zone]").forEach(function (input) { input.value = browserZone; });
    root.querySelectorAll("[data-browser-zone-name]").forEach(function (el) { el.textContent = " (" + browserZone + ")"; });
    root.querySelectorAll("[data-zone-switch]").forEach(function (box) {
      const zones = (box.dataset.courseZones || "").split(" ").filter(Boolean);
      const offer = box.querySelector("[data-zone-offer]");
      const same = zones.length && zones.every(function (zone) { return zone === browserZone; });
      if (offer && same) {
        offer.hidden = true;  // the browser is in the course's zone already: nothing to switch to
        const hint = box.querySelector("[data-browser-zone-hint]");
        if (hint) hint.textContent = "the same as your browser's";
      }
      const moved = box.querySelector("[data-zone-moved]");
      if (moved && moved.dataset.zoneMoved !== browserZone) moved.hidden = false;
    });
  }

  // A link to one row of My deadlines (#a-PS1, from home's Due next) opens that row.
  function openLinkedRow() {
    const id = window.location.hash.slice(1);
    const row = id ? document.getElementById(id) : null;
    const details = row && row.matches("li.deadline") ? row.querySelector("details") : null;
    if (details) details.open = true;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-errors]").forEach(function (box) { box.hidden = true; box.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showErrors(form, body) {
    const box = form.querySelector("[data-errors]");
    const ok = form.querySelector("[data-success]");
    if (ok) ok.hidden = true;  // an earlier success ("Saved") is not the answer to this attempt
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    const fields = (body && body.fields) || {};
    Object.keys(fields).forEach(function (name) {
      const input = form.querySelector("[name='" + name + "']");
      if (input) input.setAttribute("aria-invalid", "true");
    });
    if (box) {
      box.hidden = false;
      box.textContent = (body && body.detail) || "Something went wrong. Reload the page and try again.";
      const names = Object.keys(fields);
      if (names.length > 1) {
        const list = document.createElement("ul");
        names.forEach(function (name) {
          const item = document.createElement("li");
          item.textContent = name + ": " + fields[name];
          list.appendChild(item);
        });
        box.appendChild(list);
      }
      box.focus();
    }
  }

  // The existing accounts' values an import kept instead of the file's, listed in the success box.
  function showKept(box, summary, notes) {
    box.textContent = summary + " The file differs from these existing accounts; the portal kept the existing values (reload to see the roster):";
    const list = document.createElement("ul");
    notes.forEach(function (note) {
      const item = document.createElement("li");
      item.textContent = note.message + " (file: " + note.in_file + ", kept: " + (note.kept || "blank") + ")";
      list.appendChild(item);
    });
    box.appendChild(list);
    box.focus();
  }

  // Forms marked data-json send JSON; "scores.12" becomes {"scores": {"12": ...}}; "sections[]" (checkboxes)
  // becomes a list; empty fields are left out, unless the field says data-empty="blank" (send "", to clear a
  // text) or data-empty="null" (send null, to clear a time). A hidden "false" before a checkbox of the same
  // name sends false when the box is unticked.
  function jsonBody(form) {
    const body = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (value === "") {
        const field = form.elements.namedItem(name);
        const empty = field && field.dataset ? field.dataset.empty : undefined;
        if (empty === "null") value = null;
        else if (empty !== "blank") return;
      }
      const isList = name.endsWith("[]");
      const path = (isList ? name.slice(0, -2) : name).split(".");
      let target = body;
      path.slice(0, -1).forEach(function (key) { target = target[key] = target[key] || {}; });
      const key = path[path.length - 1];
      if (isList) (target[key] = target[key] || []).push(value);
      else target[key] = value;
    });
    return JSON.stringify(body);
  }

  // An import job: a progress bar while it runs, then the counts (and kept values), or the row errors
  // with a link to download them as CSV.
  function followJob(form, job) {
    const ok = form.querySelector("[data-success]");
    form.querySelectorAll("[data-errors]").forEach(function (box) { box.hidden = true; });
    let bar = form.querySelector("progress[data-job-progress]");
    if (!bar) {
      bar = document.createElement("progress");
      bar.max = 100;
      bar.dataset.jobProgress = "";
      bar.setAttribute("aria-label", "Import progress");
      form.appendChild(bar);
    }
    function show(current) {
      bar.hidden = false;
      bar.value = current.progress;
      if (ok) {
        ok.hidden = false;
        ok.textContent = "Importing… " + current.progress + "%" +
          (current.rows_total ? " (" + current.rows_done + " of about " + current.rows_total + " rows)" : "");
      }
    }
    function finish(done) {
      bar.hidden = true;
      if (done.status === "failed") {
        if (ok) ok.hidden = true;
        showErrors(form, done.error || { detail: "The import failed. Nothing was imported." });
        const box = form.querySelector("[data-errors]");
        if (box && done.errors_csv_url) {
          const link = document.createElement("a");
          link.href = done.errors_csv_url;
          link.textContent = "Download the row errors (CSV)";
          link.dataset.jobErrorsCsv = "";
          const line = document.createElement("p");
          line.appendChild(link);
          box.appendChild(line);
        }
        return;
      }
      const result = done.result || {};
      const counts = [];
      if (result.rows !== undefined) counts.push(result.rows + " rows");
      if (result.created !== undefined) counts.push(result.created + " accounts created");
      if (result.updated !== undefined) counts.push(result.updated + " existing");
      if (result.scores_changed !== undefined) counts.push(result.scores_changed + " scores changed");
      if (result.qualified !== undefined) counts.push(result.qualified + " qualified");
      const summary = "Imported: " + counts.join(", ") + ".";
      const notes = Array.isArray(result.kept) ? result.kept : [];
      if (ok) {
        ok.hidden = false;
        ok.textContent = summary;
      }
      // Values the portal kept instead of the file's: listed, and the page waits for the reader.
      if (ok && notes.length) {
        showKept(ok, summary, notes);
        return;
      }
      if (form.dataset.reload !== "false") window.setTimeout(function () { window.location.reload(); }, 1200);
    }
    async function poll(url) {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        const current = await response.json();
        if (current.status === "queued" || current.status === "running") {
          show(current);
          window.setTimeout(function () { poll(url); }, 500);
        } else {
          finish(current);
        }
      } catch (error) {
        window.setTimeout(function () { poll(url); }, 2000);  // the job goes on; look again
      }
    }
    show(job);
    if (job.status === "done" || job.status === "failed") finish(job);
    else poll(job.status_url);
  }

  // A form marked data-confirm="<what will be lost>" asks first, in a modal dialog: the message, Cancel
  // (focused first) and a button that names the action (data-confirm-action, else the submit button's
  // label). Escape or Cancel changes nothing; focus then returns to the button that asked. Without the
  // script the form is what it always was.
  let confirmDialog = null;
  let settleConfirm = null;  // answers the question being asked (one at a time)

  function answerConfirm(yes) {
    const settle = settleConfirm;
    settleConfirm = null;
    if (confirmDialog.open) confirmDialog.close();
    if (settle) settle(yes);
  }

  function buildConfirmDialog() {
    const dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-message");
    const article = document.createElement("article");
    const header = document.createElement("header");
    const title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    header.appendChild(title);
    const message = document.createElement("p");
    message.id = "confirm-dialog-message";
    const footer = document.createElement("footer");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    cancel.dataset.confirmCancel = "";
    cancel.addEventListener("click", function () { answerConfirm(false); });
    const ok = document.createElement("button");
    ok.type = "button";
    ok.dataset.confirmOk = "";
    ok.addEventListener("click", function () { answerConfirm(true); });
    footer.append(cancel, ok);
    article.append(header, message, footer);
    dialog.appendChild(article);
    // Escape. The answer is given at once, not on the later "close" event: a question asked right after
    // must not receive the previous one's close.
    dialog.addEventListener("cancel", function () { answerConfirm(false); });
    dialog.addEventListener("close", function () { if (!dialog.open) answerConfirm(false); });
    document.body.appendChild(dialog);
    return dialog;
  }

  function askToConfirm(form, opener) {
    if (settleConfirm) return Promise.resolve(false);  // a question is open already
    confirmDialog = confirmDialog || buildConfirmDialog();
    const dialog = confirmDialog;
    const label = opener ? (opener.getAttribute("aria-label") || opener.textContent.trim()) : "";
    const action = form.dataset.confirmAction || label || "Confirm";
    dialog.querySelector("#confirm-dialog-title").textContent = action + "?";
    dialog.querySelector("#confirm-dialog-message").textContent = form.dataset.confirm;
    dialog.querySelector("[data-confirm-ok]").textContent = action;
    return new Promise(function (resolve) {
      settleConfirm = function (yes) {
        if (opener) opener.focus();
        resolve(yes);
      };
      dialog.showModal();
      dialog.querySelector("[data-confirm-cancel]").focus();
    });
  }

  function wireForms(root) {
    root.querySelectorAll("form[data-api]").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        const opener = event.submitter || form.querySelector("[type=submit]");
        if (form.dataset.confirm && !(await askToConfirm(form, opener))) return;
        const button = form.querySelector("[type=submit]");
        if (button) button.setAttribute("aria-busy", "true");
        try {
          const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
          if ("json" in form.dataset) headers["Content-Type"] = "application/json";
          const response = await fetch(form.dataset.api, {
            method: form.dataset.method || "POST",
            body: "json" in form.dataset ? jsonBody(form) : new FormData(form),
            headers: headers,
            credentials: "same-origin",
          });
          const body = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
          if (!response.ok) {
            showErrors(form, body);
            return;
          }
          // Imports answer 202 with a job: follow its progress, then show its counts or its row errors.
          if (response.status === 202 && body && body.status_url) {
            followJob(form, body);
            return;
          }
          clearErrors(form);  // an earlier attempt's error must not stay next to the success
          const ok = form.querySelector("[data-success]");
          if (ok) {
            ok.hidden = false;
            ok.textContent = form.dataset.successText || "Done.";
          }
          // A new secret (an API token) is shown once, to copy, and the page waits for the reader.
          const secret = form.dataset.reveal && body ? body[form.dataset.reveal] : null;
          if (ok && secret) {
            ok.textContent = "Copy this token now: it will not be shown again. ";
            const field = document.createElement("input");
            field.type = "text";
            field.readOnly = true;
            field.value = secret;
            field.setAttribute("aria-label", "Your new token");
            field.dataset.newToken = "";
            ok.appendChild(field);
            field.focus();
            field.select();
            return;
          }
          // An import that kept existing values says which, and waits for the reader instead of reloading.
          const notes = body && Array.isArray(body.kept) ? body.kept : [];
          if (ok && notes.length) {
            showKept(ok, "Imported.", notes);
            return;
          }
          // A form that made something with a page of its own goes there (data-follow names the field).
          const next = form.dataset.follow && body ? body[form.dataset.follow] : null;
          if (next) {
            window.setTimeout(function () { window.location.assign(next); }, 600);
            return;
          }
          if (form.dataset.reload !== "false") window.setTimeout(function () { window.location.reload(); }, 600);
        } catch (error) {
          showErrors(form, { detail: "The portal could not be reached. Check your connection and try again." });
        } finally {
          if (button) button.removeAttribute("aria-busy");
        }
      });
    });
  }

  // Grade exports: start the job, poll its progress into the bar, then offer the download.
  function wireExports(root) {
    const box = root.getElementById ? root.getElementById("export-status") : null;
    if (!box) return;
    const bar = box.querySelector("progress");
    const text = box.querySelector("[data-export-text]");
    const error = box.querySelector("[data-export-error]");
    const link = box.querySelector("[data-export-download]");

    function show(job) {
      bar.value = job.progress;
      text.textContent = job.status === "done"
        ? "Done: " + job.rows_total + " students."
        : "Exporting… " + job.progress + "% (" + job.rows_done + " of " + (job.rows_total || "?") + " students)";
      if (job.status === "done" && job.download_url) {
        link.href = job.download_url;
        link.hidden = false;
        link.focus();
      }
      if (job.status === "failed") {
        error.hidden = false;
        error.textContent = job.error || "The export failed. Start it again.";
      }
      if (job.status === "done" || job.status === "failed") addToHistory(job);
    }

    // The finished export joins "Recent exports" at once (the table said "No exports yet" until a reload).
    const history = root.querySelector("[data-export-history]");
    function addToHistory(job) {
      if (!history) return;
      const body = history.tBodies[0];
      body.querySelectorAll("[data-export-empty], [data-export-id='" + job.id + "']").forEach(function (row) { row.remove(); });
      const row = body.insertRow(0);
      row.dataset.exportId = job.id;
      const cells = ["When", "Format", "By", "Status", "File"].map(function (label) {
        const cell = row.insertCell();
        cell.dataset.label = label;
        return cell;
      });
      const when = document.createElement("time");
      when.setAttribute("datetime", job.created_at);
      when.textContent = formatIn(new Date(job.created_at), history.dataset.zone);
      cells[0].appendChild(when);
      cells[1].textContent = job.format_label;
      cells[2].textContent = job.requested_by;
      cells[3].textContent = job.status_label + (job.error ? ": " + job.error : "");
      if (job.download_url) {
        const a = document.createElement("a");
        a.href = job.download_url;
        a.textContent = "Download";
        cells[4].appendChild(a);
      } else {
        cells[4].textContent = "—";
      }
    }

    async function poll(url) {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const job = await response.json();
      show(job);
      if (job.status === "queued" || job.status === "running") window.setTimeout(function () { poll(url); }, 500);
    }

    root.querySelectorAll("form[data-export]").forEach(function (form) {
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        box.hidden = false;
        error.hidden = true;
        link.hidden = true;
        bar.value = 0;
        text.textContent = "Starting the export…";
        const response = await fetch(form.dataset.export, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
          credentials: "same-origin",
        });
        const job = await response.json();
        if (!response.ok) {
          error.hidden = false;
          error.textContent = job.detail || "The export could not start. Reload the page and try again.";
          return;
        }
        show(job);
        if (job.status !== "done" && job.status !== "failed") poll(job.status_url);
      });
    });
  }

  // A student picker (input[data-student-search] with a <datalist>): as the user types, the course's
  // students whose name, username or section match are offered; typing a username still works without it.
  function wireStudentPickers(root) {
    root.querySelectorAll("input[data-student-search]").forEach(function (input) {
      const list = document.getElementById(input.getAttribute("list"));
      const count = input.form ? input.form.querySelector("[data-student-matches]") : null;
      if (!list) return;
      let timer = null;
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        const q = input.value.trim();
        if (!q) return;
        timer = window.setTimeout(async function () {
          try {
            const url = input.dataset.studentSearch + "?page_size=20&q=" + encodeURIComponent(q);
            const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
            if (!response.ok || input.value.trim() !== q) return;  // a newer search is under way
            const body = await response.json();
            list.replaceChildren.apply(list, body.results.map(function (student) {
              const option = document.createElement("option");
              option.value = student.username;
              option.label = student.name + " · " + student.section + (student.status === "waitlisted" ? " (waitlisted)" : "");
              return option;
            }));
            if (count) {
              count.textContent = body.count === 0 ? "No student matches." :
                body.count + (body.count === 1 ? " student matches." : " students match.");
            }
          } catch (error) {
            // The picker only helps: the username typed is what the form sends.
          }
        }, 200);
      });
    });
  }

  // The UTC offset (minutes east) that `zone` has at the instant `ms`.
  function offsetMinutes(ms, zone) {
    const parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    }).formatToParts(new Date(ms)).forEach(function (part) { parts[part.type] = part.value; });
    const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
    return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
  }

  // A datetime-local value read in `zone`: the instant, the later one when the wall time is missing or
  // repeated (portal/zones.py's rule, which the API applies to the same value).
  function wallTimeToInstant(value, zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!m) return null;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    const day = 86400000;
    const candidates = [offsetMinutes(wall - day, zone), offsetMinutes(wall + day, zone)].map(function (offset) {
      const at = wall - offset * 60000;
      return { at: at, valid: offsetMinutes(at, zone) === offset };
    });
    const valid = candidates.filter(function (c) { return c.valid; });
    const at = Math.max.apply(null, (valid.length ? valid : candidates).map(function (c) { return c.at; }));
    const repeated = valid.length === 2 && valid[0].at !== valid[1].at;
    return { at: at, skipped: valid.length === 0, repeated: repeated };
  }

  function offsetText(minutes) {
    const a = Math.abs(minutes);
    const pad = function (n) { return String(n).padStart(2, "0"); };
    return "UTC" + (minutes < 0 ? "-" : "+") + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
  }

  // A time typed in the course's zone (input[data-course-zone]): its label shows the offset of the date
  // entered (it changes with daylight saving), and a note how the portal reads it.
  function wireZoneInputs(root) {
    root.querySelectorAll("input[data-course-zone]").forEach(function (input) {
      const zone = input.dataset.courseZone;
      const form = input.form;
      const label = form ? form.querySelector("[data-zone-label]") : null;
      const reading = form ? form.querySelector("[data-zone-reading]") : null;
      function show() {
        const read = wallTimeToInstant(input.value, zone);
        if (read === null) {
          if (reading) reading.textContent = "";
          return;
        }
        const offset = offsetText(offsetMinutes(read.at, zone));
        if (label) label.textContent = "(" + zone + ", " + offset + ")";
        if (!reading) return;
        const local = new Intl.DateTimeFormat("en-US", {
          weekday: "short", month: "short", day: "numeric", year: "numeric",
          hour: "numeric", minute: "2-digit", timeZone: zone,
        }).format(new Date(read.at));
        reading.textContent = "Read as " + local + " (" + offset + ")" +
          (read.skipped ? ": the time entered does not exist that day (the clocks skip that hour), so it is read as this later time." :
            read.repeated ? ": the time entered happens twice that day (the clocks go back), so it is read as the later of the two." : ".");
      }
      input.addEventListener("input", show);
      input.addEventListener("change", show);
      show();
    });
  }

  // The regrade queue ([data-queue]) from the keyboard: j/k move between requests, Enter or o opens one,
  // c claims it, a/r pick accept/reject in its answer and move there (nothing is sent before Resolve).
  // The keys are off while the user types in a field; Escape leaves the field for its request. The
  // request in hand is kept in the address (#request-<id>), so it has the focus again after a reload.
  function wireQueueKeys(root) {
    const queue = root.querySelector("[data-queue]");
    if (!queue) return;
    const status = root.querySelector("[data-queue-status]");
    let current = null;

    function items() { return Array.prototype.slice.call(queue.querySelectorAll("[data-request]")); }

    function say(text) { if (status) status.textContent = text; }

    function select(item) {
      if (current && current !== item) current.classList.remove("current");
      current = item;
      item.classList.add("current");
      if (window.location.hash !== "#" + item.id) window.history.replaceState(null, "", "#" + item.id);
    }

    function focusItem(item) {
      select(item);
      item.querySelector("summary").focus();
      say("");
    }

    function typing(el) {
      if (!el || !el.tagName) return false;
      if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
      return el.tagName === "INPUT" && !/^(radio|checkbox|button|submit|reset)$/.test(el.type);
    }

    queue.addEventListener("focusin", function (event) {
      const item = event.target.closest("[data-request]");
      if (item) select(item);
    });

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector("dialog[open]")) return;
      const target = event.target;
      if (typing(target)) {
        const item = target.closest ? target.closest("[data-request]") : null;
        if (event.key === "Escape" && item) {
          event.preventDefault();
          focusItem(item);
        }
        return;
      }
      const list = items();
      if (!list.length) return;
      const item = (target.closest && target.closest("[data-request]")) || current;
      const key = event.key;
      if (key === "j" || key === "k") {
        const at = item ? list.indexOf(item) : -1;
        const next = key === "j" ? Math.min(at + 1, list.length - 1) : Math.max(at - 1, 0);
        focusItem(list[next]);
      } else if (key === "o" || key === "c" || key === "a" || key === "r") {
        if (!item) {
          say("Choose a request first: press j.");
        } else if (key === "o") {
          const details = item.querySelector("details");
          details.open = !details.open;
          focusItem(item);
        } else if (key === "c") {
          const form = item.querySelector("form[data-claim]");
          if (!form) {
            say("This request is not open: there is nothing to claim.");
          } else {
            item.querySelector("details").open = true;
            say("Claiming…");
            form.requestSubmit();
          }
        } else {
          const form = item.querySelector("form[data-resolve]");
          if (!form) {
            say("This request is answered already: there is nothing to accept or reject.");
          } else {
            item.querySelector("details").open = true;
            const decision = key === "a" ? "accepted" : "rejected";
            form.querySelector("input[name=decision][value=" + decision + "]").checked = true;
            const field = form.querySelector(key === "a" ? "[name=new_score]" : "[name=response]");
            field.focus();
            say(key === "a" ? "Accept: enter the new score and a response, then press Resolve." :
              "Reject: write the response, then press Resolve.");
          }
        }
      } else {
        return;
      }
      event.preventDefault();
    });

    // After a reload (a claim reloads the page) the request in hand has the focus again.
    const back = window.location.hash ? queue.querySelector(window.location.hash.replace(/[^#\w-]/g, "")) : null;
    if (back && back.matches("[data-request]")) focusItem(back);
  }

  // A table wider than the screen scrolls inside its box: that box is then a labelled region that takes
  // keyboard focus, so it can be scrolled with the arrow keys (WCAG 2.1.1).
  function labelScrollers(root) {
    root.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        const caption = box.querySelector("caption");
        const section = box.closest("section, article");
        const heading = section ? section.querySelector("h1, h2, h3") : document.querySelector("h1");
        const name = (caption || heading || { textContent: "Table" }).textContent.trim();
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name + " (scrolls sideways)");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  // On a phone the main navigation folds behind a Menu button (without script it simply wraps).
  function wireNavMenu(root) {
    const nav = root.querySelector("nav[data-nav]");
    const button = nav ? nav.querySelector(".nav-toggle button") : null;
    if (!button) return;
    nav.classList.add("nav-folding");
    button.hidden = false;
    button.addEventListener("click", function () {
      const open = !nav.classList.contains("open");
      nav.classList.toggle("open", open);
      button.setAttribute("aria-expanded", String(open));
      if (open) {
        const first = nav.querySelector("#nav-links a, #nav-links summary, #nav-links button");
        if (first) first.focus();
      }
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        nav.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  // A new assignment's rules follow its category until the instructor sets them: PS0/HW0 (preparation)
  // have no grace period and no collaboration (the course's rules; the API defaults them the same way).
  function wireCategoryDefaults(root) {
    root.querySelectorAll("select[data-category-defaults]").forEach(function (select) {
      const form = select.form;
      if (!form) return;
      const boxes = form.querySelectorAll("input[type=checkbox][data-off-for-preparation]");
      boxes.forEach(function (box) {
        box.addEventListener("change", function () { box.dataset.touched = "true"; });
      });
      select.addEventListener("change", function () {
        boxes.forEach(function (box) {
          if (!box.dataset.touched) box.checked = select.value !== "preparation";
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireNavMenu(document);
    wireCategoryDefaults(document);
    labelScrollers(document);
    window.addEventListener("resize", function () { labelScrollers(document); });
    wireExports(document);
    showLocalTimes(document);
    showOtherZone(document);
    openLinkedRow();
    tickCountdowns();
    window.setInterval(tickCountdowns, 30000);
    wireForms(document);
    wireQueueKeys(document);
    wireStudentPickers(document);
    wireZoneInputs(document);
  });
})();

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

  function tickCountdowns() {
    const now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      const target = new Date(el.dataset.countdown).getTime();
      const left = target - now;
      el.textContent = left > 0 ? describe(left) + " left" : "passed " + describe(left) + " ago";
    });
  }

  function showErrors(form, body) {
    const box = form.querySelector("[data-errors]");
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

  // Forms marked data-json send JSON; "scores.12" becomes {"scores": {"12": ...}}; empty fields are left out.
  function jsonBody(form) {
    const body = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || value === "") return;
      const path = name.split(".");
      let target = body;
      path.slice(0, -1).forEach(function (key) { target = target[key] = target[key] || {}; });
      target[path[path.length - 1]] = value;
    });
    return JSON.stringify(body);
  }

  function wireForms(root) {
    root.querySelectorAll("form[data-api]").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
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
            ok.textContent = "Imported. The file differs from these existing accounts; the portal kept the existing values (reload to see the roster):";
            const list = document.createElement("ul");
            notes.forEach(function (note) {
              const item = document.createElement("li");
              item.textContent = note.message + " (file: " + note.in_file + ", kept: " + (note.kept || "blank") + ")";
              list.appendChild(item);
            });
            ok.appendChild(list);
            ok.focus();
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

  document.addEventListener("DOMContentLoaded", function () {
    wireExports(document);
    showLocalTimes(document);
    tickCountdowns();
    window.setInterval(tickCountdowns, 30000);
    wireForms(document);
  });
})();

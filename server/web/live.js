// The clocks at the top of the activation page: an exercise's own time,
// moving at the exercise's speed from the moment the page was given, and
// the incident clock, T+, the time since activation in the activation's
// own time, stopped once it has ended. T+ runs on from what the server
// said, so a wrong clock on this computer does not make it wrong. Each is
// found again at every tick: a live refresh puts in new ones (after a
// change of speed, say), which run from their own moment.
(function () {
  if (!document.getElementById("live-clocks")) return;
  function tick() {
    var clock = document.getElementById("exercise-clock");
    if (clock) {
      var d = clock.dataset;
      clock.textContent = clockIn(d.zone, new Date(Number(d.scenario) + (Date.now() - Number(d.wall)) * Number(d.speed)));
    }
    var since = document.getElementById("incident-clock");
    if (since && since.dataset.running && window.performance) {
      if (!since.dataset.from) since.dataset.from = String(performance.now());
      since.textContent = tPlus(Number(since.dataset.elapsed) + (performance.now() - Number(since.dataset.from)) * Number(since.dataset.speed));
    }
  }
  tick();
  setInterval(tick, 250);
})();

// The activation page kept live. The event stream says something happened;
// the page then fetches its sections again (at most once every half
// second, and once more after the last event) and puts each in place.
// A section being worked in (something in it has the focus, or a field in
// it has something typed in it) is not replaced under the person's hands:
// it is marked as out of date and replaced when they leave it.
(function () {
  var note = document.getElementById("live-note");
  if (!note || !window.EventSource || !window.fetch) return;
  var activation = note.dataset.activation;
  var url = "/api/v1/events?activation=" + encodeURIComponent(activation);
  if (note.dataset.last) url += "&after=" + encodeURIComponent(note.dataset.last); // nothing between the page and the stream is lost
  var source = new EventSource(url);
  var timer = null, busy = false, again = false, last = 0, stopped = false;
  var fresh = {}; // what the server last gave for each section, to leave alone what has not changed

  function poke() {
    if (timer || stopped) return;
    timer = setTimeout(refresh, Math.max(0, last + 500 - Date.now()));
  }
  function refresh() {
    timer = null;
    if (busy) { again = true; return; }
    busy = true;
    last = Date.now();
    fetch("/ui/activations/" + encodeURIComponent(activation) + "/live", { credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        if (res.redirected) throw new Error("signed out"); // to the sign-in page
        if (!res.ok) throw new Error("status " + res.status);
        return res.text();
      })
      .then(apply)
      .catch(function (err) {
        if (String(err.message) === "signed out") {
          stopped = true;
          source.close();
          say("This page has stopped updating: you are signed out. Reload the page to sign in again.", true);
        } else {
          say("This page could not update just now; it will try again at the next change.", true);
        }
      })
      .then(function () {
        busy = false;
        if (again) { again = false; poke(); }
      });
  }
  function apply(html) {
    var doc = new DOMParser().parseFromString("<!DOCTYPE html><body>" + html, "text/html");
    doc.querySelectorAll("[data-live]").forEach(function (next) {
      var here = document.getElementById(next.id);
      if (!here) return;
      var key = same(next.innerHTML);
      if (fresh[next.id] === key) return;
      if (busyIn(here)) {
        here.classList.add("stale");
        here.dataset.waiting = "yes";
        pending[next.id] = next;
        return;
      }
      fresh[next.id] = key;
      put(here, next);
    });
    say("This page keeps itself up to date.", false);
  }
  var pending = {};
  function put(here, next) {
    var open = {};
    here.querySelectorAll("details[id]").forEach(function (d) { open[d.id] = d.open; });
    here.replaceChildren.apply(here, Array.prototype.map.call(next.childNodes, function (n) { return document.importNode(n, true); }));
    here.querySelectorAll("details[id]").forEach(function (d) { if (d.id in open) d.open = open[d.id]; });
    here.classList.remove("stale");
    delete here.dataset.waiting;
    delete pending[here.id];
  }
  // busyIn: someone is working in a section: something in it has the
  // focus (a field, or a link or button reached by keyboard, which a
  // redraw would throw back to the top of the page), or a field in it
  // holds what they typed.
  function busyIn(sec) {
    if (sec.contains(document.activeElement)) return true;
    return Array.prototype.some.call(sec.querySelectorAll("input:not([type=hidden]), textarea"), function (f) {
      return f.value !== f.defaultValue;
    });
  }
  document.addEventListener("focusout", function () {
    setTimeout(function () { // after focus has landed where it goes
      Object.keys(pending).forEach(function (id) {
        var here = document.getElementById(id);
        if (here && !busyIn(here)) {
          fresh[id] = same(pending[id].innerHTML);
          put(here, pending[id]);
        }
      });
    }, 0);
  });
  // same: a section's HTML without what changes at every drawing (a form's
  // one-time key), to tell whether anything in it has really changed.
  function same(html) {
    return html.replace(/name="idempotency_key" value="[^"]*"/g, "");
  }
  function say(text, problem) {
    if (note.textContent !== text) note.textContent = text;
    note.classList.toggle("error", problem);
  }
  source.onmessage = poke;
  ["activated", "step_fired", "message_drafted", "message_edited", "message_approved", "message_rejected", "message_dispatched",
   "message_sent", "message_partially_failed", "message_failed", "task_opened", "acknowledged", "task_done", "task_reassigned",
   "escalated", "escalation_exhausted", "decision_recorded", "stood_down", "halted", "inject_sent", "speed_changed",
   "message_withheld", "message_cancelled", "render_failed", "translations_withheld", "delivery_resumed", "delivery_undelivered",
   "message_redrafted", "on_duty", "not_reached", "sign_off_requested", "tension_recorded", "tension_raised",
   "rumour_logged", "rumour_assessed", "rumour_corrected"
  ].forEach(function (k) { source.addEventListener(k, poke); });
  // Once a minute too: what is overdue grows later without any event, and
  // a kind of event not named above is still shown within the minute.
  setInterval(poke, 60000);
})();

// tPlus writes a time since activation, in ms, as T+H:MM:SS, with the
// days before it when there are any.
function tPlus(ms) {
  var s = Math.max(0, Math.floor(ms / 1000));
  var days = Math.floor(s / 86400);
  s -= days * 86400;
  var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  return "T+" + (days ? days + (days === 1 ? " day " : " days ") : "") + h + ":" + two(m) + ":" + two(sec);
}

// clockIn writes a time as HH:MM:SS in a time zone (the browser's, if the
// zone is unknown to it).
function clockIn(zone, when) {
  var opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone }, opts)).format(when);
  } catch (e) {
    return new Intl.DateTimeFormat("en-GB", opts).format(when);
  }
}

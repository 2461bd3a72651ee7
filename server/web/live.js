// An exercise's own clock, running on its page: scenario time moves at the
// exercise's speed from the moment the page was given.
(function () {
  var clock = document.getElementById("exercise-clock");
  if (!clock) return;
  var scenario = Number(clock.dataset.scenario), wall = Number(clock.dataset.wall), speed = Number(clock.dataset.speed);
  function tick() {
    clock.textContent = clockIn(clock.dataset.zone, new Date(scenario + (Date.now() - wall) * speed));
  }
  setInterval(tick, speed > 1 ? 250 : 1000);
})();

// The activation page's timeline, kept live from the event stream.
(function () {
  var list = document.getElementById("timeline");
  if (!list || !window.EventSource) return;
  var url = "/api/v1/events?activation=" + encodeURIComponent(list.dataset.activation);
  var source = new EventSource(url);
  source.onmessage = null;
  source.addEventListener("error", function () {}); // the browser reconnects with Last-Event-ID
  function add(e) {
    var ev = JSON.parse(e.data);
    if (list.dataset.last && ev.id <= list.dataset.last) return;
    var li = document.createElement("li");
    li.dataset.kind = ev.kind;
    var at = document.createElement("span");
    at.className = "muted";
    at.textContent = clockIn(list.dataset.zone, new Date(ev.at)); // the server's zone, as the rows it drew
    li.appendChild(at);
    li.appendChild(document.createTextNode(" " + ev.kind + " " + (ev.step || "") + " — " + ev.detail));
    list.appendChild(li);
  }
  // An escalation that ran out is put at the top, where it cannot be missed:
  // nothing more will be sent about it.
  function exhausted(e) {
    var ev = JSON.parse(e.data);
    if (list.dataset.last && ev.id <= list.dataset.last) return;
    var box = document.getElementById("still-waiting");
    if (!box) {
      box = document.createElement("section");
      box.id = "still-waiting";
      box.className = "alert";
      box.setAttribute("role", "alert");
      var h = document.createElement("h2");
      h.textContent = "Still waiting after every reminder";
      var p = document.createElement("p");
      p.textContent = "crier has sent every reminder it may about these and will send no more. Chase them yourself.";
      box.appendChild(h);
      box.appendChild(p);
      box.appendChild(document.createElement("ul"));
      var main = document.getElementById("main");
      main.insertBefore(box, main.querySelector("h1").nextElementSibling.nextElementSibling);
    }
    var li = document.createElement("li");
    var strong = document.createElement("strong");
    // The event says "<reason>: no more notices; still waiting: <people>".
    var who = /still waiting: (.*)$/.exec(ev.detail);
    strong.textContent = who ? "Still waiting: " + who[1] + (ev.step ? " — " + ev.step : "") : ev.detail;
    li.appendChild(strong);
    li.appendChild(document.createTextNode(" (no more reminders will be sent; reload the page to see it in full)"));
    box.querySelector("ul").appendChild(li);
  }
  source.addEventListener("escalation_exhausted", exhausted);
  ["activated", "step_fired", "message_drafted", "message_edited", "message_redrafted", "message_approved", "message_rejected", "message_dispatched",
   "message_sent", "message_partially_failed", "message_failed", "task_opened", "acknowledged", "task_done", "task_reassigned",
   "escalated", "escalation_exhausted", "decision_recorded", "stood_down", "halted", "inject_sent", "speed_changed",
   "message_withheld", "message_cancelled", "render_failed", "translations_withheld", "delivery_resumed"].forEach(function (k) { source.addEventListener(k, add); });
})();

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

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
    at.textContent = new Date(ev.at).toTimeString().slice(0, 8);
    li.appendChild(at);
    li.appendChild(document.createTextNode(" " + ev.kind + " " + (ev.step || "") + " — " + ev.detail));
    list.appendChild(li);
  }
  ["activated", "step_fired", "message_drafted", "message_edited", "message_approved", "message_rejected", "message_dispatched",
   "message_sent", "message_partially_failed", "message_failed", "task_opened", "acknowledged", "task_done", "task_reassigned",
   "escalated", "decision_recorded", "stood_down", "halted", "inject_sent", "speed_changed"].forEach(function (k) { source.addEventListener(k, add); });
})();

/* OpenCMO first-party collector: cookieless page views with UTM parameters.
   <script src="https://opencmo.example/static/opencmo/collect.js" data-site="site_…" data-endpoint="https://opencmo.example/collect/" defer></script>
   Consent: call window.opencmo.consent(true) when the visitor agrees (a random visitor id is then kept in
   localStorage), consent(false) to withdraw (the id is erased). Without consent nothing is stored in the
   browser and the server keeps only a key that changes every day. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) return;
  var site = me.getAttribute("data-site"), endpoint = me.getAttribute("data-endpoint");
  if (!site || !endpoint) return;
  var KEY = "opencmo_vid";
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function visitor() {
    var s = store(); if (!s) return "";
    var id = s.getItem(KEY);
    if (!id) {
      var b = new Uint8Array(16); (window.crypto || window.msCrypto).getRandomValues(b);
      id = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
      s.setItem(KEY, id);
    }
    return id;
  }
  var consented = (function () { var s = store(); return !!(s && s.getItem(KEY)); })();
  function send(name) {
    var body = { k: site, u: location.href.slice(0, 2000), r: document.referrer.slice(0, 2000), c: consented, e: name || "page_view", t: document.title.slice(0, 300) };
    if (consented) body.v = visitor();
    var data = JSON.stringify(body);
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([data], { type: "text/plain" }))) return;
    try { fetch(endpoint, { method: "POST", body: data, mode: "cors", keepalive: true, credentials: "omit", headers: { "Content-Type": "text/plain" } }); } catch (e) { /* never break the page */ }
  }
  window.opencmo = {
    consent: function (yes) { consented = !!yes; var s = store(); if (!s) return; if (yes) visitor(); else s.removeItem(KEY); },
    track: function (name) { send(name); }
  };
  var last = "";
  function view() { if (location.href !== last) { last = location.href; send("page_view"); } }
  view();
  var push = history.pushState;
  history.pushState = function () { push.apply(this, arguments); setTimeout(view, 0); };
  window.addEventListener("popstate", view);
})();

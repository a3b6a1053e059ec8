// The posting page's rules, kept visible while the creator chooses. The server checks each one again, so the
// page also works without this script: here the Post button waits for a choice instead of a refusal.
(function () {
  "use strict";
  var PRIVATE_WHY = "Branded content visibility cannot be set to private.";
  var NEED_BRAND = "You need to indicate if your content promotes yourself, a third party, or both.";

  function setUp(form) {
    function one(selector) { return form.querySelector(selector); }
    var audiences = form.querySelectorAll('input[name="privacy_level"]');
    var priv = one('input[name="privacy_level"][value="SELF_ONLY"]');
    var privRow = one("[data-private]"), privWhy = one("[data-private-why]");
    var disclose = one('input[name="disclose"]'), own = one('input[name="brand_organic"]');
    var paid = one('input[name="brand_content"]'), brands = one("[data-brands]"), label = one("[data-label]");
    var plain = one('[data-consent="plain"]'), branded = one('[data-consent="branded"]');
    var button = one("[data-publish]"), why = one("[data-why]");
    var blocked = button.hasAttribute("data-blocked");  // the server refused it already (a video too long)

    function update() {
      var on = !!(disclose && disclose.checked);
      var isPaid = on && paid.checked, isOwn = on && own.checked;
      if (brands) brands.hidden = !on;
      if (priv) {  // branded content cannot be private: the option is greyed out and says why on hover
        if (isPaid && priv.checked) priv.checked = false;
        priv.disabled = isPaid;
        [priv, privRow, form.querySelector('label[for="' + priv.id + '"]')].forEach(function (el) {
          if (!el) return;
          if (isPaid) el.title = PRIVATE_WHY; else el.removeAttribute("title");
        });
        if (privWhy) privWhy.hidden = !isPaid;
      }
      if (label) {
        label.textContent = isPaid ? 'Your video will be labeled as "Paid partnership".'
          : isOwn ? 'Your video will be labeled as "Promotional content".' : on ? NEED_BRAND : "";
      }
      if (plain && branded) { plain.hidden = isPaid; branded.hidden = !isPaid; }
      if (blocked) return;
      // An inbox draft has no audience to choose here: the creator picks it in the TikTok app.
      var chosen = !audiences.length || Array.prototype.some.call(audiences, function (r) { return r.checked; });
      var reason = !chosen ? "Choose who can see this video to post it." : on && !isOwn && !isPaid ? NEED_BRAND : "";
      button.disabled = reason !== "";
      why.textContent = reason;
    }

    form.addEventListener("change", update);
    form.addEventListener("submit", function () {
      // One press, one post: the button stays pressed while the page goes to the server.
      window.setTimeout(function () { button.disabled = true; button.textContent = "Posting…"; }, 0);
    });
    update();
  }

  function follow(box) {
    var url = box.getAttribute("data-status-url");
    var heading = box.querySelector("[data-heading]"), text = box.querySelector("[data-text]");
    var detail = box.querySelector("[data-detail]"), working = box.querySelector("[data-working]");
    var retry = box.querySelector("[data-retry]");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s) {
            heading.textContent = s.heading;
            text.textContent = s.text;
            if (detail) { detail.textContent = s.detail || ""; detail.hidden = !s.detail; }
            box.className = "post-status " + s.status;
            if (s.final) {
              box.removeAttribute("data-live");
              if (working) working.hidden = true;
              if (retry) retry.hidden = s.status !== "failed";
              return;
            }
          }
          window.setTimeout(tick, 3000);
        })
        .catch(function () { window.setTimeout(tick, 10000); });
    }
    window.setTimeout(tick, 1500);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-post-form]"), setUp);
  Array.prototype.forEach.call(document.querySelectorAll("[data-status-url][data-live]"), follow);
})();

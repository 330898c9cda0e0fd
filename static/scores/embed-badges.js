/* Service badges for a storefront: no dependencies, no cookies.
 *
 *   <div id="service-badges"></div>
 *   <script src="https://PORTAL/embed/stores/STORE/badges.js" data-target="service-badges" data-lang="zh-hans" async></script>
 *
 * The script finds the store in its own address, asks the portal's public badge API (CORS open)
 * and renders each badge (icon, name; the description as a tooltip) into the target element.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var source = new URL(script.src);
  var match = source.pathname.match(/\/embed\/stores\/([^/]+)\/badges\.js$/);
  if (!match) { return; }
  var api = source.origin + "/api/v1/public/stores/" + match[1] + "/badges/";
  var lang = script.getAttribute("data-lang");
  if (lang) { api += "?lang=" + encodeURIComponent(lang); }
  var targetId = script.getAttribute("data-target");
  var target = targetId ? document.getElementById(targetId) : null;
  if (!target) {
    target = document.createElement("div");
    script.parentNode.insertBefore(target, script.nextSibling);
  }

  function render(badges) {
    var list = document.createElement("ul");
    list.className = "service-badges";
    list.setAttribute("data-service-badges", match[1]);
    list.style.cssText = "list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:8px;";
    badges.forEach(function (badge) {
      var item = document.createElement("li");
      item.className = "service-badge";
      item.setAttribute("data-code", badge.code);
      item.title = badge.description || "";
      item.style.cssText = "display:inline-flex;align-items:center;gap:6px;padding:4px 12px 4px 8px;" +
        "border:1px solid #d0d7de;border-radius:16px;background:#fff;font:14px/1.4 sans-serif;color:#1f2328;";
      var icon = document.createElement("img");
      icon.src = badge.icon_url;
      icon.alt = "";
      icon.width = 20;
      icon.height = 20;
      var name = document.createElement("span");
      name.textContent = badge.name;
      item.appendChild(icon);
      item.appendChild(name);
      list.appendChild(item);
    });
    target.textContent = "";
    target.appendChild(list);
  }

  fetch(api, { credentials: "omit" })
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(render)
    .catch(function () { /* the storefront stays as it was */ });
})();

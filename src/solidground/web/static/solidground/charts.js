/* Solidground charts: draws every Vega-Lite chart on the page, under a strict CSP.
 *
 * Markup (written by the server, no inline code):
 *   <div class="chart" data-spec="SPEC_ID"></div>          (or <figure class="chart" data-spec=...>)
 *   <script type="application/json" id="SPEC_ID">{...}</script>   (Django's json_script filter)
 * Needs, loaded before this file with plain <script src> tags:
 *   vega, vega-lite, vega-interpreter (the wrapped build in vendor/), vega-embed.
 *
 * CSP (script-src 'self'; style-src 'self'): the spec's expressions run in vega-interpreter
 * (ast: true), never through new Function; vega-embed and vega-tooltip are told not to insert
 * <style> elements (charts.css has the rules instead).
 *
 * Runs on DOMContentLoaded and after every htmx swap or history restore; each element is drawn
 * once. A click on a mark whose datum has a `url` opens that URL. If a chart cannot be drawn,
 * the element shows <p class="chart-error"> with the reason (prefixed by data-error-label when
 * given) and the server-written table next to it stays.
 */
(function () {
  "use strict";

  var SELECTOR = ".chart[data-spec]";
  // Elements already handed to vega-embed. A WeakMap, not a data attribute: htmx's history
  // restore brings back copies of drawn elements (with their dead SVG), and those must be drawn
  // again.
  var drawn = new WeakMap();

  function embedOptions() {
    var options = {
      ast: true,
      actions: false,
      renderer: "svg",
      defaultStyle: false,
      tooltip: { theme: "light", disableDefaultStyle: true },
    };
    // vega-embed falls back to its own bundled copy of the interpreter when ast is true and no
    // expr is given; the vendored one is preferred so that its version is ours to choose.
    if (window.vegaInterpreter && window.vegaInterpreter.expressionInterpreter) {
      options.expr = window.vegaInterpreter.expressionInterpreter;
    }
    return options;
  }

  function datumUrl(item) {
    var datum = item && item.datum;
    if (!datum) return null;
    var url = typeof datum.url === "string" ? datum.url : null;
    if (url === null && datum.datum && typeof datum.datum.url === "string") url = datum.datum.url;
    if (url === null) return null;
    var resolved;
    try {
      resolved = new URL(url, document.baseURI);
    } catch (error) {
      return null;
    }
    // Only web links: a spec must never be able to run javascript: or open data: URLs.
    return resolved.protocol === "http:" || resolved.protocol === "https:" ? resolved.href : null;
  }

  function onMarkClick(event, item) {
    var url = datumUrl(item);
    if (!url) return;
    if (event && (event.ctrlKey || event.metaKey || event.shiftKey)) {
      window.open(url, "_blank", "noopener");
    } else {
      window.location.assign(url);
    }
  }

  function showError(element, error) {
    var view = element.querySelector(":scope > .chart-view");
    if (view) view.remove();
    var message = element.querySelector(":scope > .chart-error");
    if (!message) {
      message = document.createElement("p");
      message.className = "chart-error";
      element.appendChild(message);
    }
    var label = element.getAttribute("data-error-label");
    var reason = error && error.message ? error.message : String(error);
    message.textContent = label ? label + " " + reason : reason;
    element.classList.add("chart-failed");
  }

  function readSpec(element) {
    var specId = element.getAttribute("data-spec");
    var source = specId ? document.getElementById(specId) : null;
    if (!source || source.tagName !== "SCRIPT") {
      throw new Error('No <script type="application/json" id="' + specId + '"> with the chart.');
    }
    return JSON.parse(source.textContent);
  }

  function draw(element) {
    if (drawn.has(element)) return;
    drawn.set(element, null);
    try {
      if (typeof window.vegaEmbed !== "function") {
        throw new Error("vega-embed is not loaded.");
      }
      var spec = readSpec(element);
      // Draw into a child of our own: vega-embed empties its container, and a figure may hold
      // a caption or the table. The picture goes first, after a leading caption.
      var view = element.querySelector(":scope > .chart-view");
      if (!view) {
        view = document.createElement("div");
        view.className = "chart-view";
        var first = element.firstElementChild;
        var before = first && first.tagName === "FIGCAPTION" ? first.nextSibling : element.firstChild;
        element.insertBefore(view, before);
      }
      var stale = element.querySelector(":scope > .chart-error");
      if (stale) stale.remove();
      element.classList.remove("chart-failed");
      window
        .vegaEmbed(view, spec, embedOptions())
        .then(function (result) {
          if (!element.isConnected) {
            // htmx swapped the chart out while it was being drawn.
            result.finalize();
            return;
          }
          drawn.set(element, result);
          result.view.addEventListener("click", onMarkClick);
        })
        .catch(function (error) {
          showError(element, error);
        });
    } catch (error) {
      showError(element, error);
    }
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches(SELECTOR)) draw(scope);
    scope.querySelectorAll(SELECTOR).forEach(draw);
  }

  // Stop the Vega view (timers, listeners, the tooltip handler) of a chart htmx removes.
  function release(element) {
    var result = drawn.get(element);
    if (result) result.finalize();
    drawn.delete(element);
  }

  function drawPage() {
    drawAll(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawPage);
  } else {
    drawPage();
  }
  // htmx:load fires for every piece of new content (and the body at start); afterSwap and
  // historyRestore are there for swaps whose new content htmx:load does not cover.
  document.addEventListener("htmx:load", function (event) {
    drawAll(event.detail && event.detail.elt);
  });
  document.addEventListener("htmx:afterSwap", drawPage);
  document.addEventListener("htmx:historyRestore", drawPage);
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var element = (event.detail && event.detail.elt) || event.target;
    if (element && drawn.has(element)) release(element);
  });
})();

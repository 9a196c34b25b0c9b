// In-page half of scripts/browser_check.py: waits for MathJax and measures what a
// person can see of a reveal.js slide or of a page. Defines window.__courseCheck.
//
// Every measurement works on "atoms": the line boxes of text, images, SVGs and
// MathJax formulas (a formula is one atom). For each atom it asks how many pixels
// can never be seen, whatever the reader scrolls:
//   * a scrolling ancestor (overflow auto/scroll) shows its content through its own
//     box, so the atom counts as its box in that direction;
//   * a clipping ancestor (overflow hidden/clip) hides what sticks out of its box;
//   * the slide (or the page) scrolls by at most its scroll range, through the part
//     of its box that lies in the window.
(function () {
  "use strict";

  var MATH_ROOT = ".MathJax, .MathJax_Display, .MathJax_CHTML, .MathJax_SVG, .MathJax_Preview, " +
                  ".MJXc-display, mjx-container";
  var SKIP_TAGS = {SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEMPLATE: 1, ASIDE: 0};
  var PROSE_SKIP = "pre, code, kbd, samp, script, style, textarea, " + MATH_ROOT;
  var RAW_TEX = /\$\$|\\(?:frac|sum|prod|int|partial|mathbf|mathrm|mathbb|begin|end|hat|left|right|cdot|times|sigma|delta|theta|alpha|lambda|nabla|sqrt|big|tanh|exp|log)\b|\$[^$\n]{0,80}[\\^_][^$\n]{0,80}\$/;
  var FROZEN_BAR = /(^|[\s:])0%\|| 0\/\d+ \[|^0it \[|\[00:00<\?, \?/m;
  var TOLERANCE = 2;  // px: sub-pixel rounding, borders

  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function frames() {
    return new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); });
  }

  // --- waiting ------------------------------------------------------------------------

  function mathjaxIdle(timeoutMs) {
    var start = Date.now();
    function poll() {
      var mj = window.MathJax;
      if (!mj || !mj.Hub) {
        return Date.now() - start > 3000 ? Promise.resolve("no MathJax")
                                         : wait(100).then(poll);
      }
      if (!mj.isReady) {
        return Date.now() - start > timeoutMs ? Promise.resolve("MathJax never ready")
                                              : wait(100).then(poll);
      }
      return new Promise(function (resolve) { mj.Hub.Queue(function () { resolve("done"); }); })
        .then(function () {
          var q = mj.Hub.queue;
          if (q && (q.pending || q.running) && Date.now() - start < timeoutMs) {
            return wait(50).then(poll);
          }
          return "done";
        });
    }
    return poll().then(function (state) { return frames().then(function () { return state; }); });
  }

  // MathJax typesets in several queues (a slide change re-renders its formulas in a queue
  // of its own), but every action posts "Begin Math" and "End Math" on the hub's signal.
  var mathInFlight = 0, hooked = false;
  function hookMath() {
    if (hooked || !window.MathJax || !MathJax.Hub || !MathJax.Hub.Register) return;
    hooked = true;
    MathJax.Hub.Register.MessageHook("Begin Math", function () { mathInFlight += 1; });
    MathJax.Hub.Register.MessageHook("End Math", function () {
      mathInFlight = Math.max(0, mathInFlight - 1);
    });
  }

  function hubBusy() {
    var q = window.MathJax && MathJax.Hub && MathJax.Hub.queue;
    return !!(q && (q.pending || q.running));
  }

  function settle(timeoutMs, el) {
    timeoutMs = timeoutMs || 30000;
    return mathjaxIdle(timeoutMs).then(function (state) {
      hookMath();
      return quiet(el || document.body, timeoutMs).then(function (quietState) {
        return /layout still changing/.test(quietState) ? state + ", layout still changing"
                                                       : state;
      });
    });
  }

  // --- waiting during the walk -------------------------------------------------------
  // After a slide change nothing is on a timer: wait for what is queued
  // (MathJax's queue, images, fonts), finish CSS transitions (a fragment fades in over
  // 0.2 s: its end state is what a person reads), and accept the layout once it has not
  // changed over two animation frames, with no formula being typeset.

  function finishAnimations() {
    if (!document.getAnimations) return;
    document.getAnimations().forEach(function (a) {
      try { a.finish(); } catch (e) { /* an endless animation cannot finish: left running */ }
    });
  }

  function mathQueued() {
    var mj = window.MathJax;
    if (!mj || !mj.Hub || !mj.isReady) return Promise.resolve();
    return new Promise(function (resolve) { mj.Hub.Queue(function () { resolve(); }); });
  }

  function imagesDecoded(el) {
    return Promise.all(Array.prototype.map.call(el.querySelectorAll("img"), function (img) {
      return img.complete || !img.decode ? null : img.decode().catch(function () {});
    }));
  }

  // the element's size, also as drawn (reveal.js zooms the slides), and the window's
  function layoutKey(el) {
    var r = el.getBoundingClientRect();
    return [el.scrollHeight, el.scrollWidth, el.clientHeight, el.clientWidth,
            Math.round(r.width), Math.round(r.height), window.innerWidth, window.innerHeight,
            mathInFlight].join();
  }

  function quiet(el, timeoutMs) {
    var start = Date.now();
    function loop() {
      return mathQueued().then(function () { return imagesDecoded(el); })
        .then(function () { return document.fonts ? document.fonts.ready : null; })
        .then(function () {
          finishAnimations();
          var before = layoutKey(el);
          return frames().then(function () {
            finishAnimations();
            if (layoutKey(el) === before && !mathInFlight && !hubBusy()) return true;
            return Date.now() - start > timeoutMs ? false : loop();
          });
        });
    }
    return loop().then(function (ok) {
      var state = window.MathJax && MathJax.Hub ? "done" : "no MathJax";
      return ok ? state : state + ", layout still changing";
    });
  }

  // Called before the window is resized (DevTools' device metrics): resized() then waits
  // for the window's resize event, which reveal.js and the course template handle first
  // (reveal.js re-scales the slides, the template re-fits the code), then until the page
  // is quiet, at the top of the current slide or page.
  var resizeSeen = null;
  function expectResize() {
    resizeSeen = new Promise(function (resolve) {
      window.addEventListener("resize", function () { resolve(true); }, {once: true});
    });
  }

  function resized(width, height, timeoutMs) {
    var start = Date.now();
    var timeout = new Promise(function (resolve) { setTimeout(resolve, timeoutMs, false); });
    return Promise.race([resizeSeen || Promise.resolve(true), timeout]).then(function (seen) {
      resizeSeen = null;
      if (!seen || window.innerWidth !== width || window.innerHeight !== height) {
        return "window not resized to " + width + "x" + height + " (it is " +
               window.innerWidth + "x" + window.innerHeight + ")";
      }
      var slide = window.Reveal && Reveal.getCurrentSlide && Reveal.getCurrentSlide();
      if (slide) slide.scrollTop = 0; else window.scrollTo(0, 0);
      return quiet(slide || document.body, Math.max(1000, timeoutMs - (Date.now() - start)));
    });
  }

  // --- geometry -----------------------------------------------------------------------

  function isScroll(value) { return value === "auto" || value === "scroll" || value === "overlay"; }
  function isClip(value) { return value === "hidden" || value === "clip"; }

  function rectOf(r) { return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }

  function windowRect(container) {
    var w = {top: 0, left: 0, bottom: window.innerHeight, right: window.innerWidth};
    if (container) {
      var c = container.getBoundingClientRect();
      w = {top: Math.max(w.top, c.top), left: Math.max(w.left, c.left),
           bottom: Math.min(w.bottom, c.bottom), right: Math.min(w.right, c.right)};
    }
    return w;
  }

  function cellOf(node) {
    var el = node.nodeType === 1 ? node : node.parentElement;
    var cell = el && el.closest('[id^="cell-id="]');
    return cell ? cell.id.slice("cell-id=".length) : "";
  }

  function snippet(node) {
    var text = (node.nodeType === 3 ? node.textContent : (node.getAttribute && (
      node.getAttribute("alt") || node.tagName.toLowerCase()))) || "";
    text = text.replace(/\s+/g, " ").trim();
    return text.length > 70 ? text.slice(0, 67) + "..." : text;
  }

  function hiddenByStyle(el) {
    var cs = getComputedStyle(el);
    return cs.display === "none" || cs.visibility === "hidden";
  }

  // The atoms below root: [{node, rects}] for text lines, images and formulas.
  function atoms(root) {
    var found = [];
    function walk(el) {
      if (SKIP_TAGS[el.tagName] === 1) return;
      if (el.matches("aside.notes, .MJX_Assistive_MathML")) return;
      if (hiddenByStyle(el)) return;
      if (el.matches(MATH_ROOT) || /^(IMG|SVG|CANVAS|VIDEO|IFRAME|INPUT|svg)$/.test(el.tagName)) {
        var r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) found.push({node: el, rects: [rectOf(r)]});
        return;
      }
      for (var child = el.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 1) {
          walk(child);
        } else if (child.nodeType === 3 && child.textContent.trim()) {
          var range = document.createRange();
          range.selectNodeContents(child);
          var rects = Array.prototype.filter.call(range.getClientRects(), function (q) {
            return q.width > 0.5 && q.height > 0.5;
          }).map(rectOf);
          if (rects.length) found.push({node: child, rects: rects});
        }
      }
    }
    walk(root);
    return found;
  }

  // How an ancestor between the atom and `top` limits it: scroll boxes replace the
  // rect by their box (per axis), clip boxes cut it and count what is cut.
  // `boxes` caches each ancestor's overflow and box for one measurement (the layout does
  // not change meanwhile; atoms share most of their ancestors).
  function boxOf(el, boxes) {
    var known = boxes.get(el);
    if (!known) {
      var style = getComputedStyle(el);
      known = {overflowX: style.overflowX, overflowY: style.overflowY, box: null};
      if (known.overflowX !== "visible" || known.overflowY !== "visible") {
        known.box = el.getBoundingClientRect();
      }
      boxes.set(el, known);
    }
    return known;
  }

  function throughAncestors(node, rect, top, boxes) {
    var r = {top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right};
    var cut = {top: 0, bottom: 0, left: 0, right: 0};
    var el = node.nodeType === 1 ? node.parentElement : node.parentElement;
    for (; el && el !== top; el = el.parentElement) {
      var cs = boxOf(el, boxes);
      if (!cs.box) continue;
      var box = cs.box;
      if (isScroll(cs.overflowY)) { r.top = Math.max(box.top, Math.min(r.top, box.bottom));
                                    r.bottom = Math.min(box.bottom, Math.max(r.bottom, box.top)); }
      else if (isClip(cs.overflowY)) {
        cut.top = Math.max(cut.top, box.top - r.top);
        cut.bottom = Math.max(cut.bottom, r.bottom - box.bottom);
        r.top = Math.max(r.top, box.top); r.bottom = Math.min(r.bottom, box.bottom);
      }
      if (isScroll(cs.overflowX)) { r.left = Math.max(box.left, Math.min(r.left, box.right));
                                    r.right = Math.min(box.right, Math.max(r.right, box.left)); }
      else if (isClip(cs.overflowX)) {
        cut.left = Math.max(cut.left, box.left - r.left);
        cut.right = Math.max(cut.right, r.right - box.right);
        r.left = Math.max(r.left, box.left); r.right = Math.min(r.right, box.right);
      }
    }
    return {rect: r, cut: cut};
  }

  // Pixels of each atom that no scrolling brings into view, worst first.
  // Window pixels per CSS pixel of el: reveal.js zooms the slides (CSS zoom), and
  // scrollHeight and clientHeight are unzoomed while client rects are not.
  function zoomOf(el) {
    return el.offsetHeight ? el.getBoundingClientRect().height / el.offsetHeight : 1;
  }

  // How far the scroller scrolls, in window pixels: [down, sideways].
  function scrollRange(scroller) {
    if (!scroller) return [0, 0];
    var zoom = scroller === document.scrollingElement ? 1 : zoomOf(scroller);
    return [Math.max(0, scroller.scrollHeight - scroller.clientHeight) * zoom,
            Math.max(0, scroller.scrollWidth - scroller.clientWidth) * zoom];
  }

  function unreachable(root, scroller, win) {
    var ranges = scrollRange(scroller), range = ranges[0], rangeX = ranges[1];
    var problems = [], boxes = new Map();
    atoms(root).forEach(function (atom) {
      atom.rects.forEach(function (rect) {
        var through = throughAncestors(atom.node, rect, root, boxes);
        var r = through.rect, cut = through.cut;
        var below = Math.max(cut.bottom, r.bottom - range - win.bottom);
        var above = Math.max(cut.top, win.top - r.top);
        var right = Math.max(cut.right, r.right - rangeX - win.right);
        var left = Math.max(cut.left, win.left - r.left);
        var worst = Math.max(below, above, right, left);
        if (worst > TOLERANCE) {
          problems.push({cell: cellOf(atom.node), text: snippet(atom.node),
                         below: Math.round(below), above: Math.round(above),
                         right: Math.round(right), left: Math.round(left)});
        }
      });
    });
    // one entry per atom, the worst line of it
    var seen = {}, unique = [];
    problems.sort(function (a, b) {
      return Math.max(b.below, b.above, b.right, b.left) - Math.max(a.below, a.above, a.right, a.left);
    }).forEach(function (p) {
      var key = p.cell + "|" + p.text;
      if (!seen[key]) { seen[key] = 1; unique.push(p); }
    });
    return unique;
  }

  // --- the other checks ---------------------------------------------------------------

  // pre blocks (code and outputs) wider than their box: the right of their lines is cut
  // or needs sideways scrolling.
  function clippedCode(root) {
    var out = [];
    root.querySelectorAll("pre").forEach(function (pre) {
      if (pre.closest("aside.notes") || pre.closest("details:not([open])")) return;
      if (!pre.getClientRects().length) return;
      var extra = pre.scrollWidth - pre.clientWidth;
      if (extra > TOLERANCE) {
        var lines = pre.textContent.split("\n");
        var longest = lines.reduce(function (a, b) { return b.length > a.length ? b : a; }, "");
        var fontSize = parseFloat(getComputedStyle(pre).fontSize);
        out.push({cell: cellOf(pre), px: Math.round(extra), columns: longest.length,
                  font_px: Math.round(fontSize * 10) / 10,
                  kind: pre.closest(".jp-OutputArea") ? "output" : "code",
                  text: longest.trim().slice(0, 70)});
      }
    });
    return out;
  }

  // pre blocks with more rendered lines than text lines: a line wrapped (the old
  // nbconvert style wrapped outputs inside words; the course style wraps at spaces as a
  // last resort, after shrinking the font).
  function wrappedCode(root) {
    var out = [];
    root.querySelectorAll("pre").forEach(function (pre) {
      if (pre.closest("aside.notes") || !pre.getClientRects().length) return;
      var lines = pre.textContent.replace(/\n+$/, "").split("\n");
      var tops = [];
      var walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        var range = document.createRange();
        range.selectNodeContents(walker.currentNode);
        Array.prototype.forEach.call(range.getClientRects(), function (r) {
          if (r.width < 0.5 || r.height < 0.5) return;
          var top = Math.round(r.top);
          if (!tops.some(function (t) { return Math.abs(t - top) < 3; })) tops.push(top);
        });
      }
      if (tops.length > lines.length) {
        var longest = lines.reduce(function (a, b) { return b.length > a.length ? b : a; }, "");
        out.push({cell: cellOf(pre), lines: lines.length, rendered: tops.length,
                  columns: longest.length, kind: pre.closest(".jp-OutputArea") ? "output" : "code",
                  font_px: Math.round(parseFloat(getComputedStyle(pre).fontSize) * 10) / 10,
                  text: longest.trim().slice(0, 70)});
      }
    });
    return out;
  }

  function textNodes(root, skipSelector) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        var el = n.parentElement;
        if (!el || el.closest("aside.notes")) return NodeFilter.FILTER_REJECT;
        if (skipSelector && el.closest(skipSelector)) return NodeFilter.FILTER_REJECT;
        if (el.closest("script, style")) return NodeFilter.FILTER_REJECT;
        return n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
      }
    });
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  function rawTex(root) {
    return textNodes(root, PROSE_SKIP).filter(function (n) { return RAW_TEX.test(n.textContent); })
      .map(function (n) { return {cell: cellOf(n), text: snippet(n)}; });
  }

  function frozenBars(root) {
    return textNodes(root, "script, style").filter(function (n) {
      return FROZEN_BAR.test(n.textContent);
    }).map(function (n) {
      var line = n.textContent.split("\n").filter(function (l) { return FROZEN_BAR.test(l); })[0] || "";
      return {cell: cellOf(n), text: line.trim().slice(0, 70)};
    });
  }

  function mathErrors(root) {
    return Array.prototype.map.call(root.querySelectorAll(".MathJax_Error, .mjx-merror, merror"),
      function (el) { return {cell: cellOf(el), text: snippet(el)}; });
  }

  // Formulas MathJax broke into lines by itself (automatic line breaks: in a table cell
  // they broke y = 1/(1+e^{-x}) at every operator).
  function brokenMath(root) {
    return Array.prototype.filter.call(root.querySelectorAll(".MathJax_CHTML"), function (m) {
      return !m.closest("aside.notes") &&
        m.querySelector(".mjx-math > .mjx-mrow > .mjx-stack > .mjx-block + .mjx-block, " +
                        ".mjx-math > .mjx-stack > .mjx-block + .mjx-block");
    }).map(function (m) {
      var script = document.getElementById(m.id.replace(/-Frame$/, "")) || m.nextElementSibling;
      var tex = script && script.tagName === "SCRIPT" ? script.textContent : snippet(m);
      return {cell: cellOf(m), text: tex.replace(/\s+/g, " ").trim().slice(0, 70)};
    });
  }

  // Figures shown much smaller than their pixels: their text shrinks with them.
  function smallFigures(root) {
    var out = [];
    root.querySelectorAll("img").forEach(function (img) {
      if (img.closest("aside.notes") || !img.naturalWidth) return;
      var r = img.getBoundingClientRect();
      if (!r.width) return;
      var scale = r.width / img.naturalWidth;
      if (scale < 0.7) {
        out.push({cell: cellOf(img), scale: Math.round(scale * 100) / 100,
                  natural: img.naturalWidth + "x" + img.naturalHeight,
                  shown: Math.round(r.width) + "x" + Math.round(r.height)});
      }
    });
    return out;
  }

  function cellIds(root) {
    var ids = [], notes = [];
    root.querySelectorAll('[id^="cell-id="]').forEach(function (el) {
      (el.closest("aside.notes") ? notes : ids).push(el.id.slice("cell-id=".length));
    });
    return {cells: ids, notes: notes};
  }

  function title(root) {
    var h = root.querySelector("h1, h2, h3, h4");
    if (!h) return "";
    h = h.cloneNode(true);
    h.querySelectorAll("script, .MJX_Assistive_MathML, .MathJax_Preview, a.anchor-link")
      .forEach(function (el) { el.remove(); });
    return h.textContent.replace(/¶/g, "").replace(/\s+/g, " ").trim().slice(0, 80);
  }

  function scrollerOf(slide) {
    var cs = getComputedStyle(slide);
    return isScroll(cs.overflowY) && slide.scrollHeight > slide.clientHeight + 1 ? slide : null;
  }

  // --- slides -------------------------------------------------------------------------

  // nbconvert's decks load reveal.js through require.js: it is a module, not a global.
  function revealApi() {
    if (window.Reveal && window.Reveal.getSlides) return window.Reveal;
    var ctx = window.require && window.require.s && window.require.s.contexts._;
    if (!ctx) return null;
    var id = Object.keys(ctx.defined).filter(function (k) { return /reveal(\.min)?(\.js)?$/.test(k); })[0];
    var api = id && ctx.defined[id];
    if (api && api.getSlides) window.Reveal = api;
    return api && api.getSlides ? api : null;
  }

  function slideList() {
    return Reveal.getSlides().map(function (s) {
      var idx = Reveal.getIndices(s);
      var fragments = Array.prototype.map.call(s.querySelectorAll(".fragment"), function (f) {
        return parseInt(f.getAttribute("data-fragment-index") || "0", 10);
      });
      return {h: idx.h, v: idx.v || 0, last_fragment: fragments.length ? Math.max.apply(null, fragments) : -1};
    });
  }

  // Go to slide (h, v) with every fragment shown, wait for MathJax and the page's re-layout
  // (the course template typesets the slide again when it is shown, then re-fits it).
  function show(h, v, lastFragment) {
    Reveal.slide(h, v, lastFragment >= 0 ? lastFragment : undefined);
    var slide = Reveal.getCurrentSlide();
    slide.querySelectorAll(".fragment").forEach(function (f) { f.classList.add("visible"); });
    slide.scrollTop = 0;
    return quiet(slide, 30000);
  }

  // Before the walk: no slide transitions, and MathJax without its 50 ms pause between
  // typesetting steps (it lets a browser draw meanwhile; the result is the same).
  function prepareWalk() {
    hookMath();
    if (window.MathJax && MathJax.Hub) MathJax.Hub.processSectionDelay = 0;
    if (window.Reveal && Reveal.configure) {
      Reveal.configure({transition: "none", backgroundTransition: "none"});
    }
  }

  function measureSlide() {
    var slide = Reveal.getCurrentSlide();
    var reveal = document.querySelector(".reveal");
    var scroller = scrollerOf(slide);
    var win = windowRect(reveal);
    if (scroller) {
      var box = scroller.getBoundingClientRect();
      win = {top: Math.max(win.top, box.top), bottom: Math.min(win.bottom, box.bottom),
             left: win.left, right: win.right};
    }
    var ids = cellIds(slide);
    var idx = Reveal.getIndices(slide);
    return {
      h: idx.h, v: idx.v || 0, title: title(slide), cells: ids.cells, notes_cells: ids.notes,
      scroll_px: Math.round(scrollRange(scroller)[0]),
      content_px: Math.round(slide.scrollHeight * zoomOf(slide)),
      unreachable: unreachable(slide, scroller, win),
      clipped_code: clippedCode(slide),
      wrapped_code: wrappedCode(slide),
      raw_tex: rawTex(slide),
      frozen_progress: frozenBars(slide),
      math_errors: mathErrors(slide),
      broken_math: brokenMath(slide),
      small_figures: smallFigures(slide),
      scale: Reveal.getScale ? Math.round(Reveal.getScale() * 1000) / 1000 : null
    };
  }

  function scrollSlideToEnd() {
    var slide = Reveal.getCurrentSlide();
    slide.scrollTop = slide.scrollHeight;
    return frames();
  }


  // --- pages --------------------------------------------------------------------------

  function measurePage() {
    var root = document.body;
    var scroller = document.scrollingElement;
    var win = windowRect(null);
    var ids = cellIds(root);
    window.scrollTo(0, 0);
    return {
      title: document.title, cells: ids.cells.length,
      scroll_px: Math.round(scroller.scrollHeight - window.innerHeight),
      sideways_px: Math.max(0, Math.round(scroller.scrollWidth - window.innerWidth)),
      unreachable: unreachable(root, scroller, win),
      clipped_code: clippedCode(root),
      wrapped_code: wrappedCode(root),
      raw_tex: rawTex(root),
      frozen_progress: frozenBars(root),
      math_errors: mathErrors(root),
      broken_math: brokenMath(root),
      small_figures: []
    };
  }

  window.__courseCheck = {
    settle: settle, slideList: slideList, show: show, measureSlide: measureSlide,
    scrollSlideToEnd: scrollSlideToEnd, measurePage: measurePage, prepareWalk: prepareWalk,
    expectResize: expectResize, resized: resized,
    isDeck: function () { return !!(window.Reveal && document.querySelector(".reveal .slides")); },
    revealReady: function () { var r = revealApi(); return !!(r && r.isReady()); }
  };
})();

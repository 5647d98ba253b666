// The share page's only script. It renders the thread embedded in the page
// (#cw-thread, public fields only) with the front-end bundle's `renderShared(el, thread)`
// export when the bundle has one; otherwise it shows the transcript as plain text
// (textContent only: nothing from the thread is ever parsed as HTML here).
const root = document.getElementById("cw-shared");
const thread = JSON.parse(document.getElementById("cw-thread").textContent);

function plain(el, data) {
  const list = document.createElement("div");
  list.className = "cw-shared-fallback";
  for (const step of data.steps || []) {
    const text = step.output || step.input || "";
    if (!text) continue;
    const p = document.createElement("p");
    const who = document.createElement("b");
    who.textContent = step.name || step.type || "";
    p.append(who, ": ", text);
    list.append(p);
  }
  el.querySelector(".cw-shared-fallback")?.remove();
  el.append(list);
  el.dataset.rendered = "plain";
}

/** What the bundle needs besides the thread: where sandboxed frames load their document
 * (this page's CSP forbids inline frames) and plotly.js when a figure is shown. */
async function sharedOptions(bundle) {
  const options = { frameDocumentUrl: new URL("frame.html", bundle).href, libraries: {} };
  if ((thread.elements || []).some((e) => e && e.type === "plotly")) {
    try {
      const reply = await fetch(new URL("lib/plotly.js", bundle));
      if (reply.ok) options.libraries.plotly = await reply.arrayBuffer();
    } catch (err) {
      console.warn("chatwidget: plotly.js is not available; figures show as placeholders", err);
    }
  }
  return options;
}

try {
  const bundle = new URL(root.dataset.bundle, document.baseURI);
  const mod = await import(bundle.href);
  const render = mod.renderShared || (mod.default && mod.default.renderShared);
  if (typeof render === "function") {
    const options = await sharedOptions(bundle);
    root.replaceChildren();
    await render(root, thread, options);
    root.dataset.rendered = "bundle";
  } else {
    plain(root, thread);
  }
} catch (err) {
  console.error("chatwidget: could not render the shared thread", err);
  plain(root, thread);
}

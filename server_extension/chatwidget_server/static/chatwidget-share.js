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

try {
  const mod = await import(root.dataset.bundle);
  const render = mod.renderShared || (mod.default && mod.default.renderShared);
  if (typeof render === "function") {
    root.replaceChildren();
    await render(root, thread);
    root.dataset.rendered = "bundle";
  } else {
    plain(root, thread);
  }
} catch (err) {
  console.error("chatwidget: could not render the shared thread", err);
  plain(root, thread);
}

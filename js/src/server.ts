// Where the Jupyter server is: its base URL from the page's config, else the document.

/** The server's base URL: JupyterLab's page config, else the document's base. */
export function serverBase(): string {
  try {
    const node = document.getElementById("jupyter-config-data");
    const config = node?.textContent ? (JSON.parse(node.textContent) as { baseUrl?: unknown }) : null;
    if (config && typeof config.baseUrl === "string") return new URL(config.baseUrl, window.location.origin).href;
  } catch {
    /* fall through */
  }
  return document.baseURI;
}

import { describe, expect, it } from "vitest";
import { appLabel } from "../src/views/threads";

describe("a thread row names its app", () => {
  it("drops the folders of a default name, keeps the notebook and the title", () => {
    expect(appLabel("~/work/reports/q3.ipynb: Writer")).toBe("q3.ipynb: Writer");
    expect(appLabel("/srv/app.py: Bot")).toBe("app.py: Bot");
    expect(appLabel("C:\\Users\\ann\\nb.ipynb: Helper")).toBe("nb.ipynb: Helper");
  });

  it("keeps a slash in the title, and any other name whole", () => {
    expect(appLabel("~/a/b.ipynb: Q/A bot")).toBe("b.ipynb: Q/A bot");
    expect(appLabel("support-desk")).toBe("support-desk");
    expect(appLabel("team/a chat")).toBe("team/a chat");
  });
});

// The project's companions (faces and personalities) and the stock catalog every project may use.
import { useState } from "preact/hooks";
import type { PageProps } from "../../routes";
import { PageHeader } from "../../shell/page";
import { PagedList } from "../../shell/paged_list";
import { Link } from "../../shell/router";
import { useScope } from "../../shell/scope";
import { useApi } from "../../shell/session";
import { companionName, statusWords, type Companion } from "./types";
import "./companions.css";

type Tab = "own" | "stock";

export function CompanionsPage({ params }: PageProps) {
  const api = useApi();
  const scope = useScope();
  const base = `/orgs/${params.orgId}/projects/${params.projectId}/companions`;
  const [tab, setTab] = useState<Tab>("own");
  const [search, setSearch] = useState("");
  const writer = scope.can("manageResources");
  const path = tab === "own" ? "/public/companions" : "/public/companions/napster-stock";
  const filtered = search.trim() ? `${path}?search=${encodeURIComponent(search.trim())}` : path;
  return (
    <>
      <PageHeader
        title="Companions"
        intro="A companion is an agent's face and personality: an avatar image (16:9) and the description its system prompt starts from."
        actions={writer && <Link to={`${base}/new`} class="button" data-testid="new-companion">New companion</Link>}
      />
      <section class="card">
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === "own"} onClick={() => setTab("own")} data-testid="tab-own">
            This project's
          </button>
          <button type="button" role="tab" aria-selected={tab === "stock"} onClick={() => setTab("stock")} data-testid="tab-stock">
            Stock catalog
          </button>
        </div>
        <label for="companion-search">Search</label>
        <input id="companion-search" type="text" value={search} placeholder="Name or description"
               onInput={(e) => setSearch(e.currentTarget.value)} data-testid="companion-search" />
        <PagedList<Companion>
          testId={tab === "own" ? "companions" : "stock-companions"}
          pageSize={10}
          resetKey={`${tab}|${search}`}
          load={(index, size) => api.page<Companion>(filtered, index, size, params.projectId)}
          rowKey={(companion) => companion.id}
          empty={tab === "own"
            ? <p>No companions of this project yet{writer ? ": create one, or use a stock companion." : "."}</p>
            : <p>No stock companion matches.</p>}
          columns={[
            { label: "", className: "thumb", cell: (c) => c.previewUrl
                ? <img src={c.previewUrl} alt="" width={96} height={54} style="object-fit:cover;border-radius:4px" />
                : <span class="muted">no image</span> },
            { label: "Name", cell: (c) => <Link to={`${base}/${c.id}`} data-testid="companion-link">{companionName(c)}</Link> },
            { label: "Personality", cell: (c) => <span class="hint">{c.description.slice(0, 120)}{c.description.length > 120 ? "…" : ""}</span> },
            { label: "Status", cell: (c) => <span data-testid="companion-status" data-status={c.status}>{statusWords(c)}</span> },
          ]}
        />
      </section>
    </>
  );
}

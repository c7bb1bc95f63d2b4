// What an agent can be assembled from, in one load: the companions (the project's and the stock
// ones), the key's voices, the functions, knowledge collections and FAQ collections of the project.
import { everything, type Api } from "../../shell/api";
import type { Named, Voice } from "./types";

export interface Choices {
  companions: Named[];
  voices: Voice[];
  functions: Named[];
  knowledgeBases: Named[];
  faqCollections: Named[];
}

interface CompanionLike { id: string; firstName: string | null; lastName: string | null; status: string; isStock: boolean }

export async function loadChoices(api: Api, projectId: string): Promise<Choices> {
  const [own, stock, voices, functions, knowledgeBases, faqCollections] = await Promise.all([
    everything<CompanionLike>(api, "/public/companions", projectId),
    everything<CompanionLike>(api, "/public/companions/napster-stock", projectId),
    everything<Voice>(api, "/public/voices", projectId),
    everything<{ id: string; data: { name: string }; flow: string }>(api, "/public/functions", projectId),
    everything<{ id: string; name: string }>(api, "/public/knowledge-bases", projectId),
    everything<{ id: string; name: string; items: unknown[] }>(api, "/public/faqs", projectId),
  ]);
  const companion = (c: CompanionLike): Named => ({
    id: c.id,
    label: [c.firstName, c.lastName].filter(Boolean).join(" ") || c.id,
    note: c.isStock ? "stock" : c.status === "readyToUse" ? undefined : "pending: no avatar yet",
  });
  return {
    companions: [...own.map(companion), ...stock.map(companion)],
    voices,
    functions: functions.map((fn) => ({ id: fn.id, label: fn.data.name, note: fn.flow })),
    knowledgeBases: knowledgeBases.map((kb) => ({ id: kb.id, label: kb.name })),
    faqCollections: faqCollections.map((faq) => ({ id: faq.id, label: faq.name, note: `${faq.items.length} questions` })),
  };
}

// An integrator's small script, written against the types openapi-typescript generates from the served OpenAPI
// document (leadstore.d.ts, made next to it), type-checked with tsc --strict, then run against the API: the
// types must both catch mistakes and describe what the API really sends.
// tests/integration/test_generated_clients.py runs it: node check.js <base url> <admin API key>.
import type { components, operations } from "./leadstore";

type LeadInput = components["schemas"]["LeadInput"];
type LeadPatch = components["schemas"]["LeadPatch"];
type Lead = operations["createLead"]["responses"][201]["content"]["application/json"];
type LeadPage = operations["listLeads"]["responses"][200]["content"]["application/json"];
type ListQuery = NonNullable<operations["listLeads"]["parameters"]["query"]>;
type Problem = operations["getLead"]["responses"][404]["content"]["application/problem+json"];
type EventPage = operations["listEvents"]["responses"][200]["content"]["application/json"];

// The types are precise, not `any`: tsc fails if any line below is accepted.
// @ts-expect-error score is a number
export const badScore: LeadInput = { score: "high" };
// @ts-expect-error a lead has no member of that name
export const badField: LeadInput = { frist_name: "Ada" };
// @ts-expect-error sort is one of the documented orders
export const badSort: ListQuery["sort"] = "name";
// @ts-expect-error a problem's status is a number
export const badProblem: Problem["status"] = "404";

declare const process: { argv: string[]; exitCode?: number }; // Node's, without @types/node

interface Answer<T> {
  status: number;
  body: T;
  position: string | null; // Leadstore-Position, of writes
}

async function call<T>(base: string, key: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const position = response.headers.get("leadstore-position");
  return { status: response.status, body: (await response.json()) as T, position };
}

function expect(condition: boolean, what: string): void {
  if (!condition) {
    throw new Error(`check failed: ${what}`);
  }
}

async function main(base: string, key: string): Promise<void> {
  const company = `co_ts_${Date.now()}`;
  const ids: string[] = [];
  for (const name of ["Ada", "Grace", "Edsger"]) {
    const input: LeadInput = { first_name: name, company_id: company, score: 10 };
    const created = await call<Lead>(base, key, "POST", "/v1/leads", input);
    expect(created.status === 201 && created.body.first_name === name, `create ${name}: ${created.status}`);
    ids.push(created.body.id);
  }
  const patch: LeadPatch = { score: 80 };
  const updated = await call<Lead>(base, key, "PATCH", `/v1/leads/${ids[0]}`, patch);
  expect(updated.status === 200 && updated.body.score === 80 && updated.body.version === 2, "update");

  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ company_id: company, sort: "created_at", limit: "2" });
    query.set("min_position", updated.position ?? ""); // read our own writes
    if (cursor !== null) {
      query.set("cursor", cursor);
    }
    const page: Answer<LeadPage> = await call<LeadPage>(base, key, "GET", `/v1/leads?${query}`);
    expect(page.status === 200, `list: ${page.status}`);
    seen.push(...page.body.data.map((lead) => lead.id));
    cursor = page.body.next_cursor ?? null;
  } while (cursor !== null);
  expect(JSON.stringify(seen) === JSON.stringify(ids), `the walk saw ${seen.length} of ${ids.length}`);

  const converted = await call<Lead>(base, key, "POST", `/v1/leads/${ids[1]}/convert`, { customer_id: "cus_1" });
  expect(converted.status === 200 && converted.body.is_converted === true, "convert");

  const missing = await call<Problem>(base, key, "GET", "/v1/leads/00000000-0000-7000-8000-000000000000");
  expect(missing.status === 404 && missing.body.code === "not_found", "a problem document");

  const feed = await call<EventPage>(base, key, "GET", "/v1/events?limit=1000");
  const types = feed.body.data.filter((event) => event.lead_id === ids[1]).map((event) => event.type);
  expect(JSON.stringify(types) === JSON.stringify(["LeadCreated", "LeadConverted"]), `feed: ${types}`);
  console.log(`ok: ${ids.length} leads, ${seen.length} listed, ${feed.body.data.length} events`);
}

const [base, key] = process.argv.slice(2);
main(base, key).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

// The chart's README, generated from values.yaml's `# --` comments (the helm-docs
// convention): one row per documented key. A key whose comment has a `-- ` line is
// documented as a whole, children included; a key without one is a section and its
// children are documented one by one; a value reached without any is undocumented.
//   node test/chart/values-docs.ts          rewrites charts/tollgate/README.md
// values-docs.test.ts fails when the README is stale or a value is undocumented.
import { readFileSync, writeFileSync } from "node:fs";
import { isMap, parseDocument, type YAMLMap } from "yaml";
import { CHART_DIR } from "./render.ts";

export const README_PATH = `${CHART_DIR}/README.md`;

export interface ValueDoc {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

/** The `-- ` part of a comment: from its first `-- ` line on, each line's marker removed. */
function docComment(comment: string | null | undefined): string | undefined {
  const lines = (comment ?? "").split("\n").map((line) => line.trim());
  const start = lines.findIndex((line) => line.startsWith("-- "));
  if (start < 0) return undefined;
  return lines
    .slice(start)
    .map((line) => line.replace(/^-- /, ""))
    .join(" ")
    .trim();
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value === null) return "null";
  return typeof value === "object" ? "object" : typeof value;
}

/** Every documented value, in file order, and the keys of those without a `# --` comment. */
export function valueDocs(valuesYaml: string): { docs: ValueDoc[]; undocumented: string[] } {
  const docs: ValueDoc[] = [];
  const undocumented: string[] = [];
  const walk = (map: YAMLMap, prefix: string) => {
    map.items.forEach((pair, index) => {
      const key = `${prefix}${String((pair.key as { value: unknown }).value)}`;
      const comment = (pair.key as { commentBefore?: string }).commentBefore ?? (index === 0 ? map.commentBefore : "");
      const description = docComment(comment);
      const value = pair.value;
      if (description !== undefined) {
        const plain = (value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
        docs.push({ key, type: typeOf(plain), default: plain, description });
      } else if (isMap(value) && value.items.length > 0 && !value.flow) walk(value, `${key}.`);
      else undocumented.push(key);
    });
  };
  const contents = parseDocument(valuesYaml).contents;
  if (isMap(contents)) walk(contents, "");
  return { docs, undocumented };
}

const cell = (text: string) => text.replaceAll("|", "\\|");

export function renderReadme(valuesYaml: string, chartYaml: string): string {
  const chart = parseDocument(chartYaml).toJS() as { name: string; description: string; kubeVersion: string };
  const rows = valueDocs(valuesYaml).docs.map(
    (doc) => `| \`${doc.key}\` | ${doc.type} | \`${cell(JSON.stringify(doc.default))}\` | ${cell(doc.description)} |`,
  );
  return `<!-- Generated from values.yaml by test/chart/values-docs.ts: edit the comments there and run it. -->
# ${chart.name}

${chart.description}

Kubernetes ${chart.kubeVersion.replace(/-0$/, "")}. The repository's README explains what Tollgate does, how to
install the chart and how to upgrade it; \`values.schema.json\` checks every value below.

\`\`\`sh
helm install tollgate charts/tollgate --namespace tollgate-system --create-namespace
\`\`\`

## Values

| Key | Type | Default | Description |
| --- | --- | --- | --- |
${rows.join("\n")}
`;
}

export function currentReadme(): string {
  return renderReadme(
    readFileSync(`${CHART_DIR}/values.yaml`, "utf8"),
    readFileSync(`${CHART_DIR}/Chart.yaml`, "utf8"),
  );
}

if (import.meta.main) {
  const { undocumented } = valueDocs(readFileSync(`${CHART_DIR}/values.yaml`, "utf8"));
  if (undocumented.length > 0) {
    console.error(`values without a "# --" comment: ${undocumented.join(", ")}`);
    process.exitCode = 1;
  }
  writeFileSync(README_PATH, currentReadme());
  console.log(`wrote ${README_PATH}`);
}

// igfeed.d.ts against the JSON Schemas (compare.mjs), then the compiler itself: the example
// page script and every feed document and feed definition in docs/ must type-check under
// `strict`. Each check is also shown failing on a broken copy, so it cannot pass vacuously.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

import { ROOTS, compare } from "./compare.mjs";

const typesDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(typesDir, "..");
const dtsPath = join(typesDir, "igfeed.d.ts");
const dts = readFileSync(dtsPath, "utf8");
const schemas = ROOTS.map((root) => ({
  ...root,
  schema: JSON.parse(readFileSync(join(repo, root.schemaFile), "utf8")),
}));

// --- igfeed.d.ts ↔ schema/*.schema.json -----------------------------------------------------

test("igfeed.d.ts says what the JSON Schemas say", () => {
  const problems = compare(dts, schemas);
  assert.deepEqual(problems, [], `igfeed.d.ts and the schemas differ:\n- ${problems.join("\n- ")}`);
});

/** `dts` with `from` replaced by `to` (which must occur exactly once). */
function mutate(from, to) {
  const at = dts.indexOf(from);
  assert.ok(at >= 0 && dts.indexOf(from, at + 1) < 0, `the mutation's text must occur once in igfeed.d.ts: ${from}`);
  return dts.slice(0, at) + to + dts.slice(at + from.length);
}

const mutations = [
  ["a renamed property", "  username: string;", "  user_name: string;", /Profile\.username: in the schema .* but not in igfeed\.d\.ts/],
  ["the renamed property's other half", "  username: string;", "  user_name: string;", /Profile\.user_name: in igfeed\.d\.ts but not in the schema/],
  ["a required property made optional", "  next: string | null;", "  next?: string | null;", /Feed\.next: required in the schema/],
  ["an optional property made required", "  max_posts?: number;", "  max_posts: number;", /FeedDefinition\.max_posts: optional in the schema/],
  ["a null dropped", "  caption: string | null;", "  caption: string;", /Post\.caption .*the schema allows null, the type does not/],
  ["a null added", "  profile_url: string;", "  profile_url: string | null;", /Profile\.profile_url .*the type allows null, the schema does not/],
  ["integer as string", "  followers_count: number | null;", "  followers_count: string | null;", /Profile\.followers_count .*the schema allows a number/],
  ["an enum value lost", 'export type PostType = "image" | "video" | "carousel" | "reel";', 'export type PostType = "image" | "video" | "carousel";', /Post\.type .*the schema allows the values "carousel" \| "image" \| "reel" \| "video"/],
  ["an enum widened to string", '  type: "image/avif";', "  type: string;", /ImageSource\.type .*the type allows a string/],
  ["an array's items", "  sizes: MediaSize[];", "  sizes: ImageSource[];", /MediaItem\.sizes\[\] .*the schema refers to MediaSize/],
  ["a $ref to another interface", "  display: Display;", "  display: FeedDefinitionDisplay;", /Feed\.display .*the schema refers to Display/],
  ["a map's values", "  links?: Record<string, string>;", "  links?: Record<string, number>;", /FeedDefinition\.links\{\} .*the schema allows a string/],
  ["an inline object's property", "  secret?: string;", "  secret: string;", /FeedHook\.secret: optional in the schema/],
  ["a oneOf member lost", "  columns?: number | string | ColumnsByWidth;", "  columns?: number | ColumnsByWidth;", /FeedDefinitionDisplay\.columns .*the schema allows a string/],
  ["a doc comment changed", "/** Number of followers. */", "/** Followers. */", /Profile\.followers_count: the doc comment differs/],
  ["a default changed", '/** @default "grid" */', '/** @default "carousel" */', /FeedDefinitionDisplay\.layout: @default "carousel" in igfeed\.d\.ts, "grid" in the schema/],
  ["an index signature", "export interface MediaSize {\n", "export interface MediaSize {\n  [key: string]: unknown;\n", /MediaSize .*an index signature/],
  ["a stray type", "export type Theme =", "export type Unused = string;\nexport type Theme =", /Unused is declared in igfeed\.d\.ts but no schema uses it/],
  ["an unexported type", "export interface Profile {", "interface Profile {", /Profile is not exported/],
];

for (const [what, from, to, expected] of mutations) {
  test(`the comparison catches ${what}`, () => {
    const problems = compare(mutate(from, to), schemas);
    assert.ok(
      problems.some((p) => expected.test(p)),
      `expected a problem matching ${expected}, got:\n- ${problems.join("\n- ") || "(none)"}`,
    );
  });
}

test("the comparison catches a property the schema gains", () => {
  const grown = structuredClone(schemas);
  grown[0].schema.$defs.Post.properties.location = { description: "Where.", type: ["string", "null"] };
  grown[0].schema.$defs.Post.required.push("location");
  const problems = compare(dts, grown);
  assert.ok(problems.some((p) => /^Post\.location: in the schema/.test(p)), problems.join("\n"));
});

// --- the compiler: example.ts and the docs' examples ------------------------------------------

/** Diagnostics of a strict program over tsconfig.json's files plus `extra` (path → text). */
function typeCheck(extra = new Map()) {
  const configPath = join(typesDir, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  assert.equal(config.error, undefined, "tsconfig.json is readable");
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, typesDir);
  assert.deepEqual(parsed.errors, []);
  assert.equal(parsed.options.strict, true, "tsconfig.json keeps strict on");
  const host = ts.createCompilerHost(parsed.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => extra.has(f) || fileExists.call(host, f);
  host.readFile = (f) => extra.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) =>
    extra.has(f) ? ts.createSourceFile(f, extra.get(f), lang, true) : getSourceFile.call(host, f, lang, ...rest);
  const program = ts.createProgram([...parsed.fileNames, ...extra.keys()], parsed.options, host);
  return ts.getPreEmitDiagnostics(program);
}

function format(diagnostic, where = (file, line) => `${file}:${line}`) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  if (!diagnostic.file) return message;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${where(diagnostic.file.fileName, line + 1)}: ${message}`;
}

/** The ```lang blocks of a Markdown file, with the line each starts on. */
function codeBlocks(markdownPath, lang) {
  const lines = readFileSync(join(repo, markdownPath), "utf8").split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```" + lang) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== "```") end++;
    blocks.push({ markdownPath, line: start + 1, text: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

/** Each docs example as a .ts file asserting its type: path → { text, block }. */
function docsExamples() {
  const examples = [];
  const sources = [
    ["docs/feed-json.md", "profile", "Feed"],
    ["docs/feed-definitions.md", "name", "FeedDefinition"],
  ];
  for (const [markdownPath, key, type] of sources) {
    let typed = 0;
    for (const block of codeBlocks(markdownPath, "json")) {
      const value = JSON.parse(block.text);
      if (Object.keys(value).join() === "error") continue; // an error body, not a document
      assert.ok(key in value, `${markdownPath}:${block.line}: a JSON example that is neither an error nor a ${type}: teach types.test.mjs what it is`);
      typed++;
      examples.push({ block, type });
    }
    assert.ok(typed > 0, `${markdownPath} has no ${type} example left to check`);
  }
  return examples;
}

/**
 * The examples as virtual files: each docs example beside example.ts, its JSON from line 2
 * on; each README snippet verbatim beside igfeed.d.ts, as its "./igfeed.js" import expects.
 */
function asFiles(examples, snippets = []) {
  const files = new Map();
  const origin = new Map();
  examples.forEach(({ block, type }, i) => {
    const path = join(typesDir, "test", `docs-example-${i}.ts`);
    files.set(path, `import type { ${type} } from "../igfeed.js";\nexport const example: ${type} = ${block.text};\n`);
    origin.set(path, { block, header: 1 });
  });
  snippets.forEach((block, i) => {
    const path = join(typesDir, `readme-snippet-${i}.ts`);
    files.set(path, `${block.text}\nexport {};\n`);
    origin.set(path, { block, header: 0 });
  });
  const where = (file, line) => {
    const known = origin.get(file);
    return known
      ? `${known.block.markdownPath}:${known.block.line + line - 1 - known.header}`
      : `${relative(repo, file)}:${line}`;
  };
  return { files, where };
}

test("example.ts, every example in docs/ and the README's snippets type-check under strict", () => {
  const snippets = codeBlocks("README.md", "ts");
  assert.ok(snippets.length > 0, "README.md has a TypeScript snippet");
  const { files, where } = asFiles(docsExamples(), snippets);
  const diagnostics = typeCheck(files).map((d) => format(d, where));
  assert.deepEqual(diagnostics, [], `type errors:\n${diagnostics.join("\n")}`);
});

test("the type check fails on a docs example that breaks the type", () => {
  const examples = docsExamples();
  const feed = examples.find((e) => e.type === "Feed");
  const cases = [
    ['"stale": false,', '"stale": "no",', /Type 'string' is not assignable to type 'boolean'/],
    ['"stale": false,', '"stale": false, "fresh": true,', /'"fresh"' does not exist in type 'Feed'/],
    ['"type": "carousel",', '"type": "story",', /"story"' is not assignable to type 'PostType'/],
    ['"pinned": true,', "", /Property 'pinned' is missing/],
  ];
  for (const [from, to, expected] of cases) {
    assert.ok(feed.block.text.includes(from), `the feed example in docs has ${from}`);
    const broken = { ...feed, block: { ...feed.block, text: feed.block.text.replace(from, to) } };
    const { files, where } = asFiles([broken]);
    const diagnostics = typeCheck(files).map((d) => format(d, where));
    assert.ok(
      diagnostics.some((d) => expected.test(d) && d.startsWith("docs/feed-json.md:")),
      `expected an error matching ${expected}, got:\n${diagnostics.join("\n") || "(none)"}`,
    );
  }
});

test("package.json points TypeScript at igfeed.d.ts", () => {
  const pkg = JSON.parse(readFileSync(join(typesDir, "package.json"), "utf8"));
  assert.equal(pkg.types, "igfeed.d.ts");
  assert.ok(existsSync(join(typesDir, pkg.types)));
  assert.ok(pkg.files.includes(pkg.types));
});

// Compares igfeed.d.ts with the JSON Schemas, recursively, through TypeScript's parser.
//
// Both sides become the same small type language (string, number, boolean, null, literal,
// array of T, record of T, object, union), then are compared member by member:
//
//   schema                                   TypeScript
//   "string"                                 string
//   "integer", "number"                      number
//   "boolean", "null"                        boolean, null
//   "type": [A, B], oneOf, anyOf             A | B
//   enum, const                              a union of literals ("grid" | "carousel")
//   "array" + items                          T[] or Array<T>
//   "$ref": "#/$defs/X"                      the interface named X
//   "object" + properties                    an interface (any name when the schema's object
//                                            is inline): the same property names, required
//                                            ones plain and the others `?`, no index signature
//   "object" + additionalProperties: S       Record<string, T> or { [key: string]: T }
//   "object" alone (values left open)        Record<string, T> for any T
//
// and the doc comment of each interface and property must be the schema's description
// (whitespace aside), with `@default` equal to the schema's default when it has one. Every
// type the file declares must be exported and reached from a schema. Problems are returned
// as messages naming the TypeScript property and the schema's JSON pointer.

import ts from "typescript";

/** The schemas and the interface each root maps to. */
export const ROOTS = [
  { schemaFile: "schema/feed.schema.json", root: "Feed" },
  { schemaFile: "schema/feed-definition.schema.json", root: "FeedDefinition" },
];

/**
 * Every mismatch between the declarations in `dtsText` and the schemas, as messages; [] when
 * they agree. `schemas` holds { schemaFile, root, schema } like ROOTS plus the parsed schema.
 */
export function compare(dtsText, schemas) {
  const source = ts.createSourceFile("igfeed.d.ts", dtsText, ts.ScriptTarget.Latest, true);
  const checker = new Checker(source);
  for (const { schemaFile, root, schema } of schemas) {
    checker.compareRoot(schemaFile, schema, root);
  }
  checker.checkAllReached();
  return checker.problems;
}

class Checker {
  constructor(source) {
    this.problems = [];
    this.declarations = new Map();
    this.reached = new Set();
    this.compared = new Set();
    for (const statement of source.statements) {
      if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
        const name = statement.name.text;
        if (this.declarations.has(name)) this.problem(`${name} is declared twice`);
        this.declarations.set(name, statement);
        const exported = statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        if (!exported) this.problem(`${name} is not exported`);
      } else if (!ts.isEmptyStatement(statement)) {
        this.problem(`unexpected statement in igfeed.d.ts: ${statement.getText().slice(0, 60)}`);
      }
    }
  }

  problem(message) {
    this.problems.push(message);
  }

  compareRoot(schemaFile, schema, rootName) {
    const declaration = this.declarations.get(rootName);
    if (!declaration || !ts.isInterfaceDeclaration(declaration)) {
      this.problem(`${rootName}: no interface for ${schemaFile}`);
      return;
    }
    const context = { schemaFile, schema };
    this.reached.add(rootName);
    this.compareDocs(declaration, schema, rootName, `${schemaFile}#`);
    this.compareObject(context, schema, "#", declaration, rootName);
    for (const name of Object.keys(schema.$defs ?? {})) {
      if (!this.compared.has(`${schemaFile}#/$defs/${name}`)) {
        this.problem(`${schemaFile}#/$defs/${name} is not reached from ${rootName}`);
      }
    }
  }

  checkAllReached() {
    for (const name of this.declarations.keys()) {
      if (!this.reached.has(name)) {
        this.problem(`${name} is declared in igfeed.d.ts but no schema uses it`);
      }
    }
  }

  // --- the schema side ---------------------------------------------------------------------

  /** A schema as a list of union members (flattened). */
  fromSchema(context, node, pointer) {
    if (node === true || node === undefined) return [{ kind: "any" }];
    if (node.$ref !== undefined) {
      const match = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(node.$ref);
      if (!match) throw new Error(`${pointer}: unsupported $ref ${node.$ref}`);
      const name = match[1];
      const target = context.schema.$defs?.[name];
      if (!target) throw new Error(`${pointer}: $ref to a missing definition ${node.$ref}`);
      if (target.properties === undefined) {
        // A named enum or the like: compared where it is used, like an inline schema.
        this.compared.add(`${context.schemaFile}#/$defs/${name}`);
        return this.fromSchema(context, target, `#/$defs/${name}`);
      }
      return [{ kind: "object", node: target, pointer: `#/$defs/${name}`, ref: name }];
    }
    if (node.const !== undefined) return [literal(node.const)];
    if (node.enum !== undefined) return node.enum.map(literal);
    const alternatives = node.oneOf ?? node.anyOf;
    if (alternatives !== undefined) {
      return alternatives.flatMap((alt, i) =>
        this.fromSchema(
          context,
          { ...node, oneOf: undefined, anyOf: undefined, ...alt },
          `${pointer}/${node.oneOf ? "oneOf" : "anyOf"}/${i}`,
        ),
      );
    }
    const types = node.type === undefined ? [] : [].concat(node.type);
    if (types.length === 0) throw new Error(`${pointer}: no type, enum, const, oneOf or $ref`);
    return types.map((type) => {
      switch (type) {
        case "string":
        case "boolean":
        case "null":
          return { kind: type };
        case "integer":
        case "number":
          return { kind: "number" };
        case "array":
          return { kind: "array", items: node.items, pointer: `${pointer}/items` };
        case "object":
          if (node.properties !== undefined) return { kind: "object", node, pointer };
          if (node.additionalProperties === false) {
            throw new Error(`${pointer}: an object with no properties at all`);
          }
          return {
            kind: "record",
            values: node.additionalProperties,
            pointer: `${pointer}/additionalProperties`,
          };
        default:
          throw new Error(`${pointer}: unsupported type ${type}`);
      }
    });
  }

  // --- the TypeScript side -----------------------------------------------------------------

  /** A type node as a list of union members (flattened, aliases resolved). */
  fromTs(node, seen = new Set()) {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return [{ kind: "string" }];
      case ts.SyntaxKind.NumberKeyword:
        return [{ kind: "number" }];
      case ts.SyntaxKind.BooleanKeyword:
        return [{ kind: "boolean" }];
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return [{ kind: "any" }];
      case ts.SyntaxKind.ParenthesizedType:
        return this.fromTs(node.type, seen);
      case ts.SyntaxKind.UnionType:
        return node.types.flatMap((t) => this.fromTs(t, seen));
      case ts.SyntaxKind.ArrayType:
        return [{ kind: "array", items: node.elementType }];
      case ts.SyntaxKind.LiteralType: {
        const lit = node.literal;
        if (lit.kind === ts.SyntaxKind.NullKeyword) return [{ kind: "null" }];
        if (ts.isStringLiteral(lit)) return [literal(lit.text)];
        if (ts.isNumericLiteral(lit)) return [literal(Number(lit.text))];
        if (lit.kind === ts.SyntaxKind.TrueKeyword) return [literal(true)];
        if (lit.kind === ts.SyntaxKind.FalseKeyword) return [literal(false)];
        break;
      }
      case ts.SyntaxKind.TypeLiteral:
        return [this.objectLike(node.members, node)];
      case ts.SyntaxKind.TypeReference: {
        const name = node.typeName.getText();
        const args = node.typeArguments ?? [];
        if (name === "Array" && args.length === 1) return [{ kind: "array", items: args[0] }];
        if (name === "Record" && args.length === 2 && args[0].kind === ts.SyntaxKind.StringKeyword) {
          return [{ kind: "record", values: args[1] }];
        }
        const declaration = this.declarations.get(name);
        if (declaration && args.length === 0) {
          if (seen.has(name)) throw new Error(`type alias ${name} refers to itself`);
          this.reached.add(name);
          if (ts.isTypeAliasDeclaration(declaration)) {
            return this.fromTs(declaration.type, new Set(seen).add(name));
          }
          return [{ ...this.objectLike(declaration.members, declaration), name }];
        }
        break;
      }
    }
    return [{ kind: "unsupported", text: node.getText() }];
  }

  /** An interface's or type literal's members: an object, or a record if only an index signature. */
  objectLike(members, declaration) {
    if (declaration.heritageClauses?.length) {
      return { kind: "unsupported", text: `${declaration.name.text} extends another type` };
    }
    const index = members.filter(ts.isIndexSignatureDeclaration);
    const properties = members.filter(ts.isPropertySignature);
    const others = members.filter((m) => !ts.isIndexSignatureDeclaration(m) && !ts.isPropertySignature(m));
    if (others.length > 0) return { kind: "unsupported", text: others[0].getText() };
    if (index.length > 0 && properties.length === 0 && index.length === 1) {
      const key = index[0].parameters[0].type;
      if (key?.kind === ts.SyntaxKind.StringKeyword) return { kind: "record", values: index[0].type };
    }
    return { kind: "object", properties, index, declaration };
  }

  // --- comparing ---------------------------------------------------------------------------

  /** Compares a schema node with a TypeScript type node; `where` names both for messages. */
  compareTypes(context, schemaNode, typeNode, where) {
    const wanted = this.fromSchema(context, schemaNode, where.pointer);
    const have = this.fromTs(typeNode);
    const at = `${where.path} (${context.schemaFile}${where.pointer})`;

    const unsupported = have.find((m) => m.kind === "unsupported");
    if (unsupported) {
      this.problem(`${at}: unsupported TypeScript type \`${unsupported.text}\``);
      return;
    }
    if (wanted.some((m) => m.kind === "any")) return; // the schema leaves it open

    const literalsOf = (members) =>
      members.filter((m) => m.kind === "literal").map((m) => JSON.stringify(m.value)).sort();
    const wantedLiterals = literalsOf(wanted);
    const haveLiterals = literalsOf(have);
    if (wantedLiterals.join() !== haveLiterals.join()) {
      const values = (list) => list.join(" | ") || "(none)";
      this.problem(`${at}: the schema allows the values ${values(wantedLiterals)}, the type ${values(haveLiterals)}`);
    }

    const byKind = (members) => {
      const map = new Map();
      for (const m of members) {
        if (m.kind === "literal") continue;
        if (map.has(m.kind)) throw new Error(`${at}: two ${m.kind} members in one union`);
        map.set(m.kind, m);
      }
      return map;
    };
    const wantedKinds = byKind(wanted);
    const haveKinds = byKind(have);
    for (const kind of wantedKinds.keys()) {
      if (!haveKinds.has(kind)) {
        this.problem(`${at}: the schema allows ${describe(kind)}, the type does not (it is \`${typeNode.getText()}\`)`);
      }
    }
    for (const kind of haveKinds.keys()) {
      if (!wantedKinds.has(kind)) {
        this.problem(`${at}: the type allows ${describe(kind)}, the schema does not (it is \`${typeNode.getText()}\`)`);
      }
    }

    for (const [kind, w] of wantedKinds) {
      const h = haveKinds.get(kind);
      if (!h) continue;
      if (kind === "array") {
        this.compareTypes(context, w.items, h.items, { path: `${where.path}[]`, pointer: w.pointer });
      } else if (kind === "record") {
        this.compareTypes(context, w.values, h.values, { path: `${where.path}{}`, pointer: w.pointer });
      } else if (kind === "object") {
        if (w.ref !== undefined) {
          // A $ref names its interface: the same name on both sides.
          if (h.name !== w.ref) {
            this.problem(`${at}: the schema refers to ${w.ref}, the type is \`${typeNode.getText()}\``);
            continue;
          }
          const key = `${context.schemaFile}${w.pointer}`;
          if (this.compared.has(key)) continue;
          this.compared.add(key);
          this.compareDocs(h.declaration, w.node, w.ref, key);
          this.compareObject(context, w.node, w.pointer, h.declaration, w.ref);
        } else {
          // An inline object: whatever interface (or type literal) the file uses for it.
          const label = h.name ?? where.path;
          this.compareObject(context, w.node, w.pointer, h.declaration, label, h);
        }
      }
    }
  }

  /** Property by property: names, required or optional, types and doc comments. */
  compareObject(context, schemaNode, pointer, declaration, label, shape) {
    const { properties, index } = shape ?? this.objectLike(declaration.members, declaration);
    const at = `${label} (${context.schemaFile}${pointer})`;
    if (schemaNode.additionalProperties !== false) {
      this.problem(`${at}: the schema object must say "additionalProperties": false`);
    }
    if (index.length > 0) {
      this.problem(`${at}: an index signature, but the schema allows no other properties`);
    }
    const schemaProps = schemaNode.properties ?? {};
    const required = new Set(schemaNode.required ?? []);
    for (const name of required) {
      if (!(name in schemaProps)) {
        this.problem(`${at}: "${name}" is required but not a property of the schema`);
      }
    }
    const tsProps = new Map();
    for (const property of properties) {
      const name = propertyName(property);
      if (tsProps.has(name)) this.problem(`${label}.${name} is declared twice`);
      tsProps.set(name, property);
    }
    const object = `${context.schemaFile}${pointer}`;
    for (const name of Object.keys(schemaProps)) {
      if (!tsProps.has(name)) {
        this.problem(`${label}.${name}: in the schema (${object}/properties/${name}) but not in igfeed.d.ts`);
      }
    }
    for (const [name, property] of tsProps) {
      const path = `${label}.${name}`;
      const propertyPointer = `${pointer}/properties/${name}`;
      if (!(name in schemaProps)) {
        this.problem(`${path}: in igfeed.d.ts but not in the schema (${object}/properties)`);
        continue;
      }
      const optional = property.questionToken !== undefined;
      if (required.has(name) && optional) {
        this.problem(`${path}: required in the schema (${object}/required) but optional (?) in igfeed.d.ts`);
      }
      if (!required.has(name) && !optional) {
        this.problem(`${path}: optional in the schema (not in ${object}/required) but required in igfeed.d.ts: add ?`);
      }
      if (!property.type) {
        this.problem(`${path}: no type in igfeed.d.ts`);
        continue;
      }
      this.compareDocs(property, schemaProps[name], path, `${context.schemaFile}${propertyPointer}`);
      this.compareTypes(context, schemaProps[name], property.type, { path, pointer: propertyPointer });
    }
  }

  /** The doc comment's text is the schema's description; @default is the schema's default. */
  compareDocs(node, schemaNode, path, where) {
    const docs = node.jsDoc ?? [];
    const doc = docs[docs.length - 1];
    const text = normalise(doc ? ts.getTextOfJSDocComment(doc.comment) ?? "" : "");
    if (schemaNode.description !== undefined) {
      const wanted = normalise(schemaNode.description);
      if (text !== wanted) {
        this.problem(
          `${path}: the doc comment differs from the schema's description (${where}/description)\n` +
            `  schema: ${wanted}\n  .d.ts:  ${text || "(none)"}`,
        );
      }
    }
    const defaults = (doc?.tags ?? []).filter((tag) => tag.tagName.text === "default");
    const have = defaults.map((tag) => normalise(ts.getTextOfJSDocComment(tag.comment) ?? ""));
    const wanted = schemaNode.default === undefined ? [] : [JSON.stringify(schemaNode.default)];
    if (have.join("\n") !== wanted.join("\n")) {
      const tags = have.join(", ") || "(none)";
      const value = wanted.join("") || "no default";
      this.problem(`${path}: @default ${tags} in igfeed.d.ts, ${value} in the schema (${where}/default)`);
    }
  }
}

function literal(value) {
  return { kind: "literal", value };
}

function describe(kind) {
  const names = { null: "null", record: "an object map", object: "an object", array: "an array" };
  return names[kind] ?? `a ${kind}`;
}

function propertyName(property) {
  const name = property.name;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : name.getText();
}

function normalise(text) {
  return text.replace(/\s+/g, " ").trim();
}

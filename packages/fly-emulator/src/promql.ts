/**
 * Enough PromQL for gates: selectors with label matchers, `rate`/`irate`/`increase` over a range,
 * `sum`/`avg`/`min`/`max`/`count` with `by`, `vector(N)`, `or`, and + - * / between scalars and vectors
 * (vectors match on identical label sets, as Prometheus's default one-to-one matching does). Anything else
 * is a parse error, answered as Prometheus answers one (400, `bad_data`).
 */

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}
export type Value = { kind: "scalar"; value: number } | { kind: "vector"; samples: Sample[] };

/** A counter series the emulator can produce: its value now and its rate per second. */
export interface CounterSeries {
  labels: Labels;
  value: number;
  ratePerSecond: number;
  /** Seconds of data behind it (a range longer than this sees only this much). */
  ageSeconds: number;
}
export type SeriesSource = (metric: string) => CounterSeries[];

export class PromqlError extends Error {}

type Node =
  | { t: "num"; value: number }
  | { t: "sel"; metric: string; matchers: Matcher[]; rangeS: number | null }
  | { t: "fn"; name: "rate" | "irate" | "increase"; arg: Node }
  | { t: "vec"; value: number }
  | { t: "agg"; op: string; by: string[] | null; arg: Node }
  | { t: "bin"; op: string; left: Node; right: Node }
  | { t: "neg"; arg: Node };

interface Matcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

const AGGREGATIONS = new Set(["sum", "avg", "min", "max", "count"]);
const TOKEN =
  /\s*(?:(?<num>\d+(?:\.\d+)?(?:e[-+]?\d+)?)|(?<ident>[A-Za-z_:][A-Za-z0-9_:]*)|(?<str>"(?:[^"\\]|\\.)*")|(?<range>\[[0-9]+[smhd]\])|(?<op>=~|!~|!=|==|[-+*/(){},=]))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match)
      throw new PromqlError(`unexpected character at position ${at}: "${text.slice(at, at + 10)}"`);
    tokens.push(match[0].trim());
  }
  return tokens;
}

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

class Parser {
  private i = 0;
  constructor(private readonly tokens: string[]) {}

  parse(): Node {
    const node = this.orExpr();
    if (this.i < this.tokens.length) throw new PromqlError(`unexpected "${this.tokens[this.i]}"`);
    return node;
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private next(): string {
    const token = this.tokens[this.i++];
    if (token === undefined) throw new PromqlError("unexpected end of query");
    return token;
  }

  private expect(token: string): void {
    const got = this.next();
    if (got !== token) throw new PromqlError(`expected "${token}", got "${got}"`);
  }

  private orExpr(): Node {
    let left = this.additive();
    while (this.peek() === "or") {
      this.next();
      left = { t: "bin", op: "or", left, right: this.additive() };
    }
    return left;
  }

  private additive(): Node {
    let left = this.multiplicative();
    while (this.peek() === "+" || this.peek() === "-") {
      const op = this.next();
      left = { t: "bin", op, left, right: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): Node {
    let left = this.unary();
    while (this.peek() === "*" || this.peek() === "/") {
      const op = this.next();
      left = { t: "bin", op, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Node {
    if (this.peek() === "-") {
      this.next();
      return { t: "neg", arg: this.unary() };
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.next();
    if (/^\d/.test(token)) return { t: "num", value: Number(token) };
    if (token === "(") {
      const inner = this.orExpr();
      this.expect(")");
      return inner;
    }
    if (!/^[A-Za-z_:]/.test(token)) throw new PromqlError(`unexpected "${token}"`);
    if (AGGREGATIONS.has(token)) {
      let by = this.peek() === "by" ? this.byClause() : null;
      this.expect("(");
      const arg = this.orExpr();
      this.expect(")");
      if (by === null && this.peek() === "by") by = this.byClause();
      return { t: "agg", op: token, by, arg };
    }
    if (token === "rate" || token === "irate" || token === "increase") {
      this.expect("(");
      const arg = this.primary();
      this.expect(")");
      if (arg.t !== "sel" || arg.rangeS === null) {
        throw new PromqlError(`${token}() expects a range vector, e.g. metric[1m]`);
      }
      return { t: "fn", name: token, arg };
    }
    if (token === "vector") {
      this.expect("(");
      const value = this.next();
      this.expect(")");
      return { t: "vec", value: Number(value) };
    }
    return this.selector(token);
  }

  private byClause(): string[] {
    this.expect("by");
    this.expect("(");
    const labels: string[] = [];
    while (this.peek() !== ")") {
      labels.push(this.next());
      if (this.peek() === ",") this.next();
    }
    this.expect(")");
    return labels;
  }

  private selector(metric: string): Node {
    const matchers: Matcher[] = [];
    if (this.peek() === "{") {
      this.next();
      while (this.peek() !== "}") {
        const label = this.next();
        const op = this.next();
        if (op !== "=" && op !== "!=" && op !== "=~" && op !== "!~") {
          throw new PromqlError(`bad matcher operator "${op}"`);
        }
        const raw = this.next();
        if (!raw.startsWith('"')) throw new PromqlError(`expected a string for ${label}`);
        matchers.push({ label, op, value: JSON.parse(raw) as string });
        if (this.peek() === ",") this.next();
      }
      this.expect("}");
    }
    let rangeS: number | null = null;
    const range = this.peek();
    if (range?.startsWith("[")) {
      this.next();
      rangeS = Number(range.slice(1, -2)) * UNIT_S[range.slice(-2, -1)]!;
    }
    return { t: "sel", metric, matchers, rangeS };
  }
}

function matches(labels: Labels, m: Matcher): boolean {
  const value = labels[m.label] ?? "";
  switch (m.op) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return new RegExp(`^(?:${m.value})$`).test(value);
    case "!~":
      return !new RegExp(`^(?:${m.value})$`).test(value);
  }
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function withoutName(labels: Labels): Labels {
  const { __name__: _, ...rest } = labels;
  return rest;
}

function arith(op: string, a: number, b: number): number {
  if (op === "+") return a + b;
  if (op === "-") return a - b;
  if (op === "*") return a * b;
  return a / b;
}

function evaluateNode(node: Node, source: SeriesSource): Value {
  switch (node.t) {
    case "num":
      return { kind: "scalar", value: node.value };
    case "vec":
      return { kind: "vector", samples: [{ labels: {}, value: node.value }] };
    case "neg": {
      const inner = evaluateNode(node.arg, source);
      return inner.kind === "scalar"
        ? { kind: "scalar", value: -inner.value }
        : { kind: "vector", samples: inner.samples.map((s) => ({ ...s, value: -s.value })) };
    }
    case "sel": {
      if (node.rangeS !== null)
        throw new PromqlError("a range vector needs rate(), irate() or increase()");
      const series = source(node.metric).filter((s) =>
        node.matchers.every((m) => matches(s.labels, m)),
      );
      return { kind: "vector", samples: series.map((s) => ({ labels: s.labels, value: s.value })) };
    }
    case "fn": {
      const sel = node.arg as Extract<Node, { t: "sel" }>;
      const range = sel.rangeS ?? 60;
      const series = source(sel.metric).filter((s) =>
        sel.matchers.every((m) => matches(s.labels, m)),
      );
      return {
        kind: "vector",
        // Scrape lag (no rate before a second sample) is the traffic model's `metricsDelayMs`.
        samples: series.map((s) => ({
          labels: withoutName(s.labels),
          value:
            node.name === "increase"
              ? s.ratePerSecond * Math.min(range, s.ageSeconds)
              : s.ratePerSecond,
        })),
      };
    }
    case "agg": {
      const inner = evaluateNode(node.arg, source);
      if (inner.kind !== "vector") throw new PromqlError(`${node.op}() expects a vector`);
      const groups = new Map<string, { labels: Labels; values: number[] }>();
      for (const s of inner.samples) {
        const labels: Labels = {};
        for (const l of node.by ?? []) if (s.labels[l] !== undefined) labels[l] = s.labels[l]!;
        const k = key(labels);
        const group = groups.get(k) ?? { labels, values: [] };
        group.values.push(s.value);
        groups.set(k, group);
      }
      const reduce = (values: number[]): number => {
        if (node.op === "count") return values.length;
        if (node.op === "min") return Math.min(...values);
        if (node.op === "max") return Math.max(...values);
        const sum = values.reduce((a, b) => a + b, 0);
        return node.op === "avg" ? sum / values.length : sum;
      };
      return {
        kind: "vector",
        samples: [...groups.values()].map((g) => ({ labels: g.labels, value: reduce(g.values) })),
      };
    }
    case "bin": {
      const left = evaluateNode(node.left, source);
      const right = evaluateNode(node.right, source);
      if (node.op === "or") {
        if (left.kind !== "vector" || right.kind !== "vector")
          throw new PromqlError("or needs vectors");
        const seen = new Set(left.samples.map((s) => key(s.labels)));
        return {
          kind: "vector",
          samples: [...left.samples, ...right.samples.filter((s) => !seen.has(key(s.labels)))],
        };
      }
      if (left.kind === "scalar" && right.kind === "scalar") {
        return { kind: "scalar", value: arith(node.op, left.value, right.value) };
      }
      if (left.kind === "vector" && right.kind === "scalar") {
        return {
          kind: "vector",
          samples: left.samples.map((s) => ({
            labels: withoutName(s.labels),
            value: arith(node.op, s.value, right.value),
          })),
        };
      }
      if (left.kind === "scalar" && right.kind === "vector") {
        return {
          kind: "vector",
          samples: right.samples.map((s) => ({
            labels: withoutName(s.labels),
            value: arith(node.op, left.value, s.value),
          })),
        };
      }
      const l = left as Extract<Value, { kind: "vector" }>;
      const r = right as Extract<Value, { kind: "vector" }>;
      const byKey = new Map(r.samples.map((s) => [key(withoutName(s.labels)), s] as const));
      const samples: Sample[] = [];
      for (const s of l.samples) {
        const other = byKey.get(key(withoutName(s.labels)));
        if (other)
          samples.push({
            labels: withoutName(s.labels),
            value: arith(node.op, s.value, other.value),
          });
      }
      return { kind: "vector", samples };
    }
  }
}

export function evaluatePromql(query: string, source: SeriesSource): Value {
  return evaluateNode(new Parser(tokenize(query)).parse(), source);
}

/**
 * A deliberately small renderer for the subset of Go's text/template that werf.yaml uses, so that the
 * tests can render werf.yaml the way werf would without a werf binary:
 *   - text, `{{ ... }}` actions with the `{{-` / `-}}` whitespace trim markers, `{{/* comments *\/}}`;
 *   - `$name := <expr>`, `{{ $name }}`, `if` / `else if` / `else` / `end`;
 *   - the functions `env "NAME" ["default"]` (werf's), `eq A B` and `fail "message"` (Sprig's).
 * Anything else (pipes, parentheses, range, define, include, other functions, fields like .Env)
 * is an UnsupportedTemplateError: werf.yaml must stay within what this file can check.
 */

export type TemplateEnv = Readonly<Record<string, string | undefined>>;

export class UnsupportedTemplateError extends Error {}
/** What `fail "message"` raises: werf stops rendering with this message. */
export class TemplateFailError extends Error {}

type Value = string | boolean;
type Expr =
  | { kind: 'literal'; value: string }
  | { kind: 'variable'; name: string }
  | { kind: 'call'; fn: 'env' | 'eq' | 'fail'; args: Expr[] };
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: Expr }
  | { kind: 'assign'; name: string; expr: Expr }
  | { kind: 'if'; branches: { condition: Expr; body: Node[] }[]; otherwise: Node[] };

interface Action {
  body: string;
  /** Where the action starts in the template, for error messages. */
  line: number;
}
type Piece = string | Action;

const FUNCTION_ARITY = { env: [1, 2], eq: [2, 2], fail: [1, 1] } as const;

/** Splits the template into text and actions, applying the trim markers as Go does. */
function split(template: string): Piece[] {
  const pieces: Piece[] = [];
  let position = 0;
  let trimNextText = false;
  while (position <= template.length) {
    const open = template.indexOf('{{', position);
    let text = template.slice(position, open === -1 ? undefined : open);
    if (trimNextText) text = text.replace(/^\s+/, '');
    if (open === -1) {
      pieces.push(text);
      break;
    }
    const close = template.indexOf('}}', open + 2);
    const line = template.slice(0, open).split('\n').length;
    if (close === -1) throw new UnsupportedTemplateError(`line ${line}: "{{" without "}}"`);
    let body = template.slice(open + 2, close);
    if (/^-\s/.test(body)) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    trimNextText = /\s-$/.test(body);
    if (trimNextText) body = body.slice(0, -1);
    pieces.push(text, { body: body.trim(), line });
    position = close + 2;
  }
  return pieces;
}

/** Words of an action: string literals stay whole (with their quotes). */
function words(action: Action): string[] {
  const found = action.body.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  for (const word of found) {
    if (!word.startsWith('"') && /[|().`]/.test(word) && !/^\$\w+$/.test(word)) {
      throw new UnsupportedTemplateError(`line ${action.line}: unsupported construct "${word}" in {{ ${action.body} }}`);
    }
  }
  return found;
}

function parseExpr(tokens: string[], action: Action): Expr {
  const [head, ...rest] = tokens;
  if (head === undefined) throw new UnsupportedTemplateError(`line ${action.line}: empty action`);
  if (head in FUNCTION_ARITY) {
    const fn = head as keyof typeof FUNCTION_ARITY;
    const [min, max] = FUNCTION_ARITY[fn];
    if (rest.length < min || rest.length > max) {
      throw new UnsupportedTemplateError(`line ${action.line}: ${fn} takes ${min}..${max} arguments, got ${rest.length}`);
    }
    return { kind: 'call', fn, args: rest.map((token) => parseOperand(token, action)) };
  }
  if (rest.length > 0) throw new UnsupportedTemplateError(`line ${action.line}: unsupported function "${head}"`);
  return parseOperand(head, action);
}

function parseOperand(token: string, action: Action): Expr {
  if (token.startsWith('"')) return { kind: 'literal', value: JSON.parse(token) as string };
  if (/^\$\w+$/.test(token)) return { kind: 'variable', name: token };
  throw new UnsupportedTemplateError(`line ${action.line}: unsupported operand "${token}"`);
}

interface Parsed {
  nodes: Node[];
  /** Names of every environment variable the template reads, in any branch. */
  envNames: Set<string>;
}

function parse(template: string): Parsed {
  const envNames = new Set<string>();
  const pieces = split(template);
  let index = 0;

  const collectEnv = (expr: Expr): Expr => {
    if (expr.kind === 'call') {
      if (expr.fn === 'env' && expr.args[0]?.kind === 'literal') envNames.add(expr.args[0].value);
      expr.args.forEach(collectEnv);
    }
    return expr;
  };

  /** Parses nodes until an `else`/`end` (returned to the caller) or the end of the template. */
  const parseBlock = (): { nodes: Node[]; stop?: { tokens: string[]; action: Action } } => {
    const nodes: Node[] = [];
    while (index < pieces.length) {
      const piece = pieces[index++] as Piece;
      if (typeof piece === 'string') {
        if (piece) nodes.push({ kind: 'text', text: piece });
        continue;
      }
      if (piece.body.startsWith('/*')) {
        if (!piece.body.endsWith('*/')) throw new UnsupportedTemplateError(`line ${piece.line}: unterminated comment`);
        continue;
      }
      const tokens = words(piece);
      const [head, second, ...rest] = tokens;
      if (head === 'else' || head === 'end') return { nodes, stop: { tokens, action: piece } };
      if (head === 'if') {
        nodes.push(parseIf(tokens.slice(1), piece));
      } else if (head !== undefined && /^\$\w+$/.test(head) && second === ':=') {
        nodes.push({ kind: 'assign', name: head, expr: collectEnv(parseExpr(rest, piece)) });
      } else {
        nodes.push({ kind: 'output', expr: collectEnv(parseExpr(tokens, piece)) });
      }
    }
    return { nodes };
  };

  const parseIf = (conditionTokens: string[], action: Action): Node => {
    const branches: { condition: Expr; body: Node[] }[] = [];
    let condition = collectEnv(parseExpr(conditionTokens, action));
    for (;;) {
      const { nodes, stop } = parseBlock();
      if (!stop) throw new UnsupportedTemplateError(`line ${action.line}: "if" without "end"`);
      branches.push({ condition, body: nodes });
      const [head, second, ...rest] = stop.tokens;
      if (head === 'end') return { kind: 'if', branches, otherwise: [] };
      if (second === 'if') {
        condition = collectEnv(parseExpr(rest, stop.action));
        continue;
      }
      if (second !== undefined) throw new UnsupportedTemplateError(`line ${stop.action.line}: unsupported "else ${second}"`);
      const otherwise = parseBlock();
      if (otherwise.stop?.tokens[0] !== 'end' || otherwise.stop.tokens.length !== 1) {
        throw new UnsupportedTemplateError(`line ${action.line}: "else" must be followed by "end"`);
      }
      return { kind: 'if', branches, otherwise: otherwise.nodes };
    }
  };

  const { nodes, stop } = parseBlock();
  if (stop) throw new UnsupportedTemplateError(`line ${stop.action.line}: "${stop.tokens.join(' ')}" without "if"`);
  return { nodes, envNames };
}

function evaluate(expr: Expr, env: TemplateEnv, variables: Map<string, Value>): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'variable': {
      const value = variables.get(expr.name);
      if (value === undefined) throw new UnsupportedTemplateError(`undefined variable ${expr.name}`);
      return value;
    }
    case 'call': {
      const args = expr.args.map((arg) => evaluate(arg, env, variables));
      if (expr.fn === 'eq') return args[0] === args[1];
      if (expr.fn === 'fail') throw new TemplateFailError(String(args[0]));
      // werf's env: the variable's value, or the default when it is unset or empty.
      const value = env[String(args[0])];
      return value ? value : String(args[1] ?? '');
    }
  }
}

/** Go's truth: false and the empty string are false. */
const isTrue = (value: Value): boolean => value !== false && value !== '';

function execute(nodes: Node[], env: TemplateEnv, variables: Map<string, Value>): string {
  let output = '';
  for (const node of nodes) {
    if (node.kind === 'text') output += node.text;
    else if (node.kind === 'output') output += String(evaluate(node.expr, env, variables));
    else if (node.kind === 'assign') variables.set(node.name, evaluate(node.expr, env, variables));
    else {
      const branch = node.branches.find(({ condition }) => isTrue(evaluate(condition, env, variables)));
      output += execute(branch ? branch.body : node.otherwise, env, variables);
    }
  }
  return output;
}

export function renderGoTemplate(template: string, env: TemplateEnv): string {
  return execute(parse(template).nodes, env, new Map());
}

/** Every environment variable name the template passes to `env`, whichever branch reads it. */
export function envVariablesRead(template: string): string[] {
  return [...parse(template).envNames].sort();
}

// infra/ is checked here without a Bicep compiler (none installs offline): a small tokenizer
// for Bicep's strings, comments and brackets, then cross-file checks of what the compiler
// would also catch (module params, outputs, parameter file) and what it would not (app
// settings drifting from src/config/settings.ts, roles wider than needed, missing hardening).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingNames } from '../../src/config/settings.js';

const root = findRoot(dirname(fileURLToPath(import.meta.url)));
const infra = join(root, 'infra');

/** The repository root: the nearest folder above this file with a package.json. */
function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'package.json'))) return dir;
  throw new Error(`No package.json above ${from}`);
}

const read = (path: string): string => readFileSync(join(root, path), 'utf8');

// --- Bicep tokens -------------------------------------------------------------------------

interface Token {
  readonly kind: 'ident' | 'string' | 'punct' | 'number' | 'newline';
  /** Identifier, punctuation, or the string's text with `${...}` kept verbatim. */
  readonly text: string;
  readonly line: number;
}

/** Splits Bicep into tokens, dropping comments; throws on unterminated strings or comments. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (what: string): never => {
    throw new Error(`line ${line}: ${what}`);
  };
  while (i < source.length) {
    const c = source[i];
    if (c === '\n') {
      tokens.push({ kind: 'newline', text: '\n', line });
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (source.startsWith('//', i)) while (i < source.length && source[i] !== '\n') i++;
    else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated /* comment');
      line += source.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (source.startsWith("'''", i)) {
      const end = source.indexOf("'''", i + 3);
      if (end < 0) fail("unterminated ''' string");
      const text = source.slice(i + 3, end);
      tokens.push({ kind: 'string', text, line });
      line += text.split('\n').length - 1;
      i = end + 3;
    } else if (c === "'") {
      const start = line;
      const end = skipString(source, i, () => fail('unterminated string'));
      const text = source.slice(i + 1, end - 1);
      if (text.includes('\n')) fail('line break inside a single-quoted string');
      tokens.push({ kind: 'string', text, line: start });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))![0];
      tokens.push({ kind: 'ident', text: match, line });
      i += match.length;
    } else if (/[0-9]/.test(c)) {
      const match = /^[0-9]+/.exec(source.slice(i))![0];
      tokens.push({ kind: 'number', text: match, line });
      i += match.length;
    } else {
      const two = source.slice(i, i + 2);
      const text = ['==', '!=', '<=', '>=', '&&', '||', '??', '?.', '.?'].includes(two) ? two : c;
      tokens.push({ kind: 'punct', text, line });
      i += text.length;
    }
  }
  return tokens;
}

/** Index just past the single-quoted string opening at `start`, interpolations included. */
function skipString(source: string, start: number, fail: () => never): number {
  let i = start + 1;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') i += 2;
    else if (c === "'") return i + 1;
    else if (source.startsWith('${', i)) {
      let depth = 1;
      i += 2;
      while (depth > 0) {
        if (i >= source.length) fail();
        if (source[i] === "'") i = skipString(source, i, fail);
        else {
          if (source[i] === '{') depth++;
          if (source[i] === '}') depth--;
          i++;
        }
      }
    } else i++;
  }
  return fail();
}

/** Problems with bracket pairing, as "line N: ..." messages. */
function bracketProblems(tokens: readonly Token[]): string[] {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: Token[] = [];
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind !== 'punct') continue;
    if ('([{'.includes(token.text)) stack.push(token);
    else if (token.text in pairs) {
      const open = stack.pop();
      if (open?.text !== pairs[token.text])
        problems.push(`line ${token.line}: "${token.text}" closes "${open?.text ?? 'nothing'}"`);
    }
  }
  for (const open of stack) problems.push(`line ${open.line}: "${open.text}" is never closed`);
  return problems;
}

/** Index of the bracket closing the one at `open`. */
function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].kind !== 'punct') continue;
    if ('([{'.includes(tokens[i].text)) depth++;
    if (')]}'.includes(tokens[i].text) && --depth === 0) return i;
  }
  throw new Error(`bracket on line ${tokens[open].line} is never closed`);
}

interface Property {
  readonly key: string;
  /** Tokens of the value, up to the end of its line or its closing bracket. */
  readonly value: readonly Token[];
}

/** The properties of the object literal whose `{` is at `open`. */
function objectProperties(tokens: readonly Token[], open: number): Property[] {
  const end = closing(tokens, open);
  const properties: Property[] = [];
  let i = open + 1;
  while (i < end) {
    const [key, colon] = [tokens[i], tokens[i + 1]];
    if ((key.kind === 'ident' || key.kind === 'string') && colon?.text === ':') {
      let j = i + 2;
      while (j < end && tokens[j].kind !== 'newline' && !(tokens[j].text === ',')) {
        j =
          tokens[j].kind === 'punct' && '([{'.includes(tokens[j].text)
            ? closing(tokens, j) + 1
            : j + 1;
      }
      properties.push({ key: key.text, value: tokens.slice(i + 2, j) });
      i = j;
    } else i++;
  }
  return properties;
}

interface Declaration {
  readonly keyword: 'param' | 'var' | 'output' | 'module' | 'resource';
  readonly name: string;
  /** Module path or resource type, for those two. */
  readonly target?: string;
  readonly index: number;
  /** Whether a `param` has a default value. */
  readonly hasDefault: boolean;
  readonly decorators: readonly string[];
}

/** Top-level declarations (those that start a line at bracket depth 0). */
function declarations(tokens: readonly Token[]): Declaration[] {
  const found: Declaration[] = [];
  let depth = 0;
  let decorators: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const startsLine = i === 0 || tokens[i - 1].kind === 'newline';
    if (token.kind === 'punct' && '([{'.includes(token.text)) depth++;
    if (token.kind === 'punct' && ')]}'.includes(token.text)) depth--;
    if (depth !== 0 || !startsLine) continue;
    if (token.text === '@' && tokens[i + 1]?.kind === 'ident') decorators.push(tokens[i + 1].text);
    const keyword = token.text as Declaration['keyword'];
    if (
      token.kind !== 'ident' ||
      !['param', 'var', 'output', 'module', 'resource'].includes(keyword)
    )
      continue;
    const name = tokens[i + 1].text;
    const target = tokens[i + 2]?.kind === 'string' ? tokens[i + 2].text : undefined;
    let hasDefault = false;
    for (let j = i + 2; j < tokens.length && tokens[j].kind !== 'newline'; j++)
      if (tokens[j].text === '=') hasDefault = true;
    found.push({ keyword, name, target, index: i, hasDefault, decorators });
    decorators = [];
  }
  return found;
}

interface BicepFile {
  readonly path: string;
  readonly text: string;
  readonly tokens: readonly Token[];
  readonly declarations: readonly Declaration[];
}

function bicepFiles(): BicepFile[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
    );
  return walk(infra)
    .filter((path) => path.endsWith('.bicep'))
    .map((path) => {
      const text = readFileSync(path, 'utf8');
      const tokens = tokenize(text);
      return { path: relative(root, path), text, tokens, declarations: declarations(tokens) };
    });
}

const files = bicepFiles();
const file = (path: string): BicepFile => {
  const found = files.find((f) => f.path === path);
  assert.ok(found, `${path} exists`);
  return found;
};

/** The `{` that starts a declaration's body (after `=`), or -1. */
function bodyOf(f: BicepFile, d: Declaration): number {
  for (let i = d.index; i < f.tokens.length; i++) if (f.tokens[i].text === '{') return i;
  return -1;
}

// --- App settings: names and patterns ------------------------------------------------------

const placeholder = /<[^>]+>|\$\{[^}]*\}/g;

/** `FTP_PASSWORD_<NAME>` and Bicep's `FTP_PASSWORD_${x}` both become `FTP_PASSWORD_*`. */
function shapeOf(name: string): string {
  return name.replace(placeholder, '*');
}

/** Whether `pattern` (possibly with placeholders) names `name` (possibly a pattern itself). */
function covers(pattern: string, name: string): boolean {
  if (shapeOf(pattern) === shapeOf(name)) return true;
  // A bare `<STORAGE_CONNECTION>` would match every name: it stands only for itself.
  if (shapeOf(pattern) === '*') return false;
  const regex = shapeOf(pattern)
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[A-Za-z0-9_]+');
  return new RegExp(`^${regex}$`).test(name);
}

/** Settings the code reads through STORAGE_CONNECTION's value (the Functions convention). */
const connectionSettings = ['<STORAGE_CONNECTION>', '<STORAGE_CONNECTION>__blobServiceUri']
  .concat(['<STORAGE_CONNECTION>__accountName', '<STORAGE_CONNECTION>__clientId'])
  .filter(() => (settingNames as readonly string[]).includes('STORAGE_CONNECTION'));
const codeSettings: readonly string[] = [...settingNames, ...connectionSettings];

const functionApp = file('infra/modules/functionApp.bicep');
const appSettingsVar = functionApp.declarations.find((d) => d.name === 'appSettings');
const bicepSettings = appSettingsVar
  ? objectProperties(functionApp.tokens, bodyOf(functionApp, appSettingsVar))
  : [];
/** Setting names built per SOURCES entry by `toObject` (the key lambda's interpolated string). */
function perSourceNames(): string[] {
  const holder = functionApp.declarations.find((d) => d.name === 'sourcePasswords');
  if (holder === undefined) return [];
  const open = functionApp.tokens.findIndex((t, i) => i > holder.index && t.text === '(');
  return functionApp.tokens
    .slice(open, closing(functionApp.tokens, open))
    .filter((t) => t.kind === 'string' && /^[A-Z][A-Z0-9_]*\$\{/.test(t.text))
    .map((t) => t.text);
}
const bicepNames = [...bicepSettings.map((p) => p.key), ...perSourceNames()];

/** STORAGE_CONNECTION's value in the Bicep: a string literal or a var holding one. */
function storageConnectionName(): string {
  const value = bicepSettings.find((p) => p.key === 'STORAGE_CONNECTION')?.value;
  if (value === undefined) return 'AzureWebJobsStorage';
  if (value[0]?.kind === 'string') return value[0].text;
  const holder = functionApp.declarations.find(
    (d) => d.keyword === 'var' && d.name === value[0]?.text,
  );
  const literal = holder ? functionApp.tokens[holder.index + 3] : undefined;
  return literal?.kind === 'string' ? literal.text : `<unresolved ${value[0]?.text}>`;
}
const connection = storageConnectionName();
const resolved = (name: string): string => name.replace('<STORAGE_CONNECTION>', connection);

interface DocRow {
  readonly name: string;
  readonly setByInfra: boolean;
}

/** Rows of the markdown table under the heading `title` in the README. */
function docTable(title: string): DocRow[] {
  const lines = read('README.md').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^#+\\s+${title}\\s*$`, 'i').test(l));
  assert.ok(start >= 0, `the README has a "${title}" heading`);
  const rows: DocRow[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#/.test(line)) break;
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /`([^`]+)`/.exec(cells[1])?.[1];
    if (name !== undefined) rows.push({ name, setByInfra: /^yes\b/i.test(cells[2] ?? '') });
  }
  assert.ok(rows.length > 0, `the "${title}" table in the README has rows`);
  return rows;
}

const documented = docTable('App settings');
const platform = docTable('Platform settings');
const parameterFile = JSON.parse(read('infra/main.parameters.json')) as {
  parameters: Record<string, { value: unknown }>;
};
const extras = Object.keys(
  (parameterFile.parameters.extraAppSettings?.value as Record<string, string> | undefined) ?? {},
);

const setByBicep = (name: string): boolean => bicepNames.some((b) => covers(resolved(name), b));
const isCodeSetting = (name: string): boolean =>
  codeSettings.some((c) => covers(resolved(c), name) || covers(name, resolved(c)));
const docRowFor = (name: string): DocRow | undefined =>
  documented.find((r) => covers(r.name, name) || covers(name, r.name));

/** Fails listing every problem at once, so one run shows all the drift. */
function assertNone(problems: readonly string[], what: string): void {
  assert.deepEqual(problems, [], `${what}:\n  - ${problems.join('\n  - ')}`);
}

describe('app settings: infra/ and the README against src/config/settings.ts', () => {
  it('finds the app settings object in the Bicep', () => {
    assert.ok(bicepNames.length > 5, 'var appSettings in infra/modules/functionApp.bicep');
  });

  it('sets or documents as optional every setting the code reads', () => {
    const problems = codeSettings.flatMap((name) => {
      const row = docRowFor(name);
      if (row === undefined && !setByBicep(name))
        return [
          `${name}: read by the code, but infra/ does not set it and the README does not list it as optional`,
        ];
      if (row === undefined)
        return [`${name}: set by infra/ but missing from the App settings table`];
      if (row.setByInfra && !setByBicep(name))
        return [`${name}: the README says infra/ sets it, but the Bicep does not`];
      if (!row.setByInfra && setByBicep(name))
        return [`${name}: infra/ sets it, but the README lists it as optional`];
      return [];
    });
    assertNone(problems, 'settings the code reads');
  });

  it('sets nothing the code or the Functions host does not read', () => {
    const problems = bicepNames
      .filter((name) => !isCodeSetting(name) && !platform.some((p) => covers(p.name, name)))
      .map(
        (name) =>
          `${name}: set by infra/ but not in settingNames nor in the Platform settings table`,
      );
    assertNone(problems, 'settings nobody reads');
  });

  it('documents only settings the code reads', () => {
    const problems = documented
      .filter((row) => !codeSettings.some((c) => covers(c, row.name) || covers(row.name, c)))
      .map((row) => `${row.name}: in the App settings table but the code does not read it`);
    assertNone(problems, 'documented settings');
  });

  it('sets every platform setting it documents', () => {
    const problems = platform
      .filter((row) => !bicepNames.some((b) => covers(row.name, b)))
      .map((row) => `${row.name}: in the Platform settings table but infra/ does not set it`);
    assertNone(problems, 'platform settings');
  });

  it('points STORAGE_CONNECTION at a connection the Bicep configures for an identity', () => {
    const identityKeys = ['__blobServiceUri', '__accountName'].map((suffix) => connection + suffix);
    assert.ok(
      identityKeys.some((key) => bicepNames.includes(key)),
      `STORAGE_CONNECTION is "${connection}" but infra/ sets neither ${identityKeys.join(' nor ')}`,
    );
    assert.ok(bicepNames.includes(`${connection}__clientId`), `${connection}__clientId is set`);
  });

  it('accepts in extraAppSettings only optional settings the code reads', () => {
    const problems = extras.flatMap((name) => {
      if (!isCodeSetting(name))
        return [`${name}: in extraAppSettings but the code does not read it`];
      if (setByBicep(name)) return [`${name}: in extraAppSettings but infra/ already sets it`];
      return [];
    });
    assertNone(problems, 'infra/main.parameters.json extraAppSettings');
  });
});

describe('setting name patterns', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['FTP_PASSWORD_<NAME>', 'FTP_PASSWORD_VENDOR_A', true],
    ['FTP_PASSWORD_<NAME>', 'FTP_PASSWORD_${toUpper(source.name)}', true],
    ['FTP_PASSWORD_<NAME>', 'FTP_PASSWORD', false],
    ['FTP_HOST', 'FTP_HOST', true],
    ['FTP_HOST', 'FTP_HOSTS', false],
    ['<STORAGE_CONNECTION>__clientId', 'DataStorage__clientId', true],
    ['<STORAGE_CONNECTION>', 'FTP_HOST', false],
  ];
  for (const [pattern, name, expected] of cases)
    it(`${expected ? 'matches' : 'does not match'} ${name} against ${pattern}`, () => {
      assert.equal(covers(pattern, name), expected);
    });
});

describe('Bicep tokenizer', () => {
  it('keeps braces inside strings, interpolations and comments out of the bracket count', () => {
    const tokens = tokenize("var a = '${b}{' // }\n/* { */ var c = { d: 'x}' }\n");
    assert.deepEqual(bracketProblems(tokens), []);
  });

  it('reports an unterminated string with its line', () => {
    assert.throws(() => tokenize("var a = 'x\nvar b = 1"), /line 1/);
  });

  it('reads interpolated and quoted object keys', () => {
    const tokens = tokenize("var s = {\n  A_B: 'x'\n  'C_${d}': f(1, { g: 2 })\n}\n");
    const keys = objectProperties(tokens, 3).map((p) => p.key);
    assert.deepEqual(keys, ['A_B', 'C_${d}']);
  });
});

// --- Structure the compiler would check --------------------------------------------------

describe('infra/ structure', () => {
  it('has balanced brackets in every Bicep file', () => {
    const problems = files.flatMap((f) => bracketProblems(f.tokens).map((p) => `${f.path} ${p}`));
    assertNone(problems, 'brackets');
  });

  it('declares each name once per file and uses every param and var', () => {
    const problems = files.flatMap((f) =>
      f.declarations
        .filter((d) => d.keyword === 'param' || d.keyword === 'var')
        .flatMap((d) => {
          const same = f.declarations.filter((o) => o.name === d.name && o.keyword !== 'output');
          const uses = f.tokens.filter((t) => t.kind === 'ident' && t.text === d.name).length;
          const inStrings = f.tokens.filter(
            (t) => t.kind === 'string' && new RegExp(`\\$\\{[^}]*\\b${d.name}\\b`).test(t.text),
          ).length;
          return [
            ...(same.length > 1 ? [`${f.path}: ${d.name} is declared ${same.length} times`] : []),
            ...(uses + inStrings < 2 ? [`${f.path}: ${d.keyword} ${d.name} is never used`] : []),
          ];
        }),
    );
    assertNone([...new Set(problems)], 'declarations');
  });

  it('pins every resource to an api version', () => {
    const problems = files.flatMap((f) =>
      f.declarations
        .filter((d) => d.keyword === 'resource')
        .filter(
          (d) => !/^[A-Za-z.]+\/[A-Za-z/]+@\d{4}-\d{2}-\d{2}(-preview)?$/.test(d.target ?? ''),
        )
        .map((d) => `${f.path}: resource ${d.name} has type "${d.target}"`),
    );
    assertNone(problems, 'resource types');
  });

  it('passes each module exactly the params it declares, and reads only outputs it has', () => {
    const problems = files.flatMap((f) =>
      f.declarations
        .filter((d) => d.keyword === 'module')
        .flatMap((d) => {
          const target = files.find((m) => m.path === join(dirname(f.path), d.target ?? ''));
          if (target === undefined) return [`${f.path}: module ${d.name} → missing ${d.target}`];
          const body = objectProperties(f.tokens, bodyOf(f, d));
          const paramsAt = f.tokens.indexOf(
            body.find((p) => p.key === 'params')?.value[0] as Token,
          );
          const passed = paramsAt < 0 ? [] : objectProperties(f.tokens, paramsAt).map((p) => p.key);
          const declared = target.declarations.filter((p) => p.keyword === 'param');
          const outputs = target.declarations
            .filter((o) => o.keyword === 'output')
            .map((o) => o.name);
          const read = [...f.text.matchAll(new RegExp(`\\b${d.name}\\.outputs\\.(\\w+)`, 'g'))];
          return [
            ...passed
              .filter((name) => !declared.some((p) => p.name === name))
              .map((name) => `${f.path}: module ${d.name} passes unknown param ${name}`),
            ...declared
              .filter((p) => !p.hasDefault && !passed.includes(p.name))
              .map((p) => `${f.path}: module ${d.name} misses required param ${p.name}`),
            ...read
              .filter(([, name]) => !outputs.includes(name))
              .map(([, name]) => `${f.path}: ${d.name}.outputs.${name} does not exist`),
          ];
        }),
    );
    assertNone(problems, 'modules');
  });

  it('fills every required main.bicep param from the parameter file, and nothing else', () => {
    const main = file('infra/main.bicep');
    const params = main.declarations.filter((d) => d.keyword === 'param');
    const given = Object.keys(parameterFile.parameters);
    const problems = [
      ...given
        .filter((name) => !params.some((p) => p.name === name))
        .map((name) => `main.parameters.json sets unknown param ${name}`),
      ...params
        .filter((p) => !p.hasDefault && !given.includes(p.name))
        .map(
          (p) => `main.bicep param ${p.name} has no default and no value in main.parameters.json`,
        ),
    ];
    assertNone(problems, 'parameter file');
  });

  it('keeps secrets out of parameters and files', () => {
    const problems = files.flatMap((f) =>
      f.declarations
        .filter((d) => d.decorators.includes('secure') && d.hasDefault)
        .map((d) => `${f.path}: @secure() param ${d.name} has a default`),
    );
    const texts = [
      'infra/main.parameters.json',
      'azure.yaml',
      ...files.map((f) => f.path),
      '.github/workflows/ci.yml',
    ];
    for (const path of texts) {
      const text = read(path);
      if (
        /AccountKey=|SharedAccessSignature=|password"\s*:|\bFTP_PASSWORD\b["']?\s*[:=]\s*["'][^@]/i.test(
          text,
        )
      )
        problems.push(`${path} looks like it holds a secret`);
    }
    assertNone(problems, 'secrets');
  });
});

describe('infra/ content', () => {
  const text = (path: string): string => file(path).text;

  it('runs the app on Flex Consumption, Node 22, with identity-based deployment storage', () => {
    const app = text('infra/modules/functionApp.bicep');
    for (const expected of [
      "name: 'FC1'",
      "tier: 'FlexConsumption'",
      "name: 'node'",
      "var nodeVersion = '22'",
      "type: 'UserAssignedIdentity'",
      "type: 'UserAssigned'",
      'keyVaultReferenceIdentity: identityId',
      "'azd-service-name': 'api'",
    ])
      assert.ok(app.includes(expected), `functionApp.bicep has ${expected}`);
  });

  it('sets none of the app settings Flex Consumption rejects', () => {
    const rejected =
      /^(FUNCTIONS_WORKER_RUNTIME|FUNCTIONS_EXTENSION_VERSION|WEBSITE_.*|AzureWebJobsStorage)$/;
    assertNone(
      bicepNames.filter((name) => rejected.test(name)),
      'settings Flex Consumption rejects or that hold keys',
    );
  });

  it('reads the FTP password only through a Key Vault reference', () => {
    const value = bicepSettings.find((p) => p.key === 'FTP_PASSWORD')?.value ?? [];
    const strings = value.filter((t) => t.kind === 'string' && t.text !== '');
    assert.deepEqual(
      strings.map((t) => t.text),
      ['@Microsoft.KeyVault(SecretUri=${ftpPasswordSecretUri})'],
    );
  });

  it("reads each source's password through its own Key Vault reference", () => {
    const app = text('infra/modules/functionApp.bicep');
    assert.deepEqual(perSourceNames(), ["FTP_PASSWORD_${toUpper(replace(source.name, '-', '_'))}"]);
    assert.ok(
      app.includes(
        "source => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/ftp-password-${source.name})'",
      ),
      'one versionless reference per source',
    );
    assert.ok(app.includes('items(union(extraAppSettings, sourcePasswords, appSettings))'));
  });

  it('leaves the single-source settings empty when SOURCES is given', () => {
    const single = ['FTP_HOST', 'FTP_PORT', 'FTP_USER', 'FTP_PASSWORD', 'SOURCE_NAME'];
    for (const name of single) {
      const first = bicepSettings.find((p) => p.key === name)?.value[0]?.text;
      assert.equal(first, 'multiSource', `${name} is empty with SOURCES`);
    }
  });

  it('hardens both storage accounts and versions the data', () => {
    for (const path of ['infra/modules/hostStorage.bicep', 'infra/modules/dataStorage.bicep']) {
      const account = text(path);
      for (const expected of [
        'allowSharedKeyAccess: false',
        'allowBlobPublicAccess: false',
        "minimumTlsVersion: 'TLS1_2'",
      ])
        assert.ok(account.includes(expected), `${path} has ${expected}`);
    }
    const data = text('infra/modules/dataStorage.bicep');
    assert.ok(data.includes('isVersioningEnabled: true'));
    assert.match(data, /deleteRetentionPolicy: \{\s*enabled: true/);
    const main = text('infra/main.bicep');
    for (const container of [
      "incoming: 'incoming'",
      "processed: 'processed'",
      "runs: 'ingest-runs'",
    ])
      assert.ok(main.includes(container), `main.bicep names ${container}`);
  });

  it("grants the app's identity exactly the roles it needs", () => {
    const roles = text('infra/modules/roleAssignments.bicep');
    const guids = [...roles.matchAll(/'([0-9a-f]{8}-[0-9a-f-]{27})'/g)].map(([, id]) => id).sort();
    assert.deepEqual(guids, [
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', // Storage Table Data Contributor
      '3913510d-42f4-4e42-8a64-420c390055eb', // Monitoring Metrics Publisher
      '4633458b-17de-408a-b874-0445c86b69e6', // Key Vault Secrets User
      '974c5e8b-45b9-4653-ba55-5f855dd0fb88', // Storage Queue Data Contributor
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', // Storage Blob Data Owner
      'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', // Key Vault Secrets Officer (operator only)
      'ba92f5b4-2d11-453d-a403-e96b0029c9fe', // Storage Blob Data Contributor
    ]);
    const hostRoles = /var hostStorageRoles = \[([^\]]*)\]/.exec(roles)?.[1] ?? '';
    assert.deepEqual(hostRoles.match(/roles\.\w+/g), [
      'roles.storageBlobDataOwner',
      'roles.storageQueueDataContributor',
      'roles.storageTableDataContributor',
    ]);
    assert.match(
      roles,
      /scope: dataStorage\s+properties: \{\s+roleDefinitionId: [^\n]*storageBlobDataContributor/,
    );
    assert.match(roles, /principalId: operatorPrincipalId/);
    assert.equal(roles.match(/principalId: principalId/g)?.length, 4, 'four app role resources');
  });

  it('subscribes processIncomingBlob to BlobCreated in the incoming container only', () => {
    const events = text('infra/modules/events.bicep');
    assert.ok(events.includes("'Microsoft.Storage.BlobCreated'"));
    assert.ok(
      events.includes(
        "subjectBeginsWith: '/blobServices/default/containers/${incomingContainer}/'",
      ),
    );
    assert.ok(events.includes("endpointType: 'AzureFunction'"));
    assert.ok(events.includes('= if (deploySubscription)'));
    assert.ok(
      text('infra/main.bicep').includes("var processingFunctionName = 'processIncomingBlob'"),
    );
  });

  it('keeps the workbook and alert queries on the events the app emits', () => {
    const workbook = JSON.parse(read('infra/modules/workbook.json')) as {
      items: { type: number; content: { query?: string } }[];
    };
    const alerts = text('infra/modules/alerts.bicep');
    const queries = [
      ...workbook.items.flatMap((item) => (item.content.query ? [item.content.query] : [])),
      ...[...alerts.matchAll(/'''([\s\S]*?)'''/g)].map(([, query]) => query),
    ];
    const emitted = ['FileTransferred', 'FileProcessed', 'FileFailed', 'SyncCompleted'];
    const used = new Set(
      queries.flatMap((q) => [...q.matchAll(/name == '(\w+)'/g)].map(([, n]) => n)),
    );
    assertNone(
      [...used].filter((name) => !emitted.includes(name)),
      'unknown event names',
    );
    for (const name of ['SyncCompleted', 'FileFailed', 'FileProcessed'])
      assert.ok(used.has(name), `some query reads ${name}`);
    const unbalanced = queries.filter(
      (q) => bracketProblems(tokenize(q.replace(/'[^']*'/g, "''"))).length,
    );
    assertNone(unbalanced, 'queries with unbalanced brackets');
    assert.equal(alerts.match(/name: '(failed-run|missed-run|failed-file)'/g)?.length, 3);
    assert.ok(text('infra/main.bicep').includes('missedRunAfterMinutes: 2 * syncIntervalMinutes'));
  });

  it('lets azd provision and deploy the api service, with the postdeploy hook present', () => {
    const yaml = read('azure.yaml');
    assert.match(yaml, /services:\s+api:\s+project: \.\s+language: js\s+host: function/);
    for (const hook of ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1'])
      assert.ok(yaml.includes(`./${hook}`) && existsSync(join(root, hook)), `${hook} exists`);
  });

  it('deploys from CI with OIDC and no stored secrets', () => {
    const ci = read('.github/workflows/ci.yml');
    assert.match(ci, /id-token: write/);
    assert.doesNotMatch(ci, /secrets\./, 'only repository variables, no secrets');
    for (const name of ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID'])
      assert.ok(ci.includes(`vars.${name}`), `CI reads vars.${name}`);
    for (const step of ['npm run lint', 'npm test', 'vsftpd', 'azd deploy'])
      assert.ok(ci.includes(step), `CI runs ${step}`);
  });
});

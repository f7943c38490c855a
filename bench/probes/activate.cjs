// Times what VS Code's extension host does on activation: require() the bundled extension and call its
// activate(). `vscode` is a minimal fake injected by hooking Module._load (the real one exists only inside
// the extension host). One fresh process per sample, so every require is cold, as it is in the editor.
// argv[2]: the bundle (dist/extension.js); argv[3]: the extension's package.json.
// Prints {requireMs, activateMs, totalMs}.
const Module = require("node:module");
const { readFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const [bundle, manifest] = process.argv.slice(2);

const noop = () => {};
const disposable = () => ({ dispose: noop });
const event = () => disposable();
const resolved = (value) => () => Promise.resolve(value);

/** Members the extension does not touch at activation read as harmless functions. */
function loose(target) {
  return new Proxy(target, {
    get(object, key) {
      if (key in object || typeof key === "symbol" || key === "then") return object[key];
      return () => disposable();
    },
  });
}

class EventEmitter {
  listeners = new Set();
  event = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value) {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose() {
    this.listeners.clear();
  }
}

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  static from(...items) {
    return new Disposable(() => {
      for (const item of items) item?.dispose?.();
    });
  }
  dispose() {
    this.callOnDispose?.();
  }
}

class Uri {
  constructor(scheme, path, query = "") {
    this.scheme = scheme;
    this.path = path;
    this.fsPath = path;
    this.query = query;
  }
  static file(path) {
    return new Uri("file", path);
  }
  static parse(text) {
    const url = new URL(text);
    return new Uri(url.protocol.replace(/:$/, ""), url.pathname, url.search.slice(1));
  }
  static from(parts) {
    return new Uri(parts.scheme, parts.path ?? "", parts.query ?? "");
  }
  static joinPath(base, ...segments) {
    return new Uri(base.scheme, join(base.path, ...segments));
  }
  with(change) {
    return new Uri(
      change.scheme ?? this.scheme,
      change.path ?? this.path,
      change.query ?? this.query,
    );
  }
  toString() {
    return `${this.scheme}://${this.path}`;
  }
}

const outputChannel = loose({
  name: "semfly",
  logLevel: 2,
  onDidChangeLogLevel: event,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  append: noop,
  appendLine: noop,
  show: noop,
  dispose: noop,
});

const vscode = loose({
  EventEmitter,
  Disposable,
  Uri,
  TreeItem: class {
    constructor(label, collapsibleState) {
      this.label = label;
      this.collapsibleState = collapsibleState;
    }
  },
  ThemeIcon: class {
    constructor(id, color) {
      this.id = id;
      this.color = color;
    }
  },
  ThemeColor: class {
    constructor(id) {
      this.id = id;
    }
  },
  MarkdownString: class {
    constructor(value = "") {
      this.value = value;
    }
  },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
  window: loose({
    createOutputChannel: () => outputChannel,
    createTreeView: () =>
      loose({
        visible: true,
        onDidChangeVisibility: event,
        onDidExpandElement: event,
        onDidCollapseElement: event,
        onDidChangeSelection: event,
        dispose: noop,
      }),
    createStatusBarItem: () => loose({ show: noop, hide: noop, dispose: noop }),
    registerTreeDataProvider: disposable,
    showInformationMessage: resolved(undefined),
    showWarningMessage: resolved(undefined),
    showErrorMessage: resolved(undefined),
    setStatusBarMessage: disposable,
  }),
  workspace: loose({
    isTrusted: true,
    workspaceFolders: [],
    getConfiguration: () =>
      loose({ get: (_key, fallback) => fallback, has: () => false, inspect: () => undefined }),
    onDidChangeConfiguration: event,
    onDidGrantWorkspaceTrust: event,
    onDidChangeWorkspaceFolders: event,
    onDidCloseTextDocument: event,
    createFileSystemWatcher: () =>
      loose({ onDidCreate: event, onDidChange: event, onDidDelete: event, dispose: noop }),
    findFiles: resolved([]),
    registerTextDocumentContentProvider: disposable,
    asRelativePath: (path) => String(path),
  }),
  commands: loose({ registerCommand: disposable, executeCommand: resolved(undefined) }),
  env: loose({ appName: "bench", clipboard: { writeText: resolved(undefined) } }),
  languages: loose({}),
});

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === "vscode") return vscode;
  return load.call(this, request, ...rest);
};

const storage = Uri.file(join(tmpdir(), "semfly-bench-activate"));
const memento = () =>
  loose({ get: (_key, fallback) => fallback, update: resolved(undefined), keys: () => [] });
const context = loose({
  subscriptions: [],
  extensionMode: 1,
  extension: {
    id: "semfly.semfly-vscode",
    packageJSON: JSON.parse(readFileSync(manifest, "utf8")),
  },
  secrets: loose({
    get: resolved(undefined),
    store: resolved(undefined),
    delete: resolved(undefined),
    onDidChange: event,
  }),
  globalState: memento(),
  workspaceState: memento(),
  globalStorageUri: storage,
  storageUri: storage,
  logUri: storage,
  extensionUri: storage,
  extensionPath: storage.path,
});

async function main() {
  const start = process.hrtime.bigint();
  const extension = require(bundle);
  const required = process.hrtime.bigint();
  const api = extension.activate(context);
  if (api && typeof api.then === "function") await api;
  const activated = process.hrtime.bigint();
  const ms = (from, to) => Number(to - from) / 1e6;
  process.stdout.write(
    `${JSON.stringify({
      requireMs: ms(start, required),
      activateMs: ms(required, activated),
      totalMs: ms(start, activated),
    })}\n`,
  );
  // What activate() started in the background (finding apps, a token) is not activation: stop here.
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});

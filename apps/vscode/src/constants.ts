/**
 * Every id the manifest (package.json) and the code share. test/unit/manifest.test.ts checks that the
 * manifest contributes exactly these commands, views and settings, so a rename cannot leave one behind.
 */
export const EXTENSION_ID = "semfly.semfly-vscode";

export const VIEW_CONTAINER_ID = "semfly";
export const VERSIONS_VIEW_ID = "semfly.versions";
/** VS Code generates `<view id>.focus` for every view; the status bar item runs it. */
export const FOCUS_VERSIONS_VIEW_COMMAND = `${VERSIONS_VIEW_ID}.focus`;

export const Commands = {
  refresh: "semfly.refresh",
  rollback: "semfly.rollback",
  copyDigest: "semfly.copyDigest",
  compareWithLive: "semfly.compareWithLive",
  openDashboard: "semfly.openDashboard",
  showLog: "semfly.showLog",
  setToken: "semfly.setToken",
  signOut: "semfly.signOut",
  promote: "semfly.promote",
  rollbackInstantly: "semfly.rollbackInstantly",
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

/** Context keys the manifest's `when` clauses read (viewsWelcome, menus). */
export const ContextKeys = {
  /** Set once the first look for a token and apps has finished, so the welcome view does not flash. */
  ready: "semfly.ready",
  signedIn: "semfly.signedIn",
  hasApps: "semfly.hasApps",
} as const;

/** Context keys only menus read (not the welcome view). */
export const MenuContextKeys = {
  /** Two or more apps in the workspace: "Promote to …" has somewhere to go. */
  multipleApps: "semfly.multipleApps",
} as const;

export const Settings = {
  section: "semfly",
  apps: "apps",
  apiBaseUrl: "apiBaseUrl",
  flapsBaseUrl: "flapsBaseUrl",
  uiexBaseUrl: "uiexBaseUrl",
  refreshIntervalSeconds: "refreshIntervalSeconds",
  rollbackStrategy: "rollbackStrategy",
  freezeAfterRollback: "freezeAfterRollback",
} as const;

/** Settings that decide where the token is sent: honoured from user (machine) level only. */
export const ENDPOINT_SETTINGS = [
  Settings.apiBaseUrl,
  Settings.flapsBaseUrl,
  Settings.uiexBaseUrl,
] as const;
export type EndpointSetting = (typeof ENDPOINT_SETTINGS)[number];

/** The SecretStorage key of a token set with "Set Fly API Token". */
export const TOKEN_SECRET_KEY = "semfly.flyApiToken";

/** URI scheme of the read-only "Compare with Live" documents. */
export const DIFF_SCHEME = "semfly-diff";

export const DASHBOARD_BASE_URL = "https://fly.io/apps/";

/** `contextValue` tokens; menus match them with `viewItem =~ /(^|;)token(;|$)/`. */
export const NodeContext = {
  app: "semflyApp",
  version: "semflyVersion",
  release: "semflyRelease",
  machine: "semflyMachine",
  group: "semflyGroup",
  placement: "semflyPlacement",
  message: "semflyMessage",
  parked: "semflyParked",
  canRollBack: "canRollBack",
  /** A version with an unexpired parked set: "Roll Back Instantly" starts it. */
  canRollBackInstantly: "canRollBackInstantly",
  hasDigest: "hasDigest",
  canCompare: "canCompare",
  drift: "drift",
} as const;

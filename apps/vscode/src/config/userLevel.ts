/**
 * The machine-scope guard. VS Code already keeps `"scope": "machine"` settings out of workspace
 * settings, but the endpoint settings decide where the Fly token is sent, so semfly does not rely on
 * that: it takes the user-level value itself and drops anything a workspace or folder says.
 */

/** The part of `WorkspaceConfiguration.inspect()` the guard looks at. */
export interface InspectedSetting<T> {
  defaultValue?: T | undefined;
  globalValue?: T | undefined;
  workspaceValue?: T | undefined;
  workspaceFolderValue?: T | undefined;
}

export interface UserLevelValue<T> {
  /** The user's value, else the default. */
  value: T | undefined;
  /** "user" when the user set it, "default" otherwise. */
  origin: "user" | "default";
  /** A workspace or folder tried to set it; the value was ignored. */
  ignoredWorkspaceValue: boolean;
}

export function userLevelValue<T>(inspected: InspectedSetting<T> | undefined): UserLevelValue<T> {
  const ignoredWorkspaceValue =
    inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
  if (inspected?.globalValue !== undefined) {
    return { value: inspected.globalValue, origin: "user", ignoredWorkspaceValue };
  }
  return { value: inspected?.defaultValue, origin: "default", ignoredWorkspaceValue };
}

import * as vscode from "vscode";
import { FOCUS_VERSIONS_VIEW_COMMAND } from "../constants.js";
import type { VersionsModel } from "../model/versionsModel.js";
import { DisposableObject } from "../platform/lifecycle.js";
import { statusBarContent } from "./statusBarContent.js";

/** The workspace app's live version; warns when machines drift; a click reveals the view. */
export class LiveVersionStatusBar extends DisposableObject {
  private readonly item = this.register(
    vscode.window.createStatusBarItem("semfly.liveVersion", vscode.StatusBarAlignment.Left, 10),
  );

  constructor(private readonly model: VersionsModel) {
    super();
    this.item.name = "semfly: live version";
    this.item.command = FOCUS_VERSIONS_VIEW_COMMAND;
    this.register(model.onDidChange(() => this.update()));
    this.update();
  }

  update(): void {
    const content = statusBarContent(this.model.primaryApp);
    if (!content) {
      this.item.hide();
      return;
    }
    this.item.text = content.text;
    this.item.tooltip = new vscode.MarkdownString(content.tooltip, true);
    this.item.backgroundColor = content.warning
      ? new vscode.ThemeColor("statusBarItem.warningBackground")
      : undefined;
    this.item.show();
  }
}

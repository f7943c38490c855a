import * as vscode from "vscode";
import { DIFF_SCHEME } from "../constants.js";
import { DisposableObject } from "../platform/lifecycle.js";

/**
 * Read-only documents for "Compare with Live": a content provider on the semfly-diff scheme serves
 * text generated when the command ran (content providers' documents cannot be edited or saved).
 */
export class DiffDocuments extends DisposableObject implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private counter = 0;

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, this));
    this.register(
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document.uri.scheme === DIFF_SCHEME) this.contents.delete(document.uri.toString());
      }),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this.contents.get(uri.toString()) ??
      "This comparison is no longer available: run Compare with Live again."
    );
  }

  async open(title: string, text: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({
      scheme: DIFF_SCHEME,
      path: `/${title.replace(/[\\/]/g, "-")}.diff`,
      query: String(++this.counter),
    });
    this.contents.set(uri.toString(), text);
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.languages.setTextDocumentLanguage(document, "diff");
  }
}

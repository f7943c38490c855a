import { redact } from "@semfly/core";
import * as vscode from "vscode";
import type { Disposable } from "../model/events.js";

/**
 * The "semfly" output channel. Every line goes through core's redact(), which removes the token in use
 * and anything shaped like a Fly token, so no code path can print one by mistake.
 */
export class Log implements Disposable {
  private readonly channel: vscode.LogOutputChannel;

  constructor(name = "semfly") {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  debug(message: string): void {
    this.channel.debug(redact(message));
  }

  info(message: string): void {
    this.channel.info(redact(message));
  }

  warn(message: string): void {
    this.channel.warn(redact(message));
  }

  error(message: string, error?: unknown): void {
    const detail = error === undefined ? "" : `: ${describeError(error)}`;
    this.channel.error(redact(`${message}${detail}`));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${error.message} [${code}]` : error.message;
  }
  return String(error);
}

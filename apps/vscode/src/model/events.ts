/**
 * The slice of VS Code's event types the model needs. In the extension the emitter is a
 * `vscode.EventEmitter`; unit tests pass a plain one, so the model runs without the `vscode` module.
 */
export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (event: T) => unknown) => Disposable;

export interface Emitter<T> {
  readonly event: Event<T>;
  fire(event: T): void;
  dispose(): void;
}

export type EmitterFactory = <T>() => Emitter<T>;

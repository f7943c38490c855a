import type { Disposable } from "../model/events.js";

export function toDisposable(dispose: () => void): Disposable {
  return { dispose };
}

/** Owns disposables and disposes them together, newest first; adding after disposal disposes at once. */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    while (this.items.length > 0) {
      try {
        this.items.pop()!.dispose();
      } catch (error) {
        console.error("semfly: dispose failed", error);
      }
    }
  }
}

/** A base class for objects that own registrations. */
export abstract class DisposableObject implements Disposable {
  protected readonly disposables = new DisposableStore();

  protected register<T extends Disposable>(item: T): T {
    return this.disposables.add(item);
  }

  dispose(): void {
    this.disposables.dispose();
  }
}

/** A sleep that stop() can cut short, for loops that must end promptly on shutdown. */
export class Sleeper {
  private wake?: () => void;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Ends the current sleep now. */
  interrupt(): void {
    this.wake?.();
  }
}
